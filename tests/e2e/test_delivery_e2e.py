"""Delivery in Chromium: the beneficiary's QR, the operator's scan, the
signature checked in the browser, exactly one delivery; also without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.delivery import credentials
from portal.delivery import handover as delivery
from portal.models import Application
from portal.web.extensions import db
from portal.web.sessions import create_session_row
from tests.factories import make_agency, make_application, make_citizen, make_delivery_world

from .conftest import assert_accessible, portal_of_its_own


@pytest.fixture(scope="module")
def delivery_server(tmp_path_factory):
    """A portal of its own, with none of the demo data."""
    with portal_of_its_own(tmp_path_factory.mktemp("entrega-e2e")) as (app, address):
        db.connect(reuse_if_open=True)
        yield app, address


@pytest.fixture(scope="module")
def scene(delivery_server):
    app, _ = delivery_server
    world = make_delivery_world(
        make_agency(name="Secretaría de Desarrollo Social"), name="Apoyo Alimentario"
    )
    return {**world, "app": app}


def signed_in(browser, base_url, user, javascript=True):
    """A browser context carrying a server-side session for ``user``."""
    sid = create_session_row({"_user_id": user.get_id(), "_fresh": True})
    context = browser.new_context(base_url=base_url, java_script_enabled=javascript)
    context.add_cookies([{"name": "vu_sesion", "value": sid, "url": base_url}])
    return context


def qr_file(tmp_path, url: str, name: str = "codigo.png"):
    path = tmp_path / name
    path.write_bytes(credentials.qr_png(url, scale=6))
    return path


def confirm_delivery(page, id_type: str, last4: str) -> None:
    """The operator checks the identification at Oficinas centrales and confirms."""
    page.select_option("#punto", label="Oficinas centrales")
    page.select_option("#tipo_identificacion", id_type)
    page.fill("#ultimos4", last4)
    page.check("#revisada")
    page.get_by_role("button", name="Confirmar la entrega").click()
    expect(page.locator("#veredicto")).to_have_text("Entrega registrada")


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

    confirm_delivery(page, "ine", "4821")
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
        make_citizen(given_names="Rosa"), scene["program"], status="aprobada"
    )
    delivery.issue_credential(application)
    operator = signed_in(browser, base_url, scene["operator"], javascript=False)
    page = operator.new_page()
    page.goto("/entrega")
    expect(page.locator("#escaner")).to_be_hidden()
    page.fill("#codigo", application.folio.lower())
    page.get_by_role("button", name="Buscar").click()
    expect(page.locator("#veredicto")).to_have_text("Credencial válida")
    confirm_delivery(page, "pasaporte", "G12B")
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
