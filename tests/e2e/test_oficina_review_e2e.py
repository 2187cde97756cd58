"""A reviewer works through a queue in Chromium: correction, approval, rejection.

Accessibility (axe, zero violations) is checked after every navigation and
every htmx swap. The same decisions work with JavaScript off (plain forms).
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from portal.applications import workflow as apps
from portal.models import Agency, Application, Program
from portal.web.extensions import db

from ..application_builders import citizen_actor, jpeg_bytes, upload_all
from ..factories import accept_documents, make_application, make_citizen, make_staff
from .conftest import assert_accessible

PASSWORD = "contraseña-de-prueba-segura"


def _tarjeta_contigo_staff(role: str, mailbox: str):
    """The demo's Tarjeta Contigo and a new member of its agency's (SEDESOQ) staff."""
    agency = Agency.get(Agency.slug == "sedesoq")
    staff = make_staff(role, agency, email=f"{mailbox}-{uuid.uuid4().hex[:6]}@sedesoq.example.org")
    return Program.get(Program.slug == "tarjeta-contigo"), staff


@pytest.fixture(scope="module")
def queue(live_app):
    """A reviewer of SEDESOQ and four submitted Tarjeta Contigo applications."""
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        program, reviewer = _tarjeta_contigo_staff("revisor", "revisora")
        folios = []
        # Submitted before any demo application, so they head the oldest-first queue.
        for minutes, given in enumerate(("Ana", "Berta", "Carla", "Dora")):
            # Answers that fit Tarjeta Contigo's rules, so each could be approved.
            citizen = make_citizen(
                given_names=given, profile={"household_size": 4, "household_income_monthly": 6000}
            )
            draft = apps.start_draft(citizen, program, uuid.uuid4().hex)
            upload_all(draft, citizen, jpeg_bytes(), "documento.jpg")
            apps.submit(draft, citizen_actor(citizen))
            opened = dt.datetime.combine(draft.call.opens, dt.time(0, minutes))
            Application.update(submitted_at=opened).where(Application.id == draft.id).execute()
            folios.append(draft.folio)
        db.close()
    return reviewer.email, folios


def _status(live_app, folio):
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return Application.get(Application.folio == folio).status
        finally:
            db.close()


def _sign_in(page, base_url, email, *, check=True):
    page.goto(base_url + "/oficina/entrar")
    if check:
        assert_accessible(page)
    page.get_by_label("Correo").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()


def _swap(page, action, method="GET"):
    """Run ``action``, wait for the htmx swap of the case panel to settle; the response."""
    with page.expect_response(
        lambda r: "/oficina/" in r.url and r.request.method == method
    ) as answer:
        action()
    # Polled from here: wait_for_function compiles its predicate, which the CSP forbids.
    for _ in range(100):
        if page.evaluate(
            "!document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"
        ):
            return answer.value
        page.wait_for_timeout(50)
    raise AssertionError("the htmx swap did not settle")


def _accepted(page) -> int:
    return page.locator(".checklist .tag-ok").count()


def _first_unreviewed(page):
    """The accept button of the first document not yet accepted."""
    pending = page.locator(".checklist .requirement").filter(has_not=page.locator(".tag-ok"))
    return pending.first.get_by_role("button", name="Aceptar documento")


def test_reviewer_works_through_the_queue(page, base_url, live_app, queue):
    email, folios = queue
    _sign_in(page, base_url, email)
    page.goto(base_url + "/oficina")
    assert_accessible(page)
    for folio in folios:
        assert page.get_by_role("link", name=folio).is_visible()

    page.get_by_role("link", name="Revisar la siguiente").click()
    assert folios[0] in page.locator("h1").inner_text()
    assert_accessible(page)

    _swap(page, lambda: page.get_by_role("button", name="Tomar esta solicitud").click())
    assert "La revisa:" in page.locator("#caso").inner_text()
    assert_accessible(page)

    _swap(page, lambda: page.get_by_role("button", name="Aceptar documento").first.click())
    assert page.locator(".tag-ok").first.inner_text() == "Aceptado"
    assert_accessible(page)

    # Correction: the panel is swapped for the next case without a page load.
    page.evaluate("window.__notReloaded = true")
    page.locator("#documents-0").check()
    page.get_by_label("Mensaje para la persona").fill(
        "La identificación no se lee; súbala de nuevo."
    )
    _swap(page, lambda: page.get_by_role("button", name="Pedir corrección").click())
    assert page.evaluate("window.__notReloaded") is True
    assert folios[1] in page.locator("h1").inner_text()
    assert page.url.endswith(f"/oficina/solicitudes/{folios[1]}")
    assert_accessible(page)
    assert _status(live_app, folios[0]) == "requiere_correccion"

    # Approval waits until every document is accepted, and the page says so (a 422 swapped in).
    blocked = _swap(
        page, lambda: page.get_by_role("button", name="Aprobar solicitud").click(), method="POST"
    )
    assert blocked.status == 422
    assert folios[1] in page.locator("h1").inner_text()
    assert "Falta revisar el documento" in page.locator("#caso .reasons").inner_text()
    assert_accessible(page)
    while page.get_by_role("button", name="Aceptar documento").count() > _accepted(page):
        _swap(page, lambda: _first_unreviewed(page).click())
    assert "todos los documentos están aceptados" in page.locator("#caso").inner_text()
    _swap(page, lambda: page.get_by_role("button", name="Aprobar solicitud").click())
    assert folios[2] in page.locator("h1").inner_text()
    assert_accessible(page)
    assert _status(live_app, folios[1]) == "aprobada"

    page.get_by_label("Motivo del rechazo").select_option("no_cumple")
    page.get_by_label("Explicación para la persona").fill("El ingreso del hogar supera el límite.")
    _swap(page, lambda: page.get_by_role("button", name="Rechazar solicitud").click())
    assert folios[3] in page.locator("h1").inner_text()
    assert_accessible(page)
    assert _status(live_app, folios[2]) == "rechazada"

    # A refused form answers 422, which htmx swaps in (the page's htmx config):
    # it stays on the case and says why, accessibly.
    page.get_by_label("Motivo del rechazo").select_option("otro")
    refused = _swap(
        page, lambda: page.get_by_role("button", name="Rechazar solicitud").click(), method="POST"
    )
    assert refused.status == 422
    assert "Explique el rechazo" in page.locator(".error-summary").inner_text()
    assert_accessible(page)


def test_reviewer_decides_with_javascript_off(browser, base_url, live_app, queue):
    # axe runs as page JavaScript, so it cannot run here; the same pages are
    # checked with JavaScript on in the test above.
    email, folios = queue
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, base_url, email, check=False)
    page.goto(f"{base_url}/oficina/solicitudes/{folios[3]}")
    while page.locator("form.doc-review").count() > _accepted(page):
        _first_unreviewed(page).click()
    page.get_by_role("button", name="Aprobar solicitud").click()
    # The plain form moves on (next case, or the queue when none is left) with the message.
    assert "/oficina" in page.url and folios[3] not in page.url
    assert "aprobada" in page.locator(".flashes").inner_text()
    assert _status(live_app, folios[3]) == "aprobada"
    context.close()


@pytest.fixture(scope="module")
def exception_case(live_app):
    """A supervisor of SEDESOQ and a case whose household income is over the limit."""
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        program, supervisor = _tarjeta_contigo_staff("supervisor", "supervisora")
        citizen = make_citizen(
            given_names="Elena", profile={"household_size": 2, "household_income_monthly": 9000}
        )
        application = accept_documents(make_application(citizen, program))
        db.close()
    return supervisor.email, application.folio


def test_a_supervisor_approves_with_an_exception(page, base_url, live_app, exception_case):
    email, folio = exception_case
    _sign_in(page, base_url, email)
    page.goto(f"{base_url}/oficina/solicitudes/{folio}")
    assert "Es para hogares con ingreso menor" in page.locator("#caso .reasons").inner_text()
    assert_accessible(page)
    page.get_by_label("Por qué se aprueba con excepción").fill(
        "El ingreso reportado incluye un pago único de finiquito; se verificó en la visita."
    )
    _swap(page, lambda: page.get_by_role("button", name="Aprobar con excepción").click())
    assert_accessible(page)
    assert _status(live_app, folio) == "aprobada"
    page.goto(f"{base_url}/oficina/solicitudes/{folio}")
    assert "Aprobada con excepción" in page.locator("#caso").inner_text()
    assert_accessible(page)
