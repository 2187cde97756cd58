"""Issue 18 in Chromium, with and without JavaScript, axe clean: a "maybe"
asks its missing answers on the way to applying."""

from __future__ import annotations

import pytest

from portal.web.extensions import db
from tests.e2e.test_applications_e2e import signed_in_context
from tests.eligibility.test_missing_answers import DISABILITY, POOR
from tests.factories import make_citizen, make_program

from .conftest import assert_accessible, portal_of_its_own


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with portal_of_its_own(tmp_path_factory.mktemp("maybe-e2e")) as served:
        yield served


def _made(app, **profile):
    with app.app_context():
        db.connect(reuse_if_open=True)
        citizen = make_citizen(profile=profile)
        program = make_program(
            name="Apoyo para hogares con discapacidad", eligibility=[POOR, DISABILITY]
        )
        db.close()
    return citizen, program.slug


def _continue(page, javascript: bool) -> None:
    before = page.url
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url(lambda url: url != before)
    page.wait_for_load_state()


@pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
def test_a_maybe_asks_the_missing_answers_then_continues_the_application(
    browser, portal, javascript
):
    app, base = portal
    citizen, slug = _made(app)
    context = signed_in_context(browser, app, base, citizen, javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    check = assert_accessible if javascript else (lambda page: None)

    page.goto(f"{base}/programas/{slug}/solicitar")
    page.wait_for_url("**/pregunta/household_size")
    assert page.get_by_text("nos falta saber esto").count() == 1
    check(page)
    page.fill("input[name=answer]", "4")
    _continue(page, javascript)
    assert page.url.endswith("/pregunta/household_income_monthly")
    check(page)
    page.fill("input[name=answer]", "8000")
    _continue(page, javascript)
    assert page.url.endswith("/pregunta/disability")
    check(page)
    page.check("input[name=answer][value='si']")
    _continue(page, javascript)
    page.wait_for_url(f"**/programas/{slug}/solicitar")
    assert page.get_by_role("button", name="Mis datos son correctos: continuar").count() == 1
    check(page)
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
def test_a_second_dont_know_ends_on_the_page_naming_what_is_missing(browser, portal, javascript):
    app, base = portal
    citizen, slug = _made(app, household_size=4, household_income_monthly=None, disability=True)
    context = signed_in_context(browser, app, base, citizen, javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    check = assert_accessible if javascript else (lambda page: None)

    page.goto(f"{base}/programas/{slug}/solicitar")
    page.wait_for_url("**/pregunta/household_income_monthly")
    assert page.locator("input[name=dont_know]").is_checked()
    check(page)
    _continue(page, javascript)
    page.wait_for_url(f"**/programas/{slug}/solicitar")
    notice = page.locator(".notice-error").inner_text()
    assert "ingreso mensual del hogar" in notice
    check(page)
    page.get_by_role("link", name="Contestar los datos que faltan").click()
    page.wait_for_url("**/pregunta/household_income_monthly")
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
def test_results_and_program_pages_show_amounts_and_totals(browser, portal, javascript):
    app, base = portal
    with app.app_context():
        db.connect(reuse_if_open=True)
        citizen = make_citizen(profile={"disability": False})
        program = make_program(
            name="Apoyo bimestral de prueba", benefit_amount=1500, benefit_period="bimestral"
        )
        db.close()
    context = signed_in_context(browser, app, base, citizen, javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    check = assert_accessible if javascript else (lambda page: None)

    page.goto(f"{base}/cuestionario/resultados")
    totals = page.locator("#total").inner_text()
    assert "al año en dinero" in totals
    card = page.locator(".program-card", has_text="Apoyo bimestral de prueba").first
    assert "$1,500 cada dos meses ($9,000 al año)" in card.inner_text()
    check(page)
    page.goto(f"{base}/programas/{program.slug}")
    assert page.get_by_text("Es decir, $9,000 al año.").count() == 1
    check(page)
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
def test_a_household_is_listed_and_the_results_speak_of_each_person(browser, portal, javascript):
    app, base = portal
    with app.app_context():
        db.connect(reuse_if_open=True)
        citizen = make_citizen(profile={"disability": False})
        make_program(
            name="Apoyo para estudiantes de primaria",
            benefit_amount=800,
            benefit_period="mensual",
            eligibility=[
                {"field": "student_level", "op": "eq", "value": "primaria", "reason": "Primaria."}
            ],
        )
        db.close()
    context = signed_in_context(browser, app, base, citizen, javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    check = assert_accessible if javascript else (lambda page: None)

    page.goto(f"{base}/cuestionario/hogar")
    check(page)
    # A daughter older than her mother: refused on the field.
    page.get_by_label("Hija o hijo").check()
    page.get_by_label("Edad en años cumplidos").fill("60")
    page.get_by_label("Mujer").check()
    page.get_by_label("¿Qué estudia ahora?").select_option("primaria")
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Agregar").click()
    page.wait_for_load_state()
    assert "Debe ser menor que usted" in page.locator(".error-summary").inner_text()
    check(page)
    page.get_by_label("Edad en años cumplidos").fill("7")
    for label in ("Hija o hijo", "Mujer"):
        page.get_by_label(label).check()
    page.get_by_label("¿Qué estudia ahora?").select_option("primaria")
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Agregar").click()
    page.wait_for_load_state()
    assert "Su hija de 7 años" in page.locator(".summary-list").inner_text()
    check(page)
    page.get_by_role("link", name="Ver los resultados").click()
    person = page.locator(".household-person").first
    assert person.locator("h3").inner_text() == "Para su hija de 7 años"
    assert "Apoyo para estudiantes de primaria" in person.inner_text()
    check(page)
    context.close()
