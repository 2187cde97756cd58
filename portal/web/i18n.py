"""Spanish first; English for whoever asks for it."""

from __future__ import annotations

from flask import has_request_context, request

LANGUAGES = ("es", "en")
LANGUAGE_COOKIE = "vu_idioma"


def select_locale() -> str:
    if not has_request_context():
        return "es"  # the queue, commands and domain code outside a request
    lang = request.cookies.get(LANGUAGE_COOKIE)
    return lang if lang in LANGUAGES else "es"
