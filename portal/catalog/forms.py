"""The form an agency admin fills to translate a program into one language.

Its fields follow the program: one per Spanish text it has (the description
and the benefit's description only when there is one), one per document and
hint, one per distinct reason. Each field's hint shows the Spanish it
translates; a field left blank means "no translation" (people read the
Spanish). Lengths are the catalog's (:data:`portal.catalog.schema.TRANSLATED_TEXTS`).
"""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.catalog.schema import REASON_LIMIT, REQUIREMENT_TEXTS, TRANSLATED_TEXTS, Program
from portal.messages import _l
from portal.web.forms import BaseForm

STALE_FORM = _l("El formulario caducó. Vuelva a abrirlo.")


def _too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("Escriba a lo más %(max)d caracteres.", max=limit))


class TranslationForm(BaseForm):
    """Base of the forms :func:`translation_form` builds for one program."""

    version = HiddenField(
        validators=[DataRequired(STALE_FORM), Regexp(r"^\d{1,9}$", message=STALE_FORM)]
    )

    # (field name, path in the i18n block) of each text field, set by translation_form().
    paths: list[tuple[str, tuple[str, ...]]] = []
    # The Spanish each field translates, by field name.
    spanish: dict[str, str] = {}

    def texts(self) -> dict[str, Any]:
        """What was typed, in the shape of one language of a program's ``i18n``."""
        found: dict[str, Any] = {}
        for name, path in self.paths:
            value = self[name].data or ""
            if not value:
                continue
            place = found
            for key in path[:-1]:
                place = place.setdefault(key, {})
            place[path[-1]] = value
        return found


def translation_form(program: Program, current: dict[str, Any], **kwargs: Any) -> TranslationForm:
    """A form for ``program``'s texts, filled with ``current`` (its i18n in the language)."""
    labels = {
        "name": _l("Nombre del programa"),
        "summary": _l("Resumen"),
        "description": _l("Descripción"),
        "population": _l("Para quién es"),
        "benefit": _l("Qué se entrega"),
    }
    spanish_texts = {
        "name": program.name,
        "summary": program.summary,
        "description": program.description,
        "population": program.population,
        "benefit": program.benefit.description,
    }
    fields: dict[str, Any] = {}
    paths: list[tuple[str, tuple[str, ...]]] = []
    spanish: dict[str, str] = {}
    data: dict[str, Any] = {}

    def add(name: str, path: tuple[str, ...], label: Any, source: str, limit: int) -> None:
        kind = StringField if limit <= 200 else TextAreaField
        fields[name] = kind(label, validators=[Optional(), _too_long(limit)])
        paths.append((name, path))
        spanish[name] = source
        place: Any = current
        for key in path:
            place = place.get(key, {}) if isinstance(place, dict) else {}
        data[name] = place if isinstance(place, str) else ""

    for key, limit in TRANSLATED_TEXTS.items():
        source = spanish_texts[key]
        if source:
            add(key, (key,), labels[key], source, limit)
    for i, r in enumerate(program.requirements):
        add(
            f"requirement-{i}-name",
            ("requirements", r.slug, "name"),
            _l("Documento %(n)d: nombre", n=i + 1),
            r.name,
            REQUIREMENT_TEXTS["name"],
        )
        if r.hint:
            add(
                f"requirement-{i}-hint",
                ("requirements", r.slug, "hint"),
                _l("Documento %(n)d: indicación", n=i + 1),
                r.hint,
                REQUIREMENT_TEXTS["hint"],
            )
    for i, reason in enumerate(dict.fromkeys(c.reason for c in program.eligibility)):
        add(f"reason-{i}", ("reasons", reason), _l("Razón %(n)d", n=i + 1), reason, REASON_LIMIT)

    form_class = type(
        "ProgramTranslationForm",
        (TranslationForm,),
        {**fields, "paths": paths, "spanish": spanish},
    )
    if "formdata" not in kwargs:
        kwargs["data"] = {**data, **kwargs.pop("data", {})}
    return form_class(**kwargs)
