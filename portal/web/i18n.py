"""Spanish first; English for whoever asks for it."""

from __future__ import annotations

from flask import current_app, has_request_context, request

LANGUAGES = ("es", "en")
LANGUAGE_COOKIE = "vu_idioma"


def select_locale() -> str:
    if not has_request_context():
        return "es"  # the queue, commands and domain code outside a request
    lang = request.cookies.get(LANGUAGE_COOKIE)
    return lang if lang in LANGUAGES else "es"


def set_language_cookie(response, lang: str) -> None:
    """A plain cookie (no session, pages stay cacheable); Secure in production."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["PORTAL_ENV"] == "production",
    )
