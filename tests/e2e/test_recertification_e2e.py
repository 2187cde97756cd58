"""Re-certification in Chromium: a suspended beneficiary sees the task and
uploads the proof (with JavaScript off: the page is a plain form); the
agency's reviewer accepts it; the suspension is lifted. axe runs on every page
(in a context with JavaScript on, which axe needs)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.delivery import recertification
from portal.models import Application, Recertification
from portal.web.extensions import db
from tests.application_builders import MINIMAL_PDF
from tests.delivery.recertification_builders import make_renewing_beneficiary, overdue

from .conftest import assert_accessible, portal_of_its_own
from .test_delivery_e2e import signed_in


@pytest.fixture(scope="module")
def renewal_server(tmp_path_factory):
    """A portal of its own, with none of the demo data."""
    with portal_of_its_own(tmp_path_factory.mktemp("recertificacion-e2e")) as (app, address):
        db.connect(reuse_if_open=True)
        yield app, address


def test_the_person_presents_the_proof_staff_accept_it_and_the_suspension_is_lifted(
    browser, renewal_server, tmp_path
):
    _, base_url = renewal_server
    application, credential, point, operator, reviewer, row = make_renewing_beneficiary()
    recertification.suspend_overdue(overdue(row))
    folio = application.folio
    proof = tmp_path / "constancia.pdf"
    proof.write_bytes(MINIMAL_PDF)

    person = signed_in(browser, base_url, application.citizen)
    page = person.new_page()
    page.goto("/mis-solicitudes")
    expect(page.locator("main")).to_contain_text("Debe presentar «Constancia-estudios» antes del")
    assert_accessible(page)
    page.goto(f"/mis-solicitudes/{folio}")
    expect(page.locator("main")).to_contain_text("Suspendida")
    task = page.locator("#recertificacion")
    expect(task).to_contain_text("Su apoyo está suspendido.")
    expect(task).to_contain_text("Debe presentar «Constancia-estudios» antes del")
    assert_accessible(page)
    task.get_by_role("link", name="Presentar «Constancia-estudios»").click()
    expect(page.locator("h1")).to_have_text("Re-certificación")
    assert_accessible(page)
    # Sent with no file first: the message is next to the field.
    page.get_by_role("button", name="Subir «Constancia-estudios»").click()
    expect(page.locator(".error-summary")).to_contain_text("Elija un archivo")
    assert_accessible(page)

    # The upload itself with JavaScript off.
    plain = signed_in(browser, base_url, application.citizen, javascript=False)
    form = plain.new_page()
    form.goto(f"/mis-solicitudes/{folio}/recertificacion")
    form.set_input_files("#archivo-recertificacion", str(proof))
    form.get_by_role("button", name="Subir «Constancia-estudios»").click()
    expect(form.locator(".flashes")).to_contain_text("Recibimos «Constancia-estudios»")
    expect(form.locator("#recertificacion")).to_contain_text("la dependencia lo está revisando")
    plain.close()
    page.goto(f"/mis-solicitudes/{folio}")
    expect(page.locator("#recertificacion")).to_contain_text("la dependencia lo está revisando")
    assert_accessible(page)

    desk = signed_in(browser, base_url, reviewer)
    office = desk.new_page()
    office.goto(f"/oficina/solicitudes/{folio}")
    expect(office.locator("main")).to_contain_text("Por revisar")
    assert_accessible(office)
    office.get_by_role("link", name="Revisar la re-certificación").click()
    expect(office.get_by_role("link", name="Ver el documento presentado")).to_be_visible()
    assert_accessible(office)
    office.get_by_role("button", name="Aceptar el documento").click()
    expect(office.locator(".flashes")).to_contain_text("Aceptamos el documento")
    assert_accessible(office)
    desk.close()

    assert Application.get_by_id(application.id).status == "aprobada"
    assert Recertification.get_by_id(row.id).status == "aceptada"
    page.goto(f"/mis-solicitudes/{folio}")
    expect(page.locator("main")).to_contain_text("Aprobada")
    expect(page.locator("main")).not_to_contain_text("Su apoyo está suspendido.")
    # The next due date, a year on, is the person's task now.
    expect(page.locator("#recertificacion")).to_contain_text("Debe presentar")
    assert_accessible(page)
    person.close()
