"""Spanish first; English for whoever asks for it."""

from __future__ import annotations

from flask import request

LANGUAGES = ("es", "en")
LANGUAGE_COOKIE = "vu_idioma"


def select_locale() -> str:
    lang = request.cookies.get(LANGUAGE_COOKIE)
    return lang if lang in LANGUAGES else "es"
