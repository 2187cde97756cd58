"""Profile fields: the one list of what a person may tell the portal about themselves.

A profile is a plain ``dict`` from field name to a typed value, and it tells
apart two kinds of "we don't know":

* a field that is **absent** has not been asked yet; the questionnaire may ask it;
* a field whose value is **None** was asked and answered "No sé". Conditions on it
  stay undecided (``maybe``), and the questionnaire does not ask it again.

Raw answers (strings from forms, values from JSON) become typed values through
:func:`parse_value` and :func:`parse_profile`; :func:`profile_to_json` goes back.
Derived fields (``age``, ``income_per_capita``, ``in_state``, ``state``) are never
stored: :func:`derive` computes them for an evaluation date and a state.

Typed values: ``birth_date`` is a ``date``; ``household_size`` an ``int``;
``household_income_monthly`` an ``int`` or ``float`` (pesos); ``children_ages`` and
``enrolled`` are tuples; booleans are ``bool``; the rest are ``str``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from portal.messages import Text, _l

Profile = dict[str, Any]

# The raw answer a form sends for "No sé"; JSON profiles use null instead.
DONT_KNOW = "no-se"
# The raw answer for an empty list ("no tengo hijas ni hijos menores de 18 años").
NONE_OF_THEM = "ninguno"

DEFAULT_STATE_CODE = "22"  # Querétaro

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MUNICIPALITY_RE = re.compile(r"^(0[1-9]|[12][0-9]|3[0-2])(?!000)[0-9]{3}$")
STATE_RE = re.compile(r"^(0[1-9]|[12][0-9]|3[0-2])$")
STATE_CODES = tuple(f"{n:02d}" for n in range(1, 33))

# Marks a field that is not in the profile, since None already means "No sé".
_ABSENT = object()


class Kind(StrEnum):
    """What sort of value a field holds; it decides parsing and the operators allowed."""

    DATE = "date"
    CHOICE = "choice"
    INTEGER = "integer"
    MONEY = "money"
    BOOLEAN = "boolean"
    AGES = "ages"
    SLUGS = "slugs"
    MUNICIPALITY = "municipality"
    STATE = "state"


@dataclass(frozen=True)
class Field:
    """One profile field.

    ``label`` is the Spanish name shown to people (in errors and "faltan datos").
    ``sources`` is empty for answered fields; a derived field lists the answered
    fields it is computed from, so a condition on ``age`` asks for ``birth_date``.
    """

    name: str
    kind: Kind
    label: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    sources: tuple[str, ...] = ()

    @property
    def derived(self) -> bool:
        return bool(self.sources)


STUDENT_LEVELS = ("ninguno", "primaria", "secundaria", "preparatoria", "licenciatura", "posgrado")
EMPLOYMENTS = (
    "empleo_formal",
    "empleo_informal",
    "desempleo",
    "estudiante",
    "hogar",
    "jubilado",
)
SEXES = ("H", "M", "X")  # as in the CURP

_FIELD_LIST = (
    Field("birth_date", Kind.DATE, "fecha de nacimiento"),
    Field("sex", Kind.CHOICE, "sexo", choices=SEXES),
    Field("municipality", Kind.MUNICIPALITY, "municipio"),
    Field("household_size", Kind.INTEGER, "personas en el hogar", minimum=1, maximum=40),
    Field(
        "household_income_monthly",
        Kind.MONEY,
        "ingreso mensual del hogar",
        minimum=0,
        maximum=10_000_000,
    ),
    Field("children_ages", Kind.AGES, "edades de hijas e hijos", minimum=0, maximum=17),
    Field("student_level", Kind.CHOICE, "nivel de estudios actual", choices=STUDENT_LEVELS),
    Field("employment", Kind.CHOICE, "ocupación", choices=EMPLOYMENTS),
    Field("disability", Kind.BOOLEAN, "discapacidad"),
    Field("indigenous", Kind.BOOLEAN, "pertenencia a un pueblo indígena"),
    Field("pregnant", Kind.BOOLEAN, "embarazo"),
    Field("enrolled", Kind.SLUGS, "programas que ya recibe"),
    Field("age", Kind.INTEGER, "edad", minimum=0, maximum=130, sources=("birth_date",)),
    Field(
        "income_per_capita",
        Kind.MONEY,
        "ingreso por persona",
        minimum=0,
        sources=("household_income_monthly", "household_size"),
    ),
    Field("in_state", Kind.BOOLEAN, "vivir en el estado", sources=("municipality",)),
    Field("state", Kind.STATE, "estado", choices=STATE_CODES, sources=("municipality",)),
)

FIELDS: dict[str, Field] = {f.name: f for f in _FIELD_LIST}
# Fields a person answers, in the order used to break ties between questions.
ANSWERED_FIELDS: tuple[str, ...] = tuple(f.name for f in _FIELD_LIST if not f.derived)
DERIVED_FIELDS: tuple[str, ...] = tuple(f.name for f in _FIELD_LIST if f.derived)
# `enrolled` is not a rule field: the engine itself checks enrollment and exclusion groups.
RULE_FIELDS: tuple[str, ...] = tuple(name for name in FIELDS if name != "enrolled")


def sources_of(field: str) -> tuple[str, ...]:
    """The answered fields a rule on ``field`` needs."""
    spec = FIELDS[field]
    return spec.sources or (spec.name,)


class AnswerError(ValueError):
    """An answer that cannot be read; the message is plain Spanish for the person."""


class ProfileError(ValueError):
    """A profile with unreadable answers; ``errors`` maps field name to Spanish message."""

    def __init__(self, errors: Mapping[str, Text]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.errors.items()))


def parse_value(field: str, raw: Any, *, on: date | None = None) -> Any:
    """Turn one raw answer into its typed value, or raise :class:`AnswerError`.

    ``raw`` may be a form string or a JSON value. ``None`` and :data:`DONT_KNOW`
    mean "No sé" and give ``None``. With ``on``, a birth date after it is refused,
    so that ages are never negative.
    """
    spec = FIELDS.get(field)
    if spec is None:
        raise AnswerError(_l("No existe la pregunta «%(field)s».", field=field))
    if spec.derived:
        raise AnswerError(
            _l(
                "«%(field)s» se calcula a partir de: %(sources)s.",
                field=field,
                sources=", ".join(spec.sources),
            )
        )
    if raw is None or raw == DONT_KNOW:
        return None
    parser = _PARSERS[spec.kind]
    value = parser(spec, raw)
    if spec.kind is Kind.DATE and on is not None and isinstance(value, date) and value > on:
        raise AnswerError(_l("La fecha no puede ser posterior a hoy."))
    return value


def parse_profile(data: Mapping[str, Any], *, on: date | None = None) -> Profile:
    """Parse every answer in ``data``; raise :class:`ProfileError` listing every bad one."""
    profile: Profile = {}
    errors: dict[str, Text] = {}
    for field, raw in data.items():
        try:
            profile[field] = parse_value(field, raw, on=on)
        except AnswerError as exc:
            errors[field] = exc.args[0]
    if errors:
        raise ProfileError(errors)
    return profile


def read_profiles(text: str, *, on: date | None = None) -> list[Profile]:
    """Profiles from one JSON object, or from JSON lines with one object per line.

    This is the input of ``flask eligibility check``. Raises :class:`ProfileError`;
    for JSON lines, the field names in its errors are prefixed with the line number.
    """
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None  # not one document: read it as JSON lines
    if isinstance(whole, dict):
        return [parse_profile(whole, on=on)]
    profiles = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ProfileError({f"línea {number}": f"JSON inválido: {exc.msg}"}) from None
        if not isinstance(data, dict):
            raise ProfileError({f"línea {number}": "cada línea debe ser un objeto JSON"})
        try:
            profiles.append(parse_profile(data, on=on))
        except ProfileError as exc:
            raise ProfileError(
                {f"línea {number}: {field}": msg for field, msg in exc.errors.items()}
            ) from None
    return profiles


def profile_to_json(profile: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-ready copy: dates as YYYY-MM-DD, tuples as lists, "No sé" as null."""
    out: dict[str, Any] = {}
    for field, value in profile.items():
        if isinstance(value, date):
            out[field] = value.isoformat()
        elif isinstance(value, tuple):
            out[field] = list(value)
        else:
            out[field] = value
    return out


def age_on(birth_date: date, on: date) -> int:
    """Whole years lived on ``on``.

    Someone born on 29 February turns a year older on 1 March in common years,
    because (2, 28) still sorts before (2, 29).
    """
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def derive(profile: Mapping[str, Any], on: date, state_code: str = DEFAULT_STATE_CODE) -> Profile:
    """The profile plus its derived fields on ``on`` for the state ``state_code``.

    A derived field is None ("No sé") when any of its sources is None, and absent
    when a source is absent, so that the questionnaire knows what is still worth
    asking. Raises :class:`ProfileError` for values that cannot be derived from.
    """
    if not STATE_RE.match(state_code):
        raise ValueError(f"state_code must be an INEGI state code 01-32, not {state_code!r}")
    values: Profile = dict(profile)

    birth_date = profile.get("birth_date", _ABSENT)
    if birth_date is None:
        values["age"] = None
    elif birth_date is not _ABSENT:
        if birth_date > on:
            raise ProfileError(
                {"birth_date": _l("La fecha de nacimiento es posterior a la fecha de evaluación.")}
            )
        values["age"] = age_on(birth_date, on)

    income = profile.get("household_income_monthly", _ABSENT)
    size = profile.get("household_size", _ABSENT)
    if income is None or size is None:
        values["income_per_capita"] = None
    elif income is not _ABSENT and size is not _ABSENT:
        if size < 1:
            raise ProfileError({"household_size": _l("En el hogar vive al menos una persona.")})
        values["income_per_capita"] = income / size

    municipality = profile.get("municipality", _ABSENT)
    if municipality is None:
        values["in_state"] = None
        values["state"] = None
    elif municipality is not _ABSENT:
        values["state"] = municipality[:2]
        values["in_state"] = municipality[:2] == state_code
    return values


def _parse_date(spec: Field, raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    try:
        value = date.fromisoformat(str(raw).strip())
    except ValueError:
        raise AnswerError(
            _l("Escriba la fecha como año-mes-día, por ejemplo 1990-05-31.")
        ) from None
    if value.year < 1900:
        raise AnswerError(_l("Revise el año: debe ser 1900 o posterior."))
    return value


def _parse_choice(spec: Field, raw: Any) -> str:
    value = str(raw).strip()
    if value not in spec.choices and value.upper() in spec.choices:
        value = value.upper()  # "m" for M, as people type CURP letters
    if value not in spec.choices:
        raise AnswerError(
            _l("Elija una de las opciones: %(choices)s.", choices=", ".join(spec.choices))
        )
    return value


def _parse_integer(spec: Field, raw: Any) -> int:
    if isinstance(raw, bool):
        raise AnswerError(_l("Escriba un número entero."))
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        if not re.fullmatch(r"[0-9]+", text):
            raise AnswerError(_l("Escriba un número entero, por ejemplo 4."))
        value = int(text)
    _check_range(spec, value)
    return value


def _parse_money(spec: Field, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise AnswerError(_l("Escriba una cantidad en pesos."))
    if isinstance(raw, (int, float)):
        value: int | float = raw
    else:
        # People write "$9,000" or "9 000"; commas here separate thousands, never decimals.
        text = re.sub(r"[\s$,]", "", str(raw))
        if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
            raise AnswerError(_l("Escriba una cantidad en pesos, por ejemplo 9000."))
        value = float(text) if "." in text else int(text)
    _check_range(spec, value)
    return value


def _check_range(spec: Field, value: float) -> None:
    if spec.minimum is not None and value < spec.minimum:
        raise AnswerError(_l("Escriba un número de %(minimum)s o más.", minimum=spec.minimum))
    if spec.maximum is not None and value > spec.maximum:
        raise AnswerError(
            _l("Escriba un número de %(maximum)s o menos.", maximum=f"{spec.maximum:,}")
        )


_TRUE = {"si", "sí", "true", "1"}
_FALSE = {"no", "false", "0"}


def _parse_boolean(spec: Field, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise AnswerError(_l("Responda sí o no."))


def _parse_ages(spec: Field, raw: Any) -> tuple[int, ...]:
    if raw == NONE_OF_THEM:
        return ()
    if isinstance(raw, str):
        parts: list[Any] = [part for part in re.split(r"[\s,;y]+", raw.strip()) if part]
        if not parts:
            raise AnswerError(_l("Escriba las edades separadas por comas, por ejemplo 2, 6."))
    elif isinstance(raw, (list, tuple)):
        parts = list(raw)
    else:
        raise AnswerError(_l("Escriba las edades separadas por comas, por ejemplo 2, 6."))
    ages = []
    for part in parts:
        try:
            ages.append(_parse_integer(spec, part))
        except AnswerError:
            raise AnswerError(
                _l(
                    "Escriba edades en años cumplidos, de %(minimum)s a %(maximum)s, "
                    "separadas por comas.",
                    minimum=spec.minimum,
                    maximum=spec.maximum,
                )
            ) from None
    return tuple(sorted(ages))


def _parse_slugs(spec: Field, raw: Any) -> tuple[str, ...]:
    parts = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(parts, (list, tuple)):
        raise AnswerError(_l("Indique los programas como una lista."))
    slugs: list[str] = []
    for part in parts:
        slug = str(part).strip()
        if not SLUG_RE.match(slug):
            raise AnswerError(_l("«%(slug)s» no es la clave de un programa.", slug=slug))
        if slug not in slugs:
            slugs.append(slug)
    return tuple(slugs)


def _parse_municipality(spec: Field, raw: Any) -> str:
    value = str(raw).strip() if isinstance(raw, str) else raw
    if not isinstance(value, str) or not MUNICIPALITY_RE.match(value):
        raise AnswerError(_l("Elija su municipio de la lista."))
    return value


_PARSERS = {
    Kind.DATE: _parse_date,
    Kind.CHOICE: _parse_choice,
    Kind.INTEGER: _parse_integer,
    Kind.MONEY: _parse_money,
    Kind.BOOLEAN: _parse_boolean,
    Kind.AGES: _parse_ages,
    Kind.SLUGS: _parse_slugs,
    Kind.MUNICIPALITY: _parse_municipality,
}
