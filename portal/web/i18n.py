"""Spanish first; other languages for whoever asks for them.

Two things follow the language a person picks (the ``vu_idioma`` cookie):

* the interface (every ``gettext`` string), only in languages that have a
  compiled catalog in ``portal/translations`` (:data:`INTERFACE_LANGUAGES`);
* the content (program texts, questions, reasons), which staff enter per
  language: ``portal/catalog/content.py`` shows each text in the first
  language of :attr:`Language.fallback` that has it.

A language without interface strings (Otomí, for now) still shows its
content: the interface falls back along the same chain, to Spanish.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, request

LANGUAGE_COOKIE = "vu_idioma"
SOURCE_LANGUAGE = "es"

# Called with the language a person picks on /idioma/<code>: the citizens area
# remembers it for a signed-in person (what their e-mail and SMS are written in).
on_language_chosen: list[Callable[[str], None]] = []


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639: the cookie, /idioma/<code> and the catalog files' ``i18n`` keys
    tag: str  # BCP 47, for lang="..." attributes
    name: str  # as its speakers write it
    spanish_name: str  # for staff, in the editor
    fallback: tuple[str, ...]  # where a missing text is looked for next, ending in Spanish
    interface: bool = False  # portal/translations has its interface strings
    # The language switch's link, in the language itself: never a phrase
    # nobody who speaks it wrote, so a language without one shows its name.
    offer: str = ""


# Querétaro's Indigenous languages are Otomí variants (INALI's catalogue):
# hñöñho in Amealco, hñähñu in the semi-desert (Tolimán, Cadereyta, Colón). They
# fall back to Spanish, not to each other: the variants are not mutually
# intelligible enough to stand in for one another (see docs/languages.md).
LANGUAGES_BY_CODE: dict[str, Language] = {
    language.code: language
    for language in (
        Language("es", "es-MX", "Español", "Español", (), True, "Ver en español"),
        Language("en", "en", "English", "Inglés", ("es",), True, "View in English"),
        Language("otq", "otq", "Hñöñho", "Otomí de Querétaro (Amealco)", ("es",)),
        Language("ote", "ote", "Hñähñu", "Otomí del Valle del Mezquital (semidesierto)", ("es",)),
    )
}
LANGUAGES = tuple(LANGUAGES_BY_CODE)
# The languages content may be translated into (Spanish is what is translated).
CONTENT_LANGUAGES = tuple(code for code in LANGUAGES if code != SOURCE_LANGUAGE)
INTERFACE_LANGUAGES = tuple(code for code, lang in LANGUAGES_BY_CODE.items() if lang.interface)


def chain(code: str) -> tuple[str, ...]:
    """``code`` and the languages its missing texts come from, ending in Spanish."""
    language = LANGUAGES_BY_CODE.get(code, LANGUAGES_BY_CODE[SOURCE_LANGUAGE])
    return (language.code, *language.fallback)


def tag(code: str) -> str:
    """The BCP 47 tag of ``code`` for a ``lang`` attribute."""
    language = LANGUAGES_BY_CODE.get(code)
    return language.tag if language else code


def content_language() -> str:
    """The language the person picked (Spanish outside a request or when none)."""
    if not has_request_context():
        return SOURCE_LANGUAGE
    # Asked for every text a page shows: read from the cookie once per request.
    # (Kept on the request, not on g, which an app context's requests share.)
    found: str | None = getattr(request, "_vu_content_language", None)
    if found is None:
        code = request.cookies.get(LANGUAGE_COOKIE)
        found = code if code in LANGUAGES_BY_CODE else SOURCE_LANGUAGE
        request._vu_content_language = found  # type: ignore[attr-defined]
    return found


def interface_language(code: str) -> str:
    """The interface language of a reader of ``code``: the first of its chain that
    has its strings."""
    return next(found for found in chain(code) if found in INTERFACE_LANGUAGES)


def select_locale() -> str:
    """The interface language of the person making the request."""
    return interface_language(content_language())


class Localized(str):
    """A text and the language it is written in (a code of ``LANGUAGES_BY_CODE``)."""

    lang: str

    def __new__(cls, text: str, lang: str) -> Localized:
        made = super().__new__(cls, text)
        made.lang = lang
        return made


Blocks = Sequence[tuple[str, Mapping[str, Any] | None]]


def pick(spanish: str, blocks: Blocks, key: str) -> Localized:
    """``key`` from the first of ``blocks`` (language code and its texts, in the
    order of the person's chain after Spanish) that has it, else ``spanish``."""
    for code, texts in blocks:
        if texts and texts.get(key):
            return Localized(texts[key], code)
    return Localized(spanish, SOURCE_LANGUAGE)


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
