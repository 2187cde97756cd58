"""A demo persona signs in through the provider's real pages in Chromium,
accepts the privacy notice, completes the profile and signs out; a kiosk
reset leaves nothing of the previous person behind, back button included."""

from __future__ import annotations

import pytest

from portal.citizens import oidc
from portal.web.kiosk import DEVICE_COOKIE, device_marker
from tests.support.idp import run_idp

from .conftest import assert_accessible


@pytest.fixture(scope="module")
def provider(live_app, live_server):
    """The provider with the live portal as its client; restored afterwards."""
    callback = f"{live_server}/auth/callback"
    clients = [
        {
            "client_id": "ventanilla",
            "client_secret": "ventanilla-dev-secret",
            "redirect_uris": [callback],
            "post_logout_redirect_uris": [f"{live_server}/"],
        }
    ]
    saved = {k: live_app.config[k] for k in ("OIDC_ISSUER", "OIDC_REDIRECT_URI", "PORTAL_BASE_URL")}
    with run_idp(clients=clients) as server:
        live_app.config.update(
            OIDC_ISSUER=server.issuer, OIDC_REDIRECT_URI=callback, PORTAL_BASE_URL=live_server
        )
        with live_app.app_context():
            oidc.init_app(live_app)
        yield server
    live_app.config.update(saved)
    with live_app.app_context():
        oidc.init_app(live_app)


def sign_in_at_provider(page, login: str) -> None:
    """The provider's own pages (not ours: no axe here)."""
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "cualquiera")
    page.click("button[type=submit]")
    page.wait_for_selector("button[autofocus], button[type=submit]")
    if "/interaction/" in page.url:
        page.click("button[type=submit]")


def test_persona_signs_in_completes_profile_and_signs_out(page, base_url, provider):
    page.goto(base_url + "/entrar")
    assert_accessible(page)
    page.get_by_role("button", name="Continuar a la Llave Digital").click()
    sign_in_at_provider(page, "juana")
    page.wait_for_url("**/mis-datos/aviso**")
    assert_accessible(page)
    page.get_by_role("button", name="Aceptar y continuar").click()
    assert page.locator(".error-summary").is_visible()
    assert_accessible(page)
    page.get_by_label("Leí el aviso de privacidad").check()
    page.get_by_role("button", name="Aceptar y continuar").click()
    page.wait_for_url("**/mis-datos/editar")
    assert_accessible(page)
    page.get_by_label("Por correo electrónico").check()
    page.locator("input[name=email]").fill("")
    page.get_by_role("button", name="Guardar").click()
    assert_accessible(page)
    assert page.locator(".error-summary").is_visible()
    page.locator("input[name=email]").fill("juana@example.org")
    page.locator("select[name=road_type]").select_option("Calle")
    page.locator("input[name=road_name]").fill("Hidalgo")
    page.locator("input[name=exterior_number]").fill("12")
    page.locator("input[name=postal_code]").fill("76000")
    page.locator("select[name=municipality]").select_option("22014")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url("**/mis-datos")
    assert_accessible(page)
    assert "Hidalgo" in page.locator("main").inner_text()
    assert "CURJ780308MQTRMN05" in page.locator("main").inner_text()
    page.get_by_role("button", name="Salir").click()
    # The provider asks to confirm its own sign-out, then returns home.
    page.click("button[name=logout]")
    page.wait_for_url(base_url + "/?state=*")
    assert_accessible(page)
    assert page.goto(base_url + "/mis-datos").url.startswith(base_url + "/entrar")


def test_profile_completion_works_without_javascript(browser, base_url, provider):
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = context.new_page()
    page.goto("/entrar")
    page.get_by_role("button", name="Continuar a la Llave Digital").click()
    sign_in_at_provider(page, "rosa")
    page.wait_for_url("**/mis-datos/aviso**")
    page.get_by_label("Leí el aviso de privacidad").check()
    page.get_by_role("button", name="Aceptar y continuar").click()
    # Without JavaScript "Buscar" posts the form back with the municipality's localities.
    page.locator("select[name=municipality]").select_option("22009")
    page.get_by_role("button", name="Buscar localidades y colonias").click()
    page.locator("select[name=locality_code]").select_option("220090001")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url("**/mis-datos")
    assert "Jalpan" in page.locator("main").inner_text()
    context.close()


def test_kiosk_reset_leaves_nothing_behind(browser, base_url, provider, live_app):
    context = browser.new_context(base_url=base_url)
    with live_app.test_request_context():
        marker = device_marker(1)
    host = base_url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": DEVICE_COOKIE, "value": marker, "domain": host, "path": "/"}])
    page = context.new_page()
    page.goto("/entrar")
    assert page.locator("body.kiosk").count() == 1
    page.get_by_role("button", name="Continuar a la Llave Digital").click()
    sign_in_at_provider(page, "ana")
    page.wait_for_url("**/mis-datos/aviso**")
    page.get_by_label("Leí el aviso de privacidad").check()
    page.get_by_role("button", name="Aceptar y continuar").click()
    page.goto("/mis-datos")
    assert_accessible(page)
    assert "PEJA971009MQTXMN08" in page.content()
    page.get_by_role("button", name="Terminar y salir").click()
    page.wait_for_url(base_url + "/")
    assert_accessible(page)
    page.go_back()
    page.wait_for_load_state()
    assert "PEJA971009MQTXMN08" not in page.content()
    page.goto("/mis-datos")
    assert "/entrar" in page.url
    assert "PEJA971009MQTXMN08" not in page.content()
    # The terminal is still a kiosk for the next person.
    assert page.locator("body.kiosk").count() == 1
    context.close()
