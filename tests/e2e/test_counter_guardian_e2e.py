"""The counter applies for a child in Chromium, on a 412-pixel screen, axe clean:
a reviewer serves a father without a digital ID, types his son's details
(a wrong birth date first: the message is on the field), starts the son's
application, uploads the birth certificate and sends it with the father named.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from portal.eligibility.household import born_years_ago
from portal.models import Agency, Application, Citizen
from portal.web.extensions import db
from tests.application_builders import MINIMAL_PDF

from ..factories import make_citizen, make_program, make_staff, valid_curp
from .conftest import assert_accessible
from .test_narrow_screens_e2e import MEASURE, PHONE
from .test_oficina_review_e2e import _sign_in

UP_TO_12 = {
    "field": "age",
    "op": "lte",
    "value": 12,
    "reason": "Es para niñas y niños de 12 años o menos.",
}


@pytest.fixture
def counter(live_app):
    """A SEDESOQ reviewer, a father of 38 without a digital ID, and a program for children."""
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        agency = Agency.get(Agency.slug == "sedesoq")
        reviewer = make_staff(
            "revisor", agency, email=f"ventanilla-{uuid.uuid4().hex[:6]}@sedesoq.example.org"
        )
        father = make_citizen(
            birth_date=dt.date(1988, 2, 3),
            sex="H",
            given_names="Jorge",
            origin="assisted",
            profile={"household_size": 3, "household_income_monthly": 8000},
        )
        program = make_program(
            agency,
            name=f"Uniformes de prueba {uuid.uuid4().hex[:4]}",
            requirements=("acta",),
            eligibility=[UP_TO_12],
        )
        db.close()
    return reviewer.email, father, program


def _fits(page) -> None:
    size = page.evaluate(MEASURE)
    assert size["width"] <= size["screen"], size


def _submit(page, name: str) -> None:
    before = page.url
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()
    assert page.url != before or page.locator(".error-message").count()


def test_the_counter_applies_for_a_fathers_son_of_7(browser, base_url, live_app, counter, tmp_path):
    email, father, program = counter
    context = browser.new_context(viewport=PHONE, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, base_url, email, check=False)
    page.wait_for_url(lambda url: "/oficina/entrar" not in url)
    page.goto(f"{base_url}/oficina/ventanilla")
    page.get_by_label("CURP de la persona").fill(father.curp)
    page.get_by_role("button", name="Buscar").click()
    page.get_by_label("Número o folio de la identificación").fill("123456789")
    page.get_by_role("button", name="Registrar identificación").click()
    page.get_by_role(
        "link", name="Solicitar para una hija, hijo, nieta o nieto menor de 18 años"
    ).click()
    page.wait_for_url("**/oficina/ventanilla/persona/solicitar-para-menor")
    assert_accessible(page)
    _fits(page)

    son = valid_curp(born_years_ago(7, dt.date.today()), "H")
    page.get_by_label("Programa").select_option(program.slug)
    page.get_by_label("Hija o hijo").check()
    page.get_by_label("CURP de la niña o el niño").fill(son)
    # A birth date that is not the CURP's: refused on its field, nothing made.
    page.get_by_label("Fecha de nacimiento de la niña o el niño").fill("2015-01-01")
    page.get_by_label("Nombre(s)").fill("Luis")
    page.get_by_label("Primer apellido", exact=True).fill("Pérez")
    page.get_by_label("¿Qué estudia ahora?").select_option("primaria")
    page.get_by_label("No", exact=True).check()
    _submit(page, "Empezar solicitud")
    assert "no coincide con la CURP" in page.locator("#birth_date-error").inner_text()
    assert_accessible(page)
    _fits(page)
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        assert Citizen.get_or_none(Citizen.curp == son) is None
        db.close()

    born = born_years_ago(7, dt.date.today())
    page.get_by_label("Fecha de nacimiento de la niña o el niño").fill(born.isoformat())
    _submit(page, "Empezar solicitud")
    assert "/oficina/ventanilla/solicitudes/" in page.url
    assert "Jorge" in page.locator("#para-quien").inner_text()
    assert_accessible(page)
    _fits(page)

    scan = tmp_path / "acta.pdf"
    scan.write_bytes(MINIMAL_PDF)
    page.locator("input[type=file]").set_input_files(scan)
    _submit(page, "Subir")
    _submit(page, "Enviar solicitud")
    assert "enviada" in page.locator("body").inner_text()
    assert_accessible(page)
    _fits(page)
    folio = page.url.rsplit("/", 1)[1]

    page.get_by_role("link", name="Volver al expediente").click()
    assert "para Luis" in page.locator("li", has_text=folio).inner_text()
    assert_accessible(page)
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        application = Application.get(Application.folio == folio)
        child = Citizen.get_by_id(application.citizen_id)
        assert (child.curp, application.guardian_id, application.status) == (
            son,
            father.id,
            "enviada",
        )
        db.close()
    context.close()
