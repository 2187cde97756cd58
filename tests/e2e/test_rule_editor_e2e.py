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
    page.select_option("#conditions-0-field", "age")
    page.select_option("#conditions-0-op", "gte")
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
