"""Kiosk mode for shared touch terminals.

A terminal is a kiosk when the whole deployment says so (``KIOSK_MODE``) or
when a signed-in staff member marked this browser with the device cookie at
``/oficina/kiosco``. Nothing else makes a browser a kiosk: no link, no query
string. The cookie holds a signed marker, nothing about any person.

A kiosk reset must leave nothing of the last person and keep the marker: it
sends ``Clear-Site-Data: "cache", "storage"`` and expires every other cookie
of the portal by name (:data:`PERSON_COOKIES`), instead of clearing all
cookies and handing the marker back in a URL (which let any link turn any
browser into a kiosk).
"""

from __future__ import annotations

from typing import TypeGuard

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

DEVICE_COOKIE = "vu_kiosco"
IDLE_SECONDS = 60
COUNTDOWN_SECONDS = 30
CLEAR_SITE_DATA = '"cache", "storage"'


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kiosk-device")


def device_marker(staff_id: int) -> str:
    return _serializer().dumps({"kiosk": True, "by": staff_id})


def valid_marker(marker: str | None) -> TypeGuard[str]:
    if not marker or len(marker) > 200:
        return False
    try:
        return bool(_serializer().loads(marker).get("kiosk"))
    except BadSignature:
        return False


def is_kiosk() -> bool:
    return bool(current_app.config["KIOSK_MODE"]) or valid_marker(
        request.cookies.get(DEVICE_COOKIE)
    )


def set_device_cookie(response, marker: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        marker,
        max_age=5 * 365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["PORTAL_ENV"] == "production",
    )


def forget_the_person(response) -> None:
    """Expire every cookie of the portal but the device marker (a kiosk reset)."""
    from portal.web.i18n import LANGUAGE_COOKIE
    from portal.web.sessions import csrf_cookie_name

    app = current_app
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    for name in (app.config["SESSION_COOKIE_NAME"], csrf_cookie_name(app), LANGUAGE_COOKIE):
        response.delete_cookie(name, path="/")
