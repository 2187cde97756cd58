"""Content in other languages in Chromium, with and without JavaScript, axe clean:
an agency admin enters a program's English texts in the translation editor and
the program's page in English shows them, with Spanish (marked ``lang="es-MX"``)
where a text was left untranslated; a signed-in person who switches to English
reads their notices and their documents' names and hints in English, and the
portal remembers the language for their e-mail."""

from __future__ import annotations

import pytest

from portal.applications import workflow as apps
from portal.catalog.store import load_catalog
from portal.models import Citizen, Program
from portal.web.extensions import db
from tests.catalog_builders import demo_catalog
from tests.conftest import sign_in_as
from tests.factories import make_application, make_citizen, make_staff

from .conftest import assert_accessible, portal_of_its_own

JS = pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
DESCRIPTION = "El apoyo se deposita en una tarjeta bancaria"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    folder = tmp_path_factory.mktemp("languages-e2e")
    # No page cache: each run reads the texts it has just saved.
    with portal_of_its_own(folder, QUEUE_IMMEDIATE=True, PAGE_CACHE_SECONDS=0) as served:
        app, _ = served
        _in_app(app, lambda: load_catalog(demo_catalog()))
        yield served


def _in_app(app, make):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return make()
        finally:
            db.close()


def _context(browser, app, base, user, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    if user is not None:
        client = app.test_client()
        with app.app_context():
            sign_in_as(client, user)
        cookie = client.get_cookie("vu_sesion")
        context.add_cookies([{"name": "vu_sesion", "value": cookie.value, "url": base}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@JS
def test_an_admin_enters_english_texts_and_the_page_falls_back_to_spanish(
    browser, portal, javascript
):
    app, base = portal
    admin = _in_app(app, lambda: make_staff("admin_estatal"))
    name = f"Contigo Card ({'js' if javascript else 'no js'})"
    context, page = _context(browser, app, base, admin, javascript)
    page.goto(f"{base}/oficina/programas/tarjeta-contigo/idioma/en")
    if javascript:
        assert_accessible(page)
    field = page.get_by_label("Nombre del programa")
    assert field.get_attribute("lang") == "en"
    field.fill(name)
    page.get_by_label("Descripción").fill("")  # left untranslated: Spanish shows
    page.get_by_role("button", name="Guardar en un borrador").click()
    # Like any change, the translation is a draft until its review publishes it.
    page.wait_for_url("**/oficina/programas/tarjeta-contigo/versiones/*")
    assert page.get_by_text("Traducción guardada en el borrador").is_visible()
    if javascript:
        assert_accessible(page)
    page.get_by_role("button", name="Enviar a revisión").click()
    page.wait_for_url("**/oficina/programas/tarjeta-contigo/versiones/*")
    version_url = page.url
    context.close()
    supervisor = _in_app(
        app,
        lambda: make_staff("supervisor", Program.get(Program.slug == "tarjeta-contigo").agency),
    )
    context, page = _context(browser, app, base, supervisor, javascript)
    page.goto(version_url)
    page.get_by_role("button", name="Publicar esta versión").click()
    assert "Publicada" in page.locator("#estado-version").inner_text()
    context.close()

    anonymous, public = _context(browser, app, base, None, javascript)
    public.goto(f"{base}/programas/tarjeta-contigo")
    public.get_by_role("link", name="View in English").click()
    public.wait_for_url("**/programas/tarjeta-contigo")
    assert public.locator("html").get_attribute("lang") == "en"
    assert public.locator("h1").inner_text() == name
    spanish = public.locator("p", has_text=DESCRIPTION)
    assert spanish.get_attribute("lang") == "es-MX"
    if javascript:
        assert_accessible(public)
    anonymous.close()


@JS
def test_a_person_switches_to_english_and_reads_notices_and_documents_in_english(
    browser, portal, javascript
):
    app, base = portal

    def world():
        program = Program.get(Program.slug == "tarjeta-contigo")
        citizen = make_citizen()
        rejected = make_application(citizen, program, status="en_revision")
        apps.reject(rejected, apps.Actor("personal", None, "admin_estatal"), "Falta la firma.")
        draft = make_application(
            citizen, Program.get(Program.slug == "adultos-mayores"), status="borrador"
        )
        return citizen, draft.folio

    citizen, draft = _in_app(app, world)
    context, page = _context(browser, app, base, citizen, javascript)
    page.goto(f"{base}/avisos")
    assert "fue rechazada" in page.locator(".notice p").first.inner_text()
    page.get_by_role("link", name="View in English").click()
    page.wait_for_url("**/avisos")
    body = page.locator(".notice p").first
    assert "was rejected. Reason:" in body.inner_text()
    assert body.locator("span[lang='es-MX']").inner_text() == "Falta la firma."
    if javascript:
        assert_accessible(page)
    assert _in_app(app, lambda: Citizen.get_by_id(citizen.id).language) == "en"

    page.goto(f"{base}/mis-solicitudes/{draft}/documentos")
    section = page.locator("section.requirement").first
    assert section.locator("h3").inner_text().startswith("Valid official ID")
    assert "INE" in section.locator("p.hint").first.inner_text()
    assert section.locator("p.hint").first.get_attribute("lang") is None
    if javascript:
        assert_accessible(page)
    context.close()
