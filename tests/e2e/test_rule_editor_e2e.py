"""The guided rule editor in Chromium, with and without JavaScript: an agency
admin creates a program in forms (no YAML), adds and removes rows, is refused a
bad value on its field, adds an example and tries it, saves a draft and sends
it to review; the agency's supervisor publishes it and it is in the public
catalog.
axe finds no violations on any state of the pages (in the run with JavaScript)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.web.extensions import db
from tests.factories import make_agency, make_municipality, make_staff

from .conftest import assert_accessible, portal_of_its_own
from .test_delivery_e2e import signed_in


@pytest.fixture(scope="module")
def editor_server(tmp_path_factory):
    with portal_of_its_own(tmp_path_factory.mktemp("editor-e2e")) as (app, address):
        db.connect(reuse_if_open=True)
        yield app, address


@pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
def test_an_agency_admin_creates_a_program_with_the_guided_editor(
    browser, editor_server, javascript
):
    _app, base_url = editor_server
    make_municipality()
    agency = make_agency()
    admin = make_staff("admin_dependencia", agency)
    slug = f"apoyo-mayores-{'js' if javascript else 'html'}"
    page = signed_in(browser, base_url, admin, javascript=javascript).new_page()
    # axe needs JavaScript: the run with it on checks the same server-rendered states.
    check = assert_accessible if javascript else (lambda page: None)

    page.goto("/oficina/programas")
    page.get_by_role("link", name="Crear un programa").click()
    expect(page.get_by_role("heading", name="Programa nuevo")).to_be_visible()
    assert page.locator("textarea.yaml").count() == 0
    check(page)

    page.fill("#slug", slug)
    page.fill("#name", f"Apoyo a personas mayores ({slug})")
    page.fill("#summary", "Un apoyo bimestral para personas de 65 años o más.")
    page.fill("#population", "Personas de 65 años o más que viven en Querétaro.")
    page.fill("#benefit_amount", "1,500")
    page.select_option("#benefit_period", "bimestral")
    # With JavaScript each choice redraws the conditions (htmx): wait for it, as a person would.
    page.select_option("#conditions-0-field", "age")
    if javascript:
        settled(page)
    page.select_option("#conditions-0-op", "gte")
    if javascript:
        settled(page)
    page.get_by_role("button", name="Mostrar los valores de los datos elegidos").click()
    page.fill("#conditions-0-value", "sesenta y cinco")
    page.fill("#conditions-0-reason", "Tener 65 años o más")

    page.get_by_role("button", name="Agregar un documento").click()
    page.fill("#requirements-0-name", "Identificación oficial")
    page.fill("#requirements-0-slug", "identificacion")
    page.check("#requirements-0-formats-0")
    page.get_by_role("button", name="Agregar una convocatoria").click()
    page.fill("#calls-0-opens", "2026-01-01")
    page.fill("#calls-0-closes", "2027-12-31")
    page.get_by_role("button", name="Agregar una condición").click()
    expect(page.locator("#condicion-2")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Quitar la condición 2").click()
    expect(page.locator("#condicion-2")).to_have_count(0)

    page.get_by_role("button", name="Guardar").first.click()
    expect(page.locator("#conditions-0-value-error")).to_contain_text("número entero")
    expect(page.locator(".error-summary a[href='#conditions-0-value']")).to_be_visible()
    check(page)

    page.fill("#conditions-0-value", "65")
    page.get_by_role("button", name="Agregar un ejemplo").click()
    page.fill("#examples-0-name", "Señora de 70 años")
    page.select_option("#examples-0-verdict", "eligible")
    page.fill("#examples-0-on", "2026-06-01")
    page.fill("#examples-0-birth_date", "1956-03-01")
    page.get_by_role("button", name="Probar los ejemplos").click()
    expect(page.locator("#tabla-ejemplos tbody tr").first).to_contain_text("Sí")
    check(page)
    page.get_by_role("button", name="Guardar").first.click()
    expect(page).to_have_url(f"{base_url}/oficina/programas/{slug}/versiones/1")
    expect(page.get_by_text("Borrador guardado: versión 1.")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Enviar a revisión").click()
    expect(page.locator("#estado-version")).to_contain_text("En revisión")

    page.goto("/programas")
    expect(page.get_by_text(f"Apoyo a personas mayores ({slug})")).to_have_count(0)

    supervisor = make_staff("supervisor", agency)
    review = signed_in(browser, base_url, supervisor, javascript=javascript).new_page()
    review.goto(f"/oficina/programas/{slug}/versiones/1")
    check(review)
    review.get_by_role("button", name="Publicar esta versión").click()
    expect(review.locator("#estado-version")).to_contain_text("Publicada")

    review.goto("/programas")
    expect(review.get_by_text(f"Apoyo a personas mayores ({slug})")).to_be_visible()


def settled(page) -> None:
    """Wait until htmx has finished its request, swap and settle."""
    # htmx marks the element while it asks, swaps and settles (set as the event fires).
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def htmx_post(page, act) -> None:
    """Do ``act`` (a click or a choice that htmx posts) and wait for the swap, on
    the same page (no reload: a marker set on the window survives)."""
    page.evaluate("window.__misma_pagina = true")
    with page.expect_response(lambda r: r.request.method == "POST"):
        act()
    settled(page)
    assert page.evaluate("window.__misma_pagina === true")


def answer_the_questionnaire(page, birth_date: str) -> None:
    from tests.eligibility.test_questionnaire_views import ANSWERS

    answers = {**ANSWERS, "birth_date": birth_date}
    page.goto("/cuestionario")
    page.get_by_role("link", name="Comenzar").click()
    for _ in range(12):
        if "/pregunta/" not in page.url:
            break
        field = page.url.rsplit("/", 1)[1]
        control = page.locator("[name=answer]").first
        kind = control.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind == "input:radio":
            page.check(f"input[name=answer][value='{answers[field]}']")
        elif kind.startswith("select"):
            page.select_option("select[name=answer]", answers[field])
        else:
            page.fill("input[name=answer]", answers[field])
        before = page.url
        page.get_by_role("button", name="Continuar").click()
        page.wait_for_url(lambda url, before=before: url != before)
    page.get_by_role("link", name="Ver mis resultados").click()


def test_htmx_rows_preview_and_the_secretariats_validation_publish_a_program(
    browser, editor_server
):
    """The journey of issue 17's "done when", with JavaScript: rows added and
    removed by htmx (only their list swapped, focus moved, the change announced),
    the preview, an example, the draft sent to review; the secretariat validates
    it and the program is in the catalog and the questionnaire's results."""
    app, base_url = editor_server
    app.config["PROGRAM_REVIEWER"] = "secretaria"
    try:
        make_municipality()
        agency = make_agency()
        admin = make_staff("admin_dependencia", agency)
        slug = "apoyo-validado"
        name = "Apoyo validado por la Secretaría"
        page = signed_in(browser, base_url, admin).new_page()
        page.goto("/oficina/programas/nuevo")
        page.fill("#slug", slug)
        page.fill("#name", name)
        page.fill("#summary", "Un apoyo para personas de 65 años o más.")
        page.fill("#population", "Personas de 65 años o más que viven en Querétaro.")
        page.fill("#benefit_amount", "1500")
        page.select_option("#benefit_period", "bimestral")

        # A condition's field chosen: htmx redraws the conditions with its kind's inputs.
        htmx_post(page, lambda: page.select_option("#conditions-0-field", "municipality"))
        expect(page.locator("input[name='conditions-0-options']")).to_have_count(18)
        expect(page.locator("#name")).to_have_value(name)  # typed elsewhere: kept
        page.focus("#conditions-0-field")  # as a person choosing in it; htmx keeps the focus
        htmx_post(page, lambda: page.select_option("#conditions-0-field", "age"))
        expect(page.locator("#conditions-0-field")).to_be_focused()
        htmx_post(page, lambda: page.select_option("#conditions-0-op", "gte"))
        page.fill("#conditions-0-value", "65")
        page.fill("#conditions-0-reason", "Tener 65 años o más")

        htmx_post(page, lambda: page.get_by_role("button", name="Agregar una condición").click())
        expect(page.locator("#condicion-2")).to_be_visible()
        expect(page.locator("#conditions-1-field")).to_be_focused()
        expect(page.locator("#editor-aviso")).to_have_text("Se agregó: Condición 2.")
        assert_accessible(page)
        htmx_post(page, lambda: page.get_by_role("button", name="Quitar la condición 2").click())
        expect(page.locator("#condicion-2")).to_have_count(0)
        expect(page.locator("#agregar-conditions")).to_be_focused()
        expect(page.locator("#editor-aviso")).to_contain_text("Se quitó: Condición 2.")
        expect(page.locator("#conditions-0-value")).to_have_value("65")

        htmx_post(page, lambda: page.get_by_role("button", name="Agregar un documento").click())
        expect(page.locator("#requirements-0-name")).to_be_focused()
        page.keyboard.type("Identificación oficial")
        page.fill("#requirements-0-slug", "identificacion")
        page.check("#requirements-0-formats-0")
        htmx_post(page, lambda: page.get_by_role("button", name="Agregar una convocatoria").click())
        page.fill("#calls-0-opens", "2026-01-01")
        page.fill("#calls-0-closes", "2027-12-31")
        htmx_post(
            page, lambda: page.get_by_role("button", name="Agregar un punto de entrega").click()
        )
        page.fill("#points-0-name", "Oficina central")
        page.fill("#points-0-address", "Av. Pasteur 10, Centro")
        page.fill("#points-0-lat", "20.59")
        page.fill("#points-0-lon", "-100.39")
        page.fill("#points-0-hours", "Lunes a viernes de 9 a 15")
        expect(page.locator("#requirements-0-name")).to_have_value("Identificación oficial")
        assert_accessible(page)
        page.get_by_role("button", name="Guardar").first.click()
        expect(page).to_have_url(f"{base_url}/oficina/programas/{slug}/versiones/1")

        # The preview, then an example, on the draft.
        page.goto(f"/oficina/programas/{slug}/editor")
        htmx_post(
            page,
            lambda: page.get_by_role("button", name="Ver la vista previa en el registro").click(),
        )
        expect(page.locator("#tabla-vista-previa")).to_be_visible()
        assert_accessible(page)
        htmx_post(page, lambda: page.get_by_role("button", name="Agregar un ejemplo").click())
        expect(page.locator("#examples-0-name")).to_be_focused()
        page.fill("#examples-0-name", "Señora de 70 años")
        page.select_option("#examples-0-verdict", "eligible")
        page.fill("#examples-0-on", "2026-06-01")
        page.fill("#examples-0-birth_date", "1956-03-01")
        page.get_by_role("button", name="Probar los ejemplos").click()
        expect(page.locator("#tabla-ejemplos tbody tr").first).to_contain_text("Sí")
        page.get_by_role("button", name="Guardar").first.click()
        expect(page).to_have_url(f"{base_url}/oficina/programas/{slug}/versiones/2")
        page.get_by_role("button", name="Enviar a revisión").click()
        expect(page.locator("#estado-version")).to_contain_text("En revisión")
        page.goto("/programas")
        expect(page.get_by_text(name)).to_have_count(0)

        # The agency's supervisor does not publish it: the secretariat does.
        supervisor = signed_in(browser, base_url, make_staff("supervisor", agency)).new_page()
        supervisor.goto(f"/oficina/programas/{slug}/versiones/2")
        expect(supervisor.get_by_role("button", name="Publicar esta versión")).to_have_count(0)

        secretary = signed_in(browser, base_url, make_staff("secretaria")).new_page()
        secretary.goto("/oficina/secretaria/validacion")
        secretary.get_by_role("link", name=f"{name}, versión 2").click()
        assert_accessible(secretary)
        secretary.get_by_role("button", name="Empezar la revisión").click()
        for choice in secretary.locator("input[type=radio][value=aceptado]").all():
            choice.check()
        secretary.get_by_role("button", name="Guardar la decisión").click()
        expect(secretary.get_by_text("Decisión guardada")).to_be_visible()

        page.goto(f"/oficina/programas/{slug}/versiones/2")
        expect(page.locator("#estado-version")).to_contain_text("Publicada")
        page.goto("/programas")
        expect(page.get_by_text(name)).to_be_visible()
        answer_the_questionnaire(page, "1950-03-01")
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(1)
        assert_accessible(page)
    finally:
        app.config["PROGRAM_REVIEWER"] = "supervisor"
