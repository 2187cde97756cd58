"""A full call in Chromium (issue 16, item 9): the person applies anyway, sees
their place on the waiting list, and moves up when someone cancels; with and
without JavaScript, every page checked with axe."""

from __future__ import annotations

import pytest

from portal.applications import workflow as apps
from portal.backoffice.audit import Actor
from portal.models import Application, Call
from portal.web.extensions import db
from tests.application_builders import MINIMAL_PDF, submitted
from tests.factories import make_citizen, make_program

from .conftest import assert_accessible, portal_of_its_own
from .test_applications_e2e import signed_in_context


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with portal_of_its_own(tmp_path_factory.mktemp("waiting-e2e")) as served:
        yield served


@pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
def test_a_person_waits_in_a_full_call_and_moves_up_when_a_place_frees(
    browser, portal, tmp_path, javascript
):
    app, base = portal
    with app.app_context():
        db.connect(reuse_if_open=True)
        program = make_program(name="Apoyo con pocos lugares", requirements=("identificacion",))
        Call.update(quota=1).where(Call.program == program).execute()
        holder = submitted(make_citizen(), program)
        citizen = make_citizen()
        slug = program.slug
        db.close()
    context = signed_in_context(browser, app, base, citizen, javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)

    def check_accessible():
        if javascript:
            assert_accessible(page)

    page.goto(f"{base}/programas/{slug}")
    assert "quedará en la lista de espera" in page.locator("main").inner_text()
    check_accessible()
    page.get_by_role("link", name="Solicitar este apoyo").click()
    page.wait_for_url(f"**/programas/{slug}/solicitar")
    check_accessible()
    page.get_by_role("button", name="Mis datos son correctos: continuar").click()
    page.wait_for_url("**/documentos")
    pdf = tmp_path / "identificacion.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    page.locator("input[name=document]").set_input_files(str(pdf))
    page.get_by_role("button", name="Subir «Identificacion»").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Enviar solicitud").click()
    page.wait_for_url("**/comprobante")
    receipt = page.locator("main").inner_text()
    assert "está en la lista de espera" in receipt
    assert "Está en el lugar 1 de la lista de espera." in receipt
    check_accessible()
    folio = page.locator(".receipt .folio").inner_text()

    page.goto(f"{base}/mis-solicitudes/{folio}")
    assert "En lista de espera" in page.locator("main").inner_text()
    check_accessible()

    with app.app_context():
        db.connect(reuse_if_open=True)
        apps.cancel(
            Application.get_by_id(holder.id), Actor.citizen(holder.citizen_id), "Ya no lo necesito."
        )
        db.close()

    page.goto(f"{base}/mis-solicitudes/{folio}")
    main = page.locator("main").inner_text()
    assert "Enviada" in page.locator("main p", has_text="Folio").first.inner_text()
    assert page.locator(".waiting-list").count() == 0
    timeline = page.locator(".timeline").inner_text()
    assert "En lista de espera" in timeline and "Enviada" in timeline
    assert "Se liberó un lugar en la convocatoria" in main
    check_accessible()
    page.goto(f"{base}/avisos")
    assert "Se liberó un lugar" in page.locator("main").inner_text()
    check_accessible()
    context.close()
