"""Kiosk mode comes from the kiosk's own configuration or from staff, never a link."""

from __future__ import annotations

from portal.web.kiosk import DEVICE_COOKIE, device_marker, is_kiosk
from tests.factories import make_citizen, make_staff
from tests.support.html import html


def _is_kiosk_page(client) -> bool:
    return "kiosk" in (html(client.get("/entrar")).body.get("class") or [])


def test_a_link_with_a_valid_marker_does_not_turn_a_browser_into_a_kiosk(app, client):
    with app.test_request_context():
        marker = device_marker(1)
    response = client.get(f"/kiosco/reanudar?t={marker}")
    assert response.status_code == 404
    assert client.get_cookie(DEVICE_COOKIE) is None
    assert not _is_kiosk_page(client)


def test_kiosk_mode_from_the_deployment_setting(app, client):
    app.config["KIOSK_MODE"] = True
    assert _is_kiosk_page(client)


def test_signed_in_staff_mark_a_browser_as_kiosk(app, client, login):
    login(make_staff())
    response = client.post("/oficina/kiosco", data={"kiosk": "1"})
    assert response.status_code == 303
    assert client.get_cookie(DEVICE_COOKIE) is not None
    assert _is_kiosk_page(client)


def test_anonymous_post_cannot_mark_a_kiosk(client):
    response = client.post("/oficina/kiosco", data={"kiosk": "1"})
    assert response.status_code in (302, 303)
    assert client.get_cookie(DEVICE_COOKIE) is None


def test_a_citizen_cannot_mark_a_kiosk(client, login):
    login(make_citizen())
    assert client.post("/oficina/kiosco", data={"kiosk": "1"}).status_code == 403
    assert client.get_cookie(DEVICE_COOKIE) is None


def test_kiosk_reset_expires_the_persons_cookies_and_keeps_the_marker(app, client, login):
    with app.test_request_context():
        marker = device_marker(1)
    client.set_cookie(DEVICE_COOKIE, marker)
    client.set_cookie("vu_idioma", "en")
    login(make_citizen())
    response = client.post("/salir", data={"reason": "idle"})
    assert response.headers["Location"] == "/"
    assert "cookies" not in response.headers["Clear-Site-Data"]
    expired = {c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie")}
    assert {"vu_sesion", "vu_csrf", "vu_idioma"} <= expired
    assert client.get_cookie(DEVICE_COOKIE).value == marker
    assert client.get_cookie("vu_idioma") is None
    with app.test_request_context(headers={"Cookie": f"{DEVICE_COOKIE}={marker}"}):
        assert is_kiosk()
