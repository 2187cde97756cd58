"""How a stored value reads to a person: one formatting layer for every page.

A profile keeps internal keys and typed values (``household_income_monthly``,
``False``, ``(2, 6)``, ``"22014"``, ``None``). People read "Ingreso mensual del
hogar: $8,000 al mes", "No", "2 y 6 años", "Querétaro", "No sé". Every page,
the people-facing CSV and printouts go through these functions, and so does the
questionnaire's check-your-answers page (:meth:`Question.display` calls
:func:`describe`), so an answer reads the same wherever it is shown.

Numbers and dates are formatted by Babel in the request's language (Spanish
outside a request): "$8,000", "3 de diciembre de 2026" / "December 3, 2026".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from typing import Any

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal
from flask import has_request_context

from portal.eligibility.profile import FIELDS, AnswerError, Kind, parse_value
from portal.messages import Message, _l, gettext, ngettext

# Mexican Spanish: "$8,000" (Spain's "es" would group with dots).
SOURCE_LOCALE = "es_MX"

# The human name of every profile field, capitalized, as a row's label. The
# Spanish is FIELDS[name].label (tests/web/test_values.py keeps them in step).
FIELD_LABELS: dict[str, Message] = {
    "birth_date": _l("Fecha de nacimiento"),
    "sex": _l("Sexo"),
    "municipality": _l("Municipio"),
    "household_size": _l("Personas en el hogar"),
    "household_income_monthly": _l("Ingreso mensual del hogar"),
    "children_ages": _l("Edades de hijas e hijos"),
    "student_level": _l("Nivel de estudios actual"),
    "employment": _l("Ocupación"),
    "disability": _l("Discapacidad"),
    "indigenous": _l("Pertenencia a un pueblo indígena"),
    "pregnant": _l("Embarazo"),
    "enrolled": _l("Programas que ya recibe"),
    "age": _l("Edad"),
    "income_per_capita": _l("Ingreso por persona"),
    "in_state": _l("Vivir en el estado"),
    "state": _l("Estado"),
}

# Monthly amounts read "al mes".
MONTHLY = ("household_income_monthly", "income_per_capita")

NOTIFY_CHANNELS: dict[str, Message] = {
    "portal": _l("este portal"),
    "email": _l("correo"),
    "sms": _l("mensaje de texto"),
}

# The citizen record's fields (portal/citizens/models.py), as a row's label.
RECORD_LABELS: dict[str, Message] = {
    "curp": _l("CURP"),
    "given_names": _l("Nombre(s)"),
    "first_surname": _l("Primer apellido"),
    "second_surname": _l("Segundo apellido"),
    "birth_date": _l("Fecha de nacimiento"),
    "sex": _l("Sexo"),
    "email": _l("Correo"),
    "phone": _l("Teléfono"),
    "notify_channel": _l("Avisos por"),
    "language": _l("Idioma"),
    "road_type": _l("Tipo de vialidad"),
    "road_name": _l("Calle"),
    "exterior_number": _l("Número exterior"),
    "interior_number": _l("Número interior"),
    "settlement_type": _l("Tipo de asentamiento"),
    "settlement_name": _l("Colonia"),
    "postal_code": _l("Código postal"),
    "locality": _l("Localidad"),
    "locality_code": _l("Clave INEGI de la localidad"),
    "municipality": _l("Municipio"),
    "state": _l("Entidad"),
    "privacy_version": _l("Versión del aviso de privacidad aceptado"),
    "privacy_accepted_at": _l("Aviso de privacidad aceptado el"),
    "origin": _l("Origen del registro"),
    "created_at": _l("Alta"),
    "updated_at": _l("Último cambio"),
}

ORIGINS: dict[str, Message] = {
    "digital_id": _l("Llave Digital"),
    "assisted": _l("Registro en oficina"),
    "import": _l("Padrón de un programa"),
}

# The answers shown above a list of answers, from the digital ID or the record.
IDENTITY_FIELDS = ("birth_date", "sex", "municipality", "enrolled")


def _locale() -> str:
    if not has_request_context():
        return SOURCE_LOCALE
    from flask_babel import get_locale

    found = get_locale()
    if found is None or found.language == "es":
        return SOURCE_LOCALE
    return str(found)


# Plain formatters


@lru_cache(maxsize=4096)
def _decimal(number: float | int, pattern: str, locale: str) -> str:
    # Babel parses the locale and the pattern on every call; a results page
    # shows an amount per program, and the same amounts on every visit.
    return format_decimal(number, format=pattern, locale=locale)


def money(amount: float | int | None, *, empty: str = "—") -> str:
    """An amount in pesos as people read it: "$8,000", "$1,234.50", "-$300"."""
    if amount is None:
        return empty
    pattern = "#,##0" if amount == int(amount) else "#,##0.00"
    text = _decimal(abs(amount), pattern, _locale())
    return f"-${text}" if amount < 0 else f"${text}"


def people_count(number: int, *, signed: bool = False) -> str:
    """A count of people with thousands separated: "1,234"; ``signed`` for a
    difference: "+1,234", "-56", "0"."""
    text = _decimal(abs(number), "#,##0", _locale())
    if number < 0:
        return f"-{text}"
    return f"+{text}" if signed and number > 0 else text


def long_date(value: dt.date | None) -> str:
    """A date in words: "3 de diciembre de 2026"."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return format_date(value, "long", locale=_locale())


def yes_no(value: bool) -> str:
    return gettext("Sí") if value else gettext("No")


def dont_know() -> str:
    return gettext("No sé")


def ages_text(ages: Iterable[int], none_label: str | None = None) -> str:
    """Children's ages: "2 y 6 años", "1 año", or "Ninguna" for an empty list."""
    listed = [str(age) for age in ages]
    if not listed:
        return none_label or gettext("Ninguna")
    joined = format_list(listed, locale=_locale())
    return ngettext("%(ages)s año", "%(ages)s años", 1 if listed == ["1"] else 2, ages=joined)


def sex_label(code: str | None) -> str:
    """H / M / X as in the CURP: "Hombre", "Mujer", "No binario (X)"."""
    if not code:
        return gettext("Sin dato")
    return value_label("sex", code)


def notify_label(channel: str | None) -> str:
    """How the person gets notices: "este portal", "correo", "mensaje de texto"."""
    label = NOTIFY_CHANNELS.get(channel or "")
    return str(label) if label is not None else gettext("Sin dato")


def municipality_name(code: str | None) -> str:
    """An INEGI municipality code ("22014") as its name ("Querétaro")."""
    if not code:
        return gettext("Sin dato")
    return _option_labels("municipality").get(code) or gettext(
        "Municipio de otro estado (clave %(code)s)", code=code
    )


def state_name(code: str) -> str:
    from portal.citizens.curp import STATES

    names = {inegi: name for inegi, name in STATES.values()}
    return names.get(code, code)


def birth_state_name(renapo: str) -> str:
    """The state of birth of a CURP (characters 12-13, "QT") by its name."""
    from portal.citizens.curp import STATES

    if renapo == "NE":
        return gettext("Nacida o nacido en el extranjero")
    found = STATES.get(renapo)
    return found[1] if found is not None else renapo


def field_label(name: str) -> str:
    """The human name of a profile field: "Ingreso mensual del hogar"."""
    label = FIELD_LABELS.get(name)
    if label is not None:
        return str(label)
    spec = FIELDS.get(name)
    return spec.label.capitalize() if spec is not None else name.replace("_", " ").capitalize()


def record_field_label(name: str) -> str:
    """The human name of a record field or a questionnaire answer ("profile.sex"),
    as a correction request names it: "Calle", "Sexo"."""
    if name.startswith("profile."):
        return field_label(name.removeprefix("profile."))
    label = RECORD_LABELS.get(name)
    return str(label) if label is not None else field_label(name)


def record_value(name: str, value: Any) -> str:
    """A value of the citizen record as people read it (codes by their names)."""
    if value is None or value == "":
        return ""
    if name == "sex":
        return sex_label(value)
    if name == "notify_channel":
        return notify_label(value)
    if name == "municipality":
        return municipality_name(value)
    if name == "state" and isinstance(value, str) and value.isdigit():
        return state_name(value)
    if name == "origin":
        origin = ORIGINS.get(value)
        return str(origin) if origin is not None else str(value)
    if name == "language":
        from portal.web.i18n import LANGUAGES_BY_CODE

        language = LANGUAGES_BY_CODE.get(value)
        return language.name if language is not None else str(value)
    if isinstance(value, bool):
        return yes_no(value)
    return str(value)


# Values of the profile


def _option_labels(name: str) -> dict[str, str]:
    """A question's options (value -> label), in the person's language."""
    from portal.eligibility import flow

    questions = flow.shown_questions() if has_request_context() else flow.questions()
    question = questions.get(name)
    return {o.value: str(o.label) for o in question.options} if question is not None else {}


def _program_names(slugs: Iterable[str]) -> list[str]:
    from portal.catalog import content

    names = []
    for slug in slugs:
        found = content.program(slug) if has_request_context() else None
        names.append(str(found.name) if found is not None else slug.replace("-", " ").capitalize())
    return names


def typed(name: str, value: Any) -> Any:
    """A stored answer (JSON: "2026-12-03", [2, 6]) as its typed value; a value
    that does not parse is kept as it is."""
    spec = FIELDS.get(name)
    if spec is None or spec.derived or value is None:
        return value
    if spec.kind is Kind.DATE and isinstance(value, dt.date):
        return value
    try:
        return parse_value(name, value)
    except AnswerError:
        return value


def describe(
    name: str,
    value: Any,
    *,
    options: Mapping[str, str] | None = None,
    none_label: str | None = None,
) -> str:
    """The one reading of a profile value.

    ``options`` are the question's option labels (value -> label) when the
    caller has them (the questionnaire, in the person's language); otherwise
    they are looked up. ``none_label`` says an empty list in the question's words.
    """
    spec = FIELDS.get(name)
    value = typed(name, value)
    if value is None:
        return dont_know()
    if isinstance(value, bool):
        return yes_no(value)
    kind = spec.kind if spec is not None else None
    if kind in (Kind.CHOICE, Kind.MUNICIPALITY) and isinstance(value, str):
        labels = options if options is not None else _option_labels(name)
        if value in labels:
            return str(labels[value])
        if kind is Kind.MUNICIPALITY:
            return municipality_name(value)
    if kind is Kind.STATE and isinstance(value, str):
        return state_name(value)
    if isinstance(value, dt.date):
        return long_date(value)
    if kind is Kind.MONEY and isinstance(value, int | float):
        amount = money(value)
        return gettext("%(amount)s al mes", amount=amount) if name in MONTHLY else amount
    if kind is Kind.AGES and isinstance(value, list | tuple):
        return ages_text(value, none_label)
    if kind is Kind.SLUGS and isinstance(value, list | tuple):
        return ", ".join(_program_names(value)) or gettext("Ninguno")
    if name == "age" and isinstance(value, int):
        return ngettext("%(num)d año", "%(num)d años", value)
    if isinstance(value, int | float):
        return format_decimal(value, locale=_locale())
    if isinstance(value, list | tuple):
        return ", ".join(describe(name, item) for item in value) or gettext("Ninguno")
    return str(value).replace("_", " ")


def value_label(name: str, value: Any) -> str:
    """A stored value as people read it: "Mujer", "$8,000 al mes", "2 y 6 años", "No sé"."""
    return describe(name, value)


def answer_rows(
    profile: Mapping[str, Any] | None, skip: Collection[str] = ()
) -> list[tuple[str, str]]:
    """The questionnaire answers as (label, text), in the questionnaire's order.

    Keys that are not profile fields are left out: they are not answers.
    """
    profile = profile or {}
    order = {name: i for i, name in enumerate(FIELDS)}
    names = sorted((n for n in profile if n in FIELDS and n not in skip), key=order.__getitem__)
    return [(field_label(name), value_label(name, profile[name])) for name in names]
