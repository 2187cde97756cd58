"""In Chromium at 412 px, with axe: the municipal coverage map on
/estadisticas within the 50 KB first-visit budget, drawn from the municipal
boundaries, the nearest delivery points and state offices to a typed postal
code (JavaScript on and off), and the profile's address
picked from the catalogs with "Buscar" (JavaScript on and off)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.citizens import record as citizens
from portal.models import Citizen
from portal.web.sessions import create_session_row
from tests.factories import make_citizen

from .conftest import assert_accessible

PHONE = {"width": 412, "height": 823}
FIRST_VISIT_BUDGET = 50 * 1024


def _weighed(context, page, path):
    """Open ``path`` with an empty cache; bytes on the wire (compressed, as sent)."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: list[float] = []
    cdp.on("Network.loadingFinished", lambda event: sizes.append(event["encodedDataLength"]))
    page.goto(path, wait_until="networkidle")
    return sum(sizes)


def _fits_the_screen(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_municipal_map_fits_a_phone_within_the_page_budget(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport=PHONE)
    page = context.new_page()
    weight = _weighed(context, page, "/estadisticas")
    assert weight <= FIRST_VISIT_BUDGET, f"{weight} bytes"
    figure = page.locator("figure.map")
    expect(figure.get_by_role("img", name="Mapa de cobertura por municipio")).to_be_visible()
    assert figure.locator("path.map-area").count() == 18
    assert figure.locator("circle").count() == 0
    box = figure.locator("svg").bounding_box()
    assert box is not None and box["width"] <= PHONE["width"] and box["height"] > 200
    expect(figure.get_by_role("row", name="Querétaro", exact=False).first).to_be_visible()
    _fits_the_screen(page)
    assert_accessible(page)
    context.close()


@pytest.mark.parametrize("javascript", [True, False])
def test_a_visitor_finds_the_nearest_delivery_points(browser, base_url, javascript):
    context = browser.new_context(base_url=base_url, viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    weight = _weighed(context, page, "/puntos-cercanos")
    assert weight <= FIRST_VISIT_BUDGET, f"{weight} bytes"
    if javascript:
        assert_accessible(page)
    page.get_by_label("Código postal").fill("76800")
    page.get_by_role("button", name="Buscar puntos cercanos").click()
    first = page.locator("ol.points > li").first
    expect(first).to_contain_text("San Juan del Río")
    expect(first).to_contain_text("en línea recta")
    office = page.locator("ol.offices > li").first
    expect(office).to_contain_text("Oficina de Atención Ciudadana San Juan del Río")
    expect(office).to_contain_text("Lunes a viernes")
    drawn = page.get_by_role("img", name="Mapa de los puntos de entrega cercanos", exact=False)
    expect(drawn).to_be_visible()
    assert drawn.locator("rect.map-office").count() >= 1
    _fits_the_screen(page)
    if javascript:
        assert_accessible(page)
    page.get_by_label("Código postal").fill("01000")
    page.get_by_role("button", name="Buscar puntos cercanos").click()
    expect(page.locator("#cp-error")).to_contain_text("No encontramos ese código postal")
    if javascript:
        assert_accessible(page)
    context.close()


@pytest.mark.parametrize("javascript", [True, False])
def test_a_person_picks_their_address_from_the_catalogs(browser, base_url, live_app, javascript):
    with live_app.app_context():
        person = make_citizen(privacy_version=citizens.PRIVACY_VERSION, municipality=None)
        sid = create_session_row({"_user_id": person.get_id(), "_fresh": True})
    context = browser.new_context(base_url=base_url, viewport=PHONE, java_script_enabled=javascript)
    context.add_cookies([{"name": "vu_sesion", "value": sid, "url": base_url}])
    page = context.new_page()
    page.goto("/mis-datos/editar")
    if javascript:
        assert_accessible(page)
    page.get_by_label("Municipio").select_option(label="San Juan del Río")
    page.get_by_label("Código postal").fill("76840")
    page.get_by_role("button", name="Buscar localidades y colonias").click()
    expect(page.get_by_label("Localidad")).to_contain_text("San Juan del Río")
    expect(page.get_by_label("Colonia o asentamiento")).to_contain_text("Cuarto Centenario")
    if javascript:
        assert_accessible(page)
    page.get_by_label("Localidad").select_option("220160001")
    page.get_by_label("Colonia o asentamiento").select_option(label="Cuarto Centenario (Pueblo)")
    page.get_by_label("Tipo de vialidad").select_option("Avenida")
    page.get_by_label("Nombre de la calle").fill("Juárez")
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator(".flashes")).to_contain_text("Guardamos sus datos")
    _fits_the_screen(page)
    with live_app.app_context():
        stored = Citizen.get_by_id(person.id)
        assert (stored.locality_code, stored.settlement_name, stored.postal_code) == (
            "220160001",
            "Cuarto Centenario",
            "76840",
        )
    context.close()
