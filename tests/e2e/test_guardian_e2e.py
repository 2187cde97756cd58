"""Issue 18, item 2 in Chromium, with and without JavaScript, axe clean: a
mother applies for her daughter of 7 and follows it in "Mis solicitudes"."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.eligibility import household
from portal.eligibility.household import born_years_ago
from portal.models import Application
from portal.web.extensions import db
from tests.e2e.test_applications_e2e import signed_in_context
from tests.factories import make_citizen, make_program, valid_curp

from .conftest import assert_accessible, portal_of_its_own

UP_TO_12 = {
    "field": "age",
    "op": "lte",
    "value": 12,
    "reason": "Es para niñas y niños de 12 años o menos.",
}


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with portal_of_its_own(tmp_path_factory.mktemp("guardian-e2e")) as served:
        yield served


def _mother_and_program(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        mother = make_citizen(
            birth_date=dt.date(1990, 5, 17),
            profile={"household_size": 3, "household_income_monthly": 8000},
        )
        household.add_member(mother.id, household.Member("hija_hijo", 7, "M", "primaria", False))
        program = make_program(name="Útiles escolares de prueba", eligibility=[UP_TO_12])
        db.close()
    return mother, program.slug


def _submit(page, name: str) -> None:
    before = page.url
    page.get_by_role("button", name=name).click()
    page.wait_for_url(lambda url: url != before)
    page.wait_for_load_state()


@pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
def test_a_mother_applies_for_her_daughter_of_7_and_sees_it_in_mis_solicitudes(
    browser, portal, javascript
):
    app, base = portal
    mother, slug = _mother_and_program(app)
    curp = valid_curp(born_years_ago(7, dt.date.today()), "M")
    context = signed_in_context(browser, app, base, mother, javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    # axe runs in the page: only where JavaScript runs (the same pages otherwise).
    check = assert_accessible if javascript else (lambda page: None)

    page.goto(f"{base}/programas/{slug}/solicitar")
    page.get_by_role("link", name="Solicitar para su hija de 7 años").click()
    page.wait_for_url(f"**/programas/{slug}/solicitar-para/0")
    check(page)

    # A CURP that says 9 years: the message is on the field, nothing is made.
    page.get_by_label("CURP de la niña o el niño").fill(
        valid_curp(born_years_ago(9, dt.date.today()), "M")
    )
    page.get_by_label("Nombre o nombres").fill("Ana")
    page.get_by_label("Primer apellido").fill("Gómez")
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_load_state()
    assert page.locator("#curp-error").inner_text().count("y en su hogar dijo 7") == 1
    check(page)

    page.get_by_label("CURP de la niña o el niño").fill(curp)
    _submit(page, "Continuar")
    assert page.url.endswith("/documentos")
    check(page)

    page.goto(f"{base}/mis-solicitudes")
    with app.app_context():
        db.connect(reuse_if_open=True)
        folio = Application.get(Application.guardian == mother.id).folio
        db.close()
    row = page.get_by_role("row").filter(has_text=folio)
    assert row.get_by_text("Para Ana").count() == 1
    check(page)
    row.get_by_role("link", name=folio).click()
    page.wait_for_url(f"**/mis-solicitudes/{folio}")
    check(page)
    context.close()
