"""Kiosk mode for shared touch terminals.

A terminal is a kiosk when the whole deployment says so (``KIOSK_MODE``) or
when a staff member marked this browser with the device cookie. The cookie
holds a signed marker, nothing about any person. A kiosk reset sends
``Clear-Site-Data``, which wipes every cookie, the marker included; the reset
therefore redirects through ``/kiosco/reanudar?t=<marker>``, which sets the
marker again and goes to the start page.
"""

from __future__ import annotations

from typing import TypeGuard

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

DEVICE_COOKIE = "vu_kiosco"
IDLE_SECONDS = 60
COUNTDOWN_SECONDS = 30
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


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
