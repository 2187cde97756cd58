"""Program texts in the person's language, field by field (docs/languages.md).

Each text a person reads about a program (name, summary, description, who it
is for, what is given, each document's name and hint, each reason) is looked
for along the person's language chain (``portal.web.i18n.chain``): the first
language that has it wins, Spanish last. Each text comes back as a
:class:`portal.web.i18n.Localized` string that knows its language, so a page
can mark an English page's Spanish fallback with ``lang="es-MX"`` (``lang_attr``).

The localized programs are built from the compiled catalog that
:func:`portal.catalog.store.engine_catalog` keeps in memory, once per language
and catalog version: list pages issue no query per program.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from markupsafe import Markup
from peewee import DatabaseError, InterfaceError

from portal.catalog.schema import Condition, Program, Requirement
from portal.catalog.store import engine_catalog
from portal.eligibility.engine import CompiledCatalog
from portal.web.i18n import (
    INTERFACE_LANGUAGES,
    LANGUAGES_BY_CODE,
    SOURCE_LANGUAGE,
    Localized,
    chain,
    content_language,
    pick,
    select_locale,
    tag,
)
from portal.web.pagecache import KeptForSeconds

# A language is offered to people (the switch in the footer) once some program
# has at least these texts in it: a stray field is not yet a translation.
OFFERED_WHEN = ("name", "summary")


def _blocks(program: Program, lang: str) -> list[tuple[str, Mapping[str, Any] | None]]:
    return [(code, program.i18n.get(code)) for code in chain(lang) if code != SOURCE_LANGUAGE]


def localize(program: Program, lang: str) -> Program:
    """``program`` with each of its texts in the first language of ``lang``'s chain
    that has it (Spanish otherwise); rules, dates and amounts unchanged."""
    blocks = _blocks(program, lang)

    def text(spanish: str | None, key: str) -> Localized | None:
        return None if spanish is None else pick(spanish, blocks, key)

    def requirement(r: Requirement) -> Requirement:
        documents = [
            (code, (texts or {}).get("requirements", {}).get(r.slug)) for code, texts in blocks
        ]
        return replace(
            r,
            name=pick(r.name, documents, "name"),
            hint=None if r.hint is None else pick(r.hint, documents, "hint"),
        )

    def condition(c: Condition) -> Condition:
        said = [(code, (texts or {}).get("reasons")) for code, texts in blocks]
        return replace(c, reason=pick(c.reason, said, c.reason))

    return replace(
        program,
        name=pick(program.name, blocks, "name"),
        summary=pick(program.summary, blocks, "summary"),
        description=text(program.description, "description"),
        population=pick(program.population, blocks, "population"),
        benefit=replace(program.benefit, description=text(program.benefit.description, "benefit")),
        requirements=tuple(requirement(r) for r in program.requirements),
        eligibility=tuple(condition(c) for c in program.eligibility),
    )


class _LocalizedCache:
    """The localized programs of one compiled catalog, per language, and the
    languages its programs are translated into: rebuilt when the catalog is."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.compiled: CompiledCatalog | None = None
        self.by_language: dict[str, dict[str, Program]] = {}
        self.translated: frozenset[str] = frozenset()

    def _current(self, compiled: CompiledCatalog) -> None:
        # Called with the lock held.
        if compiled is not self.compiled:
            self.compiled, self.by_language = compiled, {}
            self.translated = frozenset(
                code
                for p in compiled.programs
                for code, texts in p.i18n.items()
                if all(texts.get(key) for key in OFFERED_WHEN)
            )

    def get(self, lang: str) -> dict[str, Program]:
        compiled = compiled_catalog()
        with self.lock:
            self._current(compiled)
            found = self.by_language.get(lang)
            if found is None:
                found = self.by_language[lang] = {
                    p.slug: localize(p, lang) for p in compiled.programs
                }
            return found

    def languages(self) -> frozenset[str]:
        compiled = compiled_catalog()
        with self.lock:
            self._current(compiled)
            return self.translated


def compiled_catalog() -> CompiledCatalog:
    """The compiled catalog, looked up once per request (store.engine_catalog):
    a page that shows twenty reasons asks whether the catalog changed once."""
    return engine_catalog()


_cache = _LocalizedCache()


def programs(lang: str | None = None) -> list[Program]:
    """The active programs in ``lang`` (the person's language by default), in the
    compiled catalog's order."""
    return list(_cache.get(lang or content_language()).values())


def program(slug: str, lang: str | None = None) -> Program | None:
    return _cache.get(lang or content_language()).get(slug)


def program_name(slug: str, spanish: str) -> str:
    """The name of the program ``slug`` in the person's language; ``spanish`` (the
    name a row holds) when the program is no longer active."""
    found = program(slug)
    return found.name if found is not None else Localized(spanish, SOURCE_LANGUAGE)


def reason(slug: str, spanish: str) -> Localized:
    """A reason of program ``slug``, as the engine gives it (in Spanish), in the
    person's language."""
    found = program(slug)
    if found is None:
        return Localized(spanish, SOURCE_LANGUAGE)
    blocks = [
        (code, (texts or {}).get("reasons")) for code, texts in _blocks(found, content_language())
    ]
    return pick(spanish, blocks, spanish)


# Every page's footer offers the languages; whether the catalog changed (a
# statement on the programs table) is asked at most once per
# ``PAGE_CACHE_SECONDS`` for it: a language whose texts were just entered is
# offered within those seconds, as a cached public page would show it.
_offered = KeptForSeconds(_cache.languages)


def offered_languages() -> list[tuple[str, str, str]]:
    """(code, name, BCP 47 tag) of each language the switch offers: those with the
    interface translated, and those in which some program has its name and summary.

    Every page's footer asks; a page about a database that cannot be read (an
    error page) still offers the interface's languages."""
    try:
        translated = _offered.get()
    except (DatabaseError, InterfaceError):
        translated = frozenset()
    return [
        (code, language.offer or language.name, language.tag)
        for code, language in LANGUAGES_BY_CODE.items()
        if code in INTERFACE_LANGUAGES or code in translated
    ]


def lang_attr(text: Any) -> Markup:
    """`` lang="..."`` for an element holding ``text`` when it is written in another
    language than the page's (an English page's Spanish fallback), else nothing."""
    lang = getattr(text, "lang", None)
    if lang is None or lang == select_locale():
        return Markup("")
    return Markup(' lang="%s"') % tag(lang)


def document_text(program: Any, requirement: Any, key: str) -> Localized | None:
    """A document's ``key`` ("name" or "hint") in the person's language, from the
    translations of ``program`` (a program row, whose ``i18n`` the page has read
    with it: no query); Spanish otherwise, None when it has no such text."""
    spanish = getattr(requirement, key)
    if not spanish:
        return None
    i18n = program.i18n or {}
    blocks = [
        (code, ((i18n.get(code) or {}).get("requirements") or {}).get(requirement.slug))
        for code in chain(content_language())
        if code != SOURCE_LANGUAGE
    ]
    return pick(spanish, blocks, key)


def in_own_language(text: Any) -> Any:
    """``text`` inside a sentence of the page, wrapped in ``<span lang="...">`` when
    it is written in another language than the page's (see :func:`lang_attr`)."""
    attr = lang_attr(text)
    return Markup("<span%s>%s</span>") % (attr, text) if attr else text
