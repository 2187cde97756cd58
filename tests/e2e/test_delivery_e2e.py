"""Delivery in Chromium: the beneficiary's QR, the operator's scan, the
signature checked in the browser, exactly one delivery; also without JavaScript."""

from __future__ import annotations

import secrets
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from portal import create_app
from portal.applications.folio import new_folio
from portal.delivery import credentials
from portal.delivery import handover as delivery
from portal.models import Application, WebSession
from portal.web import database
from portal.web.extensions import db
from portal.web.sessions import _hash
from tests.delivery.test_delivery import add_missing_sign_out_endpoints
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_delivery_point,
    make_program,
    make_staff,
)

from .conftest import assert_accessible


@pytest.fixture(scope="module")
def delivery_server(tmp_path_factory):
    """A portal of its own: the sign-out placeholders must be added before its
    first request. The shared database proxy is handed back afterwards."""
    previous = db.obj
    folder = tmp_path_factory.mktemp("entrega-e2e")
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "e2e-secret-key-that-is-long-enough-0123456789",
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "docs"),
        }
    )
    add_missing_sign_out_endpoints(app)
    database.upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    db.connect(reuse_if_open=True)
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    db.close()
    if previous is not None:
        db.initialize(previous)


@pytest.fixture(scope="module")
def scene(delivery_server):
    app, _ = delivery_server
    agency = make_agency(name="Secretaría de Desarrollo Social")
    program = make_program(agency, name="Apoyo Alimentario")
    point = make_delivery_point(program, name="Oficinas centrales")
    operator = make_staff("entrega", agency=agency, name="Ana Operadora")
    citizen = make_citizen()
    application = make_application(citizen, program, status="aprobada", folio=new_folio(year=2026))
    credential = delivery.issue_credential(application)
    return {
        "app": app,
        "point": point,
        "operator": operator,
        "citizen": citizen,
        "application": application,
        "credential": credential,
        "program": program,
    }


def signed_in(browser, base_url, user, javascript=True):
    """A browser context carrying a server-side session for ``user``."""
    sid = secrets.token_urlsafe(32)
    kind = "ciudadano" if user.id_prefix == "c" else "personal"
    WebSession.create(
        id_hash=_hash(sid),
        data={"_user_id": user.get_id(), "_fresh": True},
        user_kind=kind,
        user_id=user.id,
    )
    context = browser.new_context(base_url=base_url, java_script_enabled=javascript)
    context.add_cookies([{"name": "vu_sesion", "value": sid, "url": base_url}])
    return context


def qr_file(tmp_path, url: str, name: str = "codigo.png"):
    path = tmp_path / name
    path.write_bytes(credentials.qr_png(url, scale=6))
    return path


def test_beneficiary_shows_the_qr_and_an_operator_scans_it_and_delivers_once(
    browser, delivery_server, scene, tmp_path
):
    app, base_url = delivery_server
    folio = scene["application"].folio

    citizen = signed_in(browser, base_url, scene["citizen"])
    page = citizen.new_page()
    page.goto(f"/mis-solicitudes/{folio}/credencial")
    expect(page.locator(".qr-box svg[role=img]")).to_be_visible()
    assert_accessible(page)
    citizen.close()

    token = delivery.token_for(scene["credential"], app.extensions["credential_private_key"])
    image = qr_file(tmp_path, credentials.credential_url(token, base_url))

    operator = signed_in(browser, base_url, scene["operator"])
    page = operator.new_page()
    page.goto("/entrega")
    expect(page.locator("#escaner")).to_be_visible()
    assert_accessible(page)

    page.set_input_files("#foto-qr", str(image))
    expect(page.locator("#firma")).to_contain_text("Firma válida")
    expect(page.locator("#veredicto")).to_have_text("Credencial válida")
    expect(page.locator(".verdict")).to_contain_text("María Gómez Ruiz")
    expect(page.locator(".verdict")).to_contain_text("Apoyo Alimentario")
    assert_accessible(page)

    page.select_option("#punto", label="Oficinas centrales")
    page.select_option("#tipo_identificacion", "ine")
    page.fill("#ultimos4", "4821")
    page.check("#revisada")
    page.get_by_role("button", name="Confirmar la entrega").click()
    expect(page.locator("#veredicto")).to_have_text("Entrega registrada")
    assert_accessible(page)
    assert Application.get_by_id(scene["application"].id).status == "entregada"

    # The same code again: refused, with when, where and by whom.
    page.set_input_files("#foto-qr", str(image))
    expect(page.locator("#veredicto")).to_have_text("Ya entregado")
    expect(page.locator(".verdict")).to_contain_text("Oficinas centrales")
    expect(page.locator(".verdict")).to_contain_text("Ana Operadora")
    assert_accessible(page)
    operator.close()


def test_a_forged_code_is_flagged_in_the_browser_and_refused(
    browser, delivery_server, scene, tmp_path
):
    _, base_url = delivery_server
    forged = delivery.token_for(scene["credential"], credentials.generate_keypair()[0])
    image = qr_file(tmp_path, credentials.credential_url(forged, base_url), "falso.png")
    operator = signed_in(browser, base_url, scene["operator"])
    page = operator.new_page()
    page.goto("/entrega")
    page.set_input_files("#foto-qr", str(image))
    expect(page.locator("#firma")).to_contain_text("Firma no válida")
    expect(page.locator("#veredicto")).to_have_text("No entregue")
    assert_accessible(page)
    operator.close()


def test_without_javascript_the_operator_types_the_folio_and_delivers(
    browser, delivery_server, scene
):
    _, base_url = delivery_server
    application = make_application(
        make_citizen(given_names="Rosa"),
        scene["program"],
        status="aprobada",
        folio=new_folio(year=2026),
    )
    delivery.issue_credential(application)
    operator = signed_in(browser, base_url, scene["operator"], javascript=False)
    page = operator.new_page()
    page.goto("/entrega")
    expect(page.locator("#escaner")).to_be_hidden()
    page.fill("#codigo", application.folio.lower())
    page.get_by_role("button", name="Buscar").click()
    expect(page.locator("#veredicto")).to_have_text("Credencial válida")
    page.select_option("#punto", label="Oficinas centrales")
    page.select_option("#tipo_identificacion", "pasaporte")
    page.fill("#ultimos4", "G12B")
    page.check("#revisada")
    page.get_by_role("button", name="Confirmar la entrega").click()
    expect(page.locator("#veredicto")).to_have_text("Entrega registrada")
    assert "/entrega/entregas/" in page.url
    assert Application.get_by_id(application.id).status == "entregada"
    receipt = page.url
    operator.close()
    # axe needs JavaScript: check the same server-rendered receipt with it on.
    with_script = signed_in(browser, base_url, scene["operator"])
    page = with_script.new_page()
    page.goto(receipt)
    expect(page.locator("#veredicto")).to_have_text("Entrega registrada")
    assert_accessible(page)
    with_script.close()
