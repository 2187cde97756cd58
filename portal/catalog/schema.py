"""The program catalog: YAML files and admin forms into validated, frozen data.

One validator serves both doors: :func:`load_catalog` / :func:`parse_catalog` for
files and :func:`program_from_dict` for a program edited in a web form. Every
problem found is collected (not just the first) and raised as one
:class:`CatalogError`, each naming the file, the program and the field, e.g.::

    catalogo.yaml: programa "tarjeta-contigo": eligibility[1].op: operador desconocido "lessthan"

List positions in paths count from 0, as in yq and JSONPath.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeGuard

import yaml

from portal.eligibility.profile import (
    FIELDS,
    MUNICIPALITY_RE,
    RULE_FIELDS,
    SLUG_RE,
    STATE_CODES,
    Field,
    Kind,
    ProfileError,
    parse_profile,
    profile_to_json,
)
from portal.web.i18n import CONTENT_LANGUAGES, SOURCE_LANGUAGE

OPERATORS_BY_KIND: dict[Kind, tuple[str, ...]] = {
    Kind.DATE: ("eq", "ne", "lt", "lte", "gt", "gte", "between"),
    Kind.INTEGER: ("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between"),
    # Incomes are compared against thresholds; equality on pesos is never what a rule means.
    Kind.MONEY: ("lt", "lte", "gt", "gte", "between"),
    Kind.CHOICE: ("eq", "ne", "in", "not_in"),
    Kind.MUNICIPALITY: ("eq", "ne", "in", "not_in"),
    Kind.STATE: ("eq", "ne", "in", "not_in"),
    Kind.BOOLEAN: ("is_true", "is_false"),
    Kind.AGES: ("any_lt", "any_gte"),
}
OPERATORS = (
    "eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between",
    "any_lt", "any_gte", "is_true", "is_false",
)  # fmt: skip

BENEFIT_KINDS = {"cash": "dinero", "in_kind": "en especie", "service": "servicio"}
PERIODS = {
    "unico": "en un solo pago",
    "mensual": "cada mes",
    "bimestral": "cada dos meses",
    "trimestral": "cada tres meses",
    "semestral": "cada seis meses",
    "anual": "cada año",
}
# How many months a period lasts (``unico`` is one period, the whole schedule).
PERIOD_MONTHS = {"mensual": 1, "bimestral": 2, "trimestral": 3, "semestral": 6, "anual": 12}
DOCUMENT_FORMATS = ("pdf", "jpg", "png")
# How a benefit reaches the person, as the federal roll reports it
# (portal/rolls/federal_layout.py gives each its code in the file).
PAYMENT_METHODS = {
    "efectivo": "efectivo en un punto de entrega",
    "tarjeta": "depósito en tarjeta bancaria",
    "transferencia": "transferencia a una cuenta bancaria",
    "orden_pago": "orden de pago o cheque",
    "especie": "entrega en especie",
    "servicio": "prestación de un servicio",
}
# The methods each benefit kind may use; the first is the default.
PAYMENT_METHODS_BY_KIND = {
    "cash": ("efectivo", "tarjeta", "transferencia", "orden_pago"),
    "in_kind": ("especie",),
    "service": ("servicio",),
}
# Program and intra-program keys of the federal single roll: upper-case letters and digits.
ROLL_CODE_RE = re.compile(r"^[A-Z0-9]{1,10}$")

# What a program's ``i18n`` block may translate, and the longest text each
# takes (a translation runs a little longer than its Spanish, never pages longer).
TRANSLATED_TEXTS = {
    "name": 200,
    "summary": 600,
    "description": 5000,
    "population": 1000,
    "benefit": 600,  # the benefit's description (what is given, when not money)
}
REQUIREMENT_TEXTS = {"name": 200, "hint": 600}
REASON_LIMIT = 400

# A program's translations: {"en": {"name": ..., "requirements": {slug: {"name": ...}},
# "reasons": {Spanish reason: translated reason}}}, as the catalog file's ``i18n``.
Translations = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Agency:
    slug: str
    name: str


# A schedule never runs longer than this many periods (a monthly benefit for ten
# years): what a person's page reads about their periods stays bounded.
MAX_PERIODS = 120


@dataclass(frozen=True)
class Schedule:
    """When a benefit is paid: from ``starts`` to ``ends`` (both included), every
    ``period`` of the benefit, or on each of ``dates`` (each one starts a period
    that lasts until the day before the next; the last lasts until ``ends``).
    ``portal/delivery/periods.py`` turns it into numbered periods."""

    starts: date
    ends: date
    dates: tuple[date, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"starts": self.starts.isoformat(), "ends": self.ends.isoformat()}
        if self.dates:
            data["dates"] = [d.isoformat() for d in self.dates]
        return data


@dataclass(frozen=True)
class Benefit:
    kind: str  # a key of BENEFIT_KINDS
    amount: int | None = None  # pesos per period; required for cash
    period: str | None = None  # a key of PERIODS; required for cash
    description: str | None = None  # what is given; required for in_kind and service
    schedule: Schedule | None = None  # None: one delivery, from the approval on


@dataclass(frozen=True)
class FederalRoll:
    """How the program is named in the federal single roll (Padrón Único de
    Beneficiarios): its program key, its intra-program key (a component or
    line of the program; may be empty) and how the benefit is paid."""

    program_code: str
    intra_program_code: str = ""
    payment_method: str = ""  # a key of PAYMENT_METHODS; "" means the kind's default

    def to_dict(self) -> dict[str, Any]:
        data = {"program_code": self.program_code}
        if self.intra_program_code:
            data["intra_program_code"] = self.intra_program_code
        if self.payment_method:
            data["payment_method"] = self.payment_method
        return data


# Re-certification: how often (months) and how long after the due date the
# person may still present the proof before the benefit is suspended (days).
RECERTIFICATION_MONTHS = (1, 60)
RECERTIFICATION_GRACE_DAYS = (0, 180)


@dataclass(frozen=True)
class Recertification:
    """Every ``every_months`` months from the approval the person presents the
    requirement ``document`` again; ``grace_days`` after the due date without
    it, the benefit is suspended (portal/delivery/recertification.py)."""

    every_months: int
    document: str  # the slug of one of the program's requirements
    grace_days: int = 30

    def to_dict(self) -> dict[str, Any]:
        return {
            "every_months": self.every_months,
            "document": self.document,
            "grace_days": self.grace_days,
        }


def recertification_from_json(data: Mapping[str, Any] | None) -> Recertification | None:
    """A re-certification stored by :meth:`Recertification.to_dict` (validated), or None."""
    if not data:
        return None
    return Recertification(
        every_months=int(data["every_months"]),
        document=str(data["document"]),
        grace_days=int(data.get("grace_days", 30)),
    )


def payment_method_of(kind: str, federal: FederalRoll | None) -> str:
    """The program's payment method: the one its catalog names, else its kind's default."""
    if federal is not None and federal.payment_method:
        return federal.payment_method
    return PAYMENT_METHODS_BY_KIND.get(kind, ("",))[0]


@dataclass(frozen=True)
class Requirement:
    slug: str
    name: str
    formats: tuple[str, ...]
    hint: str | None = None
    optional: bool = False  # the document helps but an application may go without it


@dataclass(frozen=True)
class Call:
    """Convocatoria: applications are taken from ``opens`` to ``closes``, both included."""

    opens: date
    closes: date
    quota: int | None = None  # None: no limit on places

    def is_open(self, on: date) -> bool:
        return self.opens <= on <= self.closes


@dataclass(frozen=True)
class DeliveryPoint:
    name: str
    address: str
    municipality: str
    # Files and forms must give both; a point stored otherwise may lack them.
    lat: float | None
    lon: float | None
    hours: str


@dataclass(frozen=True)
class Condition:
    """One rule. ``value`` is a scalar, a (low, high) pair for ``between``, a tuple
    for ``in``/``not_in``, and None for ``is_true``/``is_false``."""

    field: str
    op: str
    value: Any
    reason: str


# What an example person must get: the engine's statuses, in the words of the editor.
VERDICTS = {"eligible": "puede recibirlo", "maybe": "tal vez", "not_eligible": "no puede recibirlo"}


@dataclass(frozen=True)
class Example:
    """A person the program's rules must judge a given way (a test case written by
    policy staff). ``profile`` holds answers as in a JSON profile (what
    :func:`portal.eligibility.profile.parse_profile` reads); ``on`` is the
    evaluation date (ages depend on it), None for the day the examples run."""

    name: str
    profile: dict[str, Any] = field(hash=False)
    verdict: str  # a key of VERDICTS
    on: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "name": self.name,
                "profile": dict(self.profile),
                "verdict": self.verdict,
                "on": self.on.isoformat() if self.on else None,
            }
        )


def examples_from_json(items: Any) -> tuple[Example, ...]:
    """Stored examples (``Example.to_dict()`` of each) as :class:`Example` rows."""
    return tuple(
        Example(
            name=item["name"],
            profile=dict(item["profile"]),
            verdict=item["verdict"],
            on=date.fromisoformat(item["on"]) if item.get("on") else None,
        )
        for item in items or []
    )


def failing_examples(program: Program, today: date) -> list[tuple[int, Example, str]]:
    """(position, example, verdict it got) of each example the rules judge otherwise."""
    from portal.eligibility.engine import evaluate  # the engine reads this module's types

    failed = []
    for i, example in enumerate(program.examples):
        profile = parse_profile(example.profile)
        on = example.on or today
        try:
            (result,) = evaluate(profile, [program], on)
            got = str(result.status)
        except ProfileError:
            got = "maybe"
        if got != example.verdict:
            failed.append((i, example, got))
    return failed


@dataclass(frozen=True)
class Program:
    slug: str
    name: str
    agency: str
    summary: str
    population: str  # who it is for, in plain words
    benefit: Benefit
    eligibility: tuple[Condition, ...]
    requirements: tuple[Requirement, ...] = ()
    calls: tuple[Call, ...] = ()  # sorted by opening date, never overlapping
    delivery_points: tuple[DeliveryPoint, ...] = ()
    description: str | None = None
    exclusion_group: str | None = None
    # Validated by the same reader as the rest; kept out of the hash (dicts are not hashable).
    i18n: Translations = field(default_factory=dict, hash=False)
    federal_roll: FederalRoll | None = None
    recertification: Recertification | None = None
    # People the rules must judge as each says (docs/catalog.md, "Ejemplos").
    examples: tuple[Example, ...] = field(default=(), hash=False)

    def current_call(self, on: date) -> tuple[Call | None, bool]:
        """The call open on ``on`` (and True), else the next one to open (and False)."""
        for call in self.calls:
            if call.closes >= on:
                return call, call.opens <= on
        return None, False

    def to_dict(self) -> dict[str, Any]:
        """The program in catalog-file shape, JSON-ready; :func:`program_from_dict` reads it back."""
        data: dict[str, Any] = {
            "slug": self.slug,
            "name": self.name,
            "agency": self.agency,
            "summary": self.summary,
        }
        if self.description is not None:
            data["description"] = self.description
        data["population"] = self.population
        if self.exclusion_group is not None:
            data["exclusion_group"] = self.exclusion_group
        data["benefit"] = _drop_none(
            {
                "kind": self.benefit.kind,
                "amount": self.benefit.amount,
                "period": self.benefit.period,
                "description": self.benefit.description,
                "schedule": self.benefit.schedule.to_dict() if self.benefit.schedule else None,
            }
        )
        data["requirements"] = [
            _drop_none(
                {
                    "slug": r.slug,
                    "name": r.name,
                    "formats": list(r.formats),
                    "hint": r.hint,
                    "optional": r.optional or None,
                }
            )
            for r in self.requirements
        ]
        data["calls"] = [
            _drop_none(
                {"opens": c.opens.isoformat(), "closes": c.closes.isoformat(), "quota": c.quota}
            )
            for c in self.calls
        ]
        data["delivery_points"] = [
            {
                "name": p.name,
                "address": p.address,
                "municipality": p.municipality,
                "lat": p.lat,
                "lon": p.lon,
                "hours": p.hours,
            }
            for p in self.delivery_points
        ]
        data["eligibility"] = [
            _drop_none(
                {"field": c.field, "op": c.op, "value": _value_to_json(c.value), "reason": c.reason}
            )
            for c in self.eligibility
        ]
        if self.i18n:
            data["i18n"] = _plain(self.i18n)
        if self.federal_roll is not None:
            data["federal_roll"] = self.federal_roll.to_dict()
        if self.recertification is not None:
            data["recertification"] = self.recertification.to_dict()
        if self.examples:
            data["examples"] = [e.to_dict() for e in self.examples]
        return data


@dataclass(frozen=True)
class Catalog:
    agencies: tuple[Agency, ...]
    programs: tuple[Program, ...]
    _by_slug: dict[str, Program] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_slug", {p.slug: p for p in self.programs})

    def program(self, slug: str) -> Program | None:
        return self._by_slug.get(slug)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agencies": [{"slug": a.slug, "name": a.name} for a in self.agencies],
            "programs": [p.to_dict() for p in self.programs],
        }


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a catalog: where (file, program or agency, field path) and what."""

    source: str
    owner: str
    path: str
    message: str

    def __str__(self) -> str:
        return ": ".join(
            part for part in (self.source, self.owner, self.path, self.message) if part
        )


class CatalogError(ValueError):
    """Every problem found in a catalog file or program form."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]


def load_catalog(path: str | Path) -> Catalog:
    """Read and validate a catalog file; errors name it by its file name."""
    path = Path(path)
    return parse_catalog(path.read_text(encoding="utf-8"), source=path.name)


def parse_catalog(text: str, source: str = "catalogo") -> Catalog:
    """Validate catalog YAML; raise :class:`CatalogError` with every problem found."""
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"línea {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError([Problem(source, "", where, f"YAML inválido: {problem}")]) from None
    finally:
        loader.dispose()
    problems = [
        Problem(source, "", f"línea {line}", f'clave repetida "{key}"')
        for line, key in loader.duplicate_keys
    ]
    try:
        catalog = catalog_from_dict(data, source=source)
    except CatalogError as exc:
        problems.extend(exc.problems)
    if problems:
        raise CatalogError(problems)
    return catalog


def catalog_from_dict(data: Any, source: str = "catalogo") -> Catalog:
    """Validate an already-parsed catalog (agencies and programs)."""
    check = _Checker(source, "")
    top = check.mapping(data, "", required=("agencies", "programs"), optional=())
    if top is None:
        raise CatalogError(check.problems)

    # Slugs seen so far, in sets: a national catalog has 6,700 programs, and
    # comparing each with every earlier one would be 22 million comparisons.
    agencies: list[Agency] = []
    agency_seen: set[str] = set()
    agency_items = check.sequence(top, "agencies") or []
    for i, item in enumerate(agency_items):
        slug = item.get("slug") if isinstance(item, Mapping) else None
        owner = f'dependencia "{slug}"' if isinstance(slug, str) and slug else f"agencies[{i}]"
        agency_check = check.for_owner(owner)
        agency = agency_check.agency(item)
        if agency is None:
            continue
        if agency.slug in agency_seen:
            agency_check.error("slug", "clave repetida: otra dependencia ya la usa")
            continue
        agency_seen.add(agency.slug)
        agencies.append(agency)

    agency_slugs = {a.slug for a in agencies}
    programs: list[Program] = []
    program_seen: set[str] = set()
    for i, item in enumerate(check.sequence(top, "programs") or []):
        program = _program(item, check, index=i, agencies=agency_slugs)
        if program is None:
            continue
        if program.slug in program_seen:
            check.for_owner(f'programa "{program.slug}"').error(
                "slug", "clave repetida: otro programa ya la usa"
            )
            continue
        program_seen.add(program.slug)
        programs.append(program)

    if check.problems:
        raise CatalogError(check.problems)
    return Catalog(agencies=tuple(agencies), programs=tuple(programs))


def program_from_dict(
    data: Any,
    *,
    agencies: Collection[str],
    source: str = "formulario",
    run_examples: bool = True,
) -> Program:
    """Validate one program, e.g. from an admin's web form, against the known agency slugs.

    With ``run_examples=False`` the examples are read but not run (the editor
    shows each one's result instead, :func:`failing_examples`)."""
    check = _Checker(source, "")
    program = _program(data, check, index=None, agencies=set(agencies), run_examples=run_examples)
    if check.problems or program is None:
        raise CatalogError(check.problems)
    return program


def schedule_from_json(data: Mapping[str, Any] | None) -> Schedule | None:
    """A schedule stored by :meth:`Schedule.to_dict` (already validated), or None."""
    if not data:
        return None
    return Schedule(
        starts=date.fromisoformat(data["starts"]),
        ends=date.fromisoformat(data["ends"]),
        dates=tuple(date.fromisoformat(d) for d in data.get("dates", ())),
    )


def conditions_from_json(
    items: Any, *, owner: str, source: str = "base de datos"
) -> tuple[Condition, ...]:
    """Conditions stored as JSON (the ``eligibility`` list of :meth:`Program.to_dict`)
    back into typed :class:`Condition` values, validated as a catalog file is."""
    check = _Checker(source, owner)
    conditions = [check.condition(item, f"eligibility[{i}]") for i, item in enumerate(items or [])]
    if check.problems:
        raise CatalogError(check.problems)
    return tuple(c for c in conditions if c is not None)


def _program(
    data: Any,
    parent: _Checker,
    *,
    index: int | None,
    agencies: set[str],
    run_examples: bool = True,
) -> Program | None:
    slug = data.get("slug") if isinstance(data, Mapping) else None
    if isinstance(slug, str) and slug:
        owner = f'programa "{slug}"'
    else:
        owner = "programa" if index is None else f"programs[{index}]"
    check = parent.for_owner(owner)
    m = check.mapping(
        data,
        "",
        required=("slug", "name", "agency", "summary", "population", "benefit", "eligibility"),
        optional=(
            "description", "exclusion_group", "requirements", "calls", "delivery_points",
            "i18n",
            "federal_roll",
            "recertification",
            "examples",
        ),
    )  # fmt: skip
    if m is None:
        return None
    before = len(check.problems)
    slug = check.slug(m, "slug")
    name = check.text(m, "name")
    agency = check.slug(m, "agency")
    if agency is not None and agency not in agencies:
        check.error("agency", f'dependencia desconocida "{agency}"' + _suggest(agency, agencies))
    summary = check.text(m, "summary")
    population = check.text(m, "population")
    description = check.text(m, "description", required=False)
    exclusion_group = check.slug(m, "exclusion_group", required=False)
    benefit = check.benefit(m.get("benefit"), "benefit") if "benefit" in m else None
    federal_roll = (
        check.federal_roll(m["federal_roll"], "federal_roll", m.get("benefit"))
        if "federal_roll" in m
        else None
    )

    requirements = [
        check.requirement(item, f"requirements[{i}]")
        for i, item in enumerate(check.sequence(m, "requirements", required=False) or [])
    ]
    check.no_repeats(requirements, "requirements", "slug", "documento repetido")
    recertification = (
        check.recertification(
            m["recertification"], "recertification", {r.slug for r in requirements if r}
        )
        if "recertification" in m
        else None
    )

    call_items = check.sequence(m, "calls", required=False) or []
    calls = [check.call(item, f"calls[{i}]") for i, item in enumerate(call_items)]
    check.no_overlap(calls)

    points = [
        check.delivery_point(item, f"delivery_points[{i}]")
        for i, item in enumerate(check.sequence(m, "delivery_points", required=False) or [])
    ]
    # A point is known by its name when the list is saved again (deliveries refer to it).
    check.no_repeats(points, "delivery_points", "name", "punto de entrega repetido")
    conditions = [
        check.condition(item, f"eligibility[{i}]")
        for i, item in enumerate(check.sequence(m, "eligibility") or [])
    ]
    examples = [
        check.example(item, f"examples[{i}]")
        for i, item in enumerate(check.sequence(m, "examples", required=False) or [])
    ]
    check.no_repeats(examples, "examples", "name", "ejemplo repetido")
    i18n = check.translations(
        m.get("i18n"),
        sources={
            "name": name,
            "summary": summary,
            "description": description,
            "population": population,
            "benefit": benefit.description if benefit is not None else None,
        },
        requirements={r.slug: r for r in requirements if r is not None},
        reasons={c.reason for c in conditions if c is not None},
    )
    if (
        len(check.problems) > before
        or slug is None
        or name is None
        or agency is None
        or summary is None
        or population is None
        or benefit is None
    ):
        return None
    program = Program(
        slug=slug,
        name=name,
        agency=agency,
        summary=summary,
        population=population,
        benefit=benefit,
        eligibility=tuple(c for c in conditions if c is not None),
        requirements=tuple(r for r in requirements if r is not None),
        calls=tuple(sorted((c for c in calls if c is not None), key=lambda c: c.opens)),
        delivery_points=tuple(p for p in points if p is not None),
        description=description,
        exclusion_group=exclusion_group,
        i18n=i18n,
        federal_roll=federal_roll,
        recertification=recertification,
        examples=tuple(e for e in examples if e is not None),
    )
    # The examples are the program's tests: rules that judge one otherwise are refused.
    for i, example, got in failing_examples(program, date.today()) if run_examples else ():
        check.error(
            f"examples[{i}].verdict",
            f'"{example.name}" da «{VERDICTS[got]}» y debía dar «{VERDICTS[example.verdict]}»',
        )
    if len(check.problems) > before:
        return None
    return program


class _Checker:
    """Reads one owner's (an agency's or a program's) values, recording each problem.

    Every reader returns None when the value is unusable, after recording why,
    so that a caller can go on and report the other fields too.
    """

    def __init__(self, source: str, owner: str, problems: list[Problem] | None = None):
        self.source = source
        self.owner = owner
        self.problems = [] if problems is None else problems

    def for_owner(self, owner: str) -> _Checker:
        return _Checker(self.source, owner, self.problems)

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.source, self.owner, path, message))

    # Generic shapes

    def mapping(
        self, data: Any, path: str, *, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> Mapping[str, Any] | None:
        if not isinstance(data, Mapping):
            self.error(path, "debe ser un conjunto de campos (clave: valor)")
            return None
        allowed = required + optional
        for key in data:
            if key not in allowed:
                self.error(
                    _join(path, str(key)),
                    f'clave desconocida "{key}"' + _suggest(str(key), allowed),
                )
        for key in required:
            if key not in data:
                self.error(_join(path, key), "falta este campo")
        return data

    def checked(
        self,
        m: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool,
        valid: Callable[[Any], bool],
        problem: Callable[[Any], str],
    ) -> Any:
        """``m[key]`` if it is ``valid``; None when it is absent (mapping() reported
        it if required), null where allowed, or not valid (after reporting ``problem``)."""
        if key not in m:
            return None
        value = m[key]
        if value is None and not required:
            return None
        if not valid(value):
            self.error(_join(path, key), problem(value))
            return None
        return value

    def sequence(self, m: Mapping[str, Any], key: str, *, required: bool = True) -> list | None:
        return self.checked(
            m,
            key,
            "",
            required=required,
            valid=lambda value: isinstance(value, list),
            problem=lambda _value: "debe ser una lista",
        )

    def text(
        self, m: Mapping[str, Any], key: str, path: str = "", *, required: bool = True
    ) -> str | None:
        value = self.checked(
            m,
            key,
            path,
            required=required,
            valid=lambda value: isinstance(value, str) and bool(value.strip()),
            problem=lambda _value: "debe ser un texto no vacío",
        )
        return None if value is None else value.strip()

    def slug(
        self, m: Mapping[str, Any], key: str, path: str = "", *, required: bool = True
    ) -> str | None:
        return self.checked(
            m,
            key,
            path,
            required=required,
            valid=lambda value: isinstance(value, str) and bool(SLUG_RE.match(value)),
            problem=lambda value: (
                f'clave no válida "{value}": use minúsculas, números y guiones, '
                'por ejemplo "tarjeta-contigo"'
            ),
        )

    def date(self, m: Mapping[str, Any], key: str, path: str) -> date | None:
        if key not in m:
            return None
        value = _as_date(m[key])
        if value is None:
            self.error(_join(path, key), f'fecha no válida "{m[key]}": use AAAA-MM-DD')
        return value

    def positive_int(
        self, m: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> int | None:
        return self.checked(
            m,
            key,
            path,
            required=required,
            valid=lambda value: _is_int(value) and value > 0,
            problem=lambda value: f'debe ser un número entero mayor que cero, no "{value}"',
        )

    # Parts of a program

    def agency(self, data: Any) -> Agency | None:
        m = self.mapping(data, "", required=("slug", "name"), optional=())
        if m is None:
            return None
        slug, name = self.slug(m, "slug"), self.text(m, "name")
        if slug is None or name is None:
            return None
        return Agency(slug=slug, name=name)

    def benefit(self, data: Any, path: str) -> Benefit | None:
        m = self.mapping(
            data,
            path,
            required=("kind",),
            optional=("amount", "period", "description", "schedule"),
        )
        if m is None:
            return None
        before = len(self.problems)
        kind = m.get("kind")
        if "kind" in m and kind not in BENEFIT_KINDS:
            self.error(
                _join(path, "kind"),
                f'tipo desconocido "{kind}": use {", ".join(BENEFIT_KINDS)}',
            )
        amount = self.positive_int(m, "amount", path, required=False)
        period = m.get("period")
        if period is not None and period not in PERIODS:
            self.error(
                _join(path, "period"), f'periodo desconocido "{period}": use {", ".join(PERIODS)}'
            )
        description = self.text(m, "description", path, required=False)
        if kind == "cash":
            for key in ("amount", "period"):
                if m.get(key) is None:
                    self.error(_join(path, key), "falta este campo: un apoyo en dinero lo necesita")
        elif kind in BENEFIT_KINDS and m.get("description") is None:
            self.error(
                _join(path, "description"),
                "falta este campo: diga qué se entrega cuando el apoyo no es en dinero",
            )
        schedule = (
            self.schedule(m["schedule"], _join(path, "schedule"), period)
            if "schedule" in m
            else None
        )
        # A missing kind was reported by mapping(), before ``before``.
        if len(self.problems) > before or not isinstance(kind, str):
            return None
        return Benefit(
            kind=kind, amount=amount, period=period, description=description, schedule=schedule
        )

    def schedule(self, data: Any, path: str, period: Any) -> Schedule | None:
        m = self.mapping(data, path, required=("starts", "ends"), optional=("dates",))
        if m is None:
            return None
        before = len(self.problems)
        starts, ends = self.date(m, "starts", path), self.date(m, "ends", path)
        if starts is not None and ends is not None and ends < starts:
            self.error(_join(path, "ends"), "el calendario termina antes de empezar")
        dates: list[date] = []
        raw_dates = self.sequence(m, "dates", required=False) if "dates" in m else None
        for i, raw in enumerate(raw_dates or []):
            where = f"{_join(path, 'dates')}[{i}]"
            value = _as_date(raw)
            if value is None:
                self.error(where, f'fecha no válida "{raw}": use AAAA-MM-DD')
                continue
            if starts is not None and ends is not None and not starts <= value <= ends:
                self.error(
                    where,
                    f"la fecha {value.isoformat()} está fuera del calendario del programa "
                    f"({starts.isoformat()} a {ends.isoformat()})",
                )
            if dates and value <= dates[-1]:
                self.error(
                    where,
                    f"los periodos se traslapan: {value.isoformat()} no es posterior a "
                    f"{dates[-1].isoformat()}; escriba las fechas en orden y sin repetir",
                )
            dates.append(value)
        if period == "unico" and len(dates) > 1:
            self.error(_join(path, "dates"), "un apoyo en un solo pago tiene una sola fecha")
        if len(dates) > MAX_PERIODS:
            self.error(_join(path, "dates"), f"a lo más {MAX_PERIODS} periodos")
        if len(self.problems) > before or starts is None or ends is None:
            return None
        if not dates and period in PERIOD_MONTHS:
            count = _months_between(starts, ends) // PERIOD_MONTHS[period] + 1
            if count > MAX_PERIODS:
                self.error(path, f"a lo más {MAX_PERIODS} periodos: acorte el calendario")
                return None
        return Schedule(starts=starts, ends=ends, dates=tuple(dates))

    def federal_roll(self, data: Any, path: str, benefit: Any) -> FederalRoll | None:
        m = self.mapping(
            data,
            path,
            required=("program_code",),
            optional=("intra_program_code", "payment_method"),
        )
        if m is None:
            return None
        before = len(self.problems)
        codes: dict[str, str] = {}
        for key in ("program_code", "intra_program_code"):
            value = m.get(key)
            if value is None:
                continue
            if not (isinstance(value, str) and ROLL_CODE_RE.match(value)):
                self.error(
                    _join(path, key),
                    f'clave no válida "{value}": de 1 a 10 letras mayúsculas sin acentos y '
                    'números, entre comillas, por ejemplo "S072"',
                )
                continue
            codes[key] = value
        method = m.get("payment_method")
        kind = benefit.get("kind") if isinstance(benefit, Mapping) else None
        if method is not None:
            if not isinstance(method, str) or method not in PAYMENT_METHODS:
                self.error(
                    _join(path, "payment_method"),
                    f'forma de pago desconocida "{method}": use {", ".join(PAYMENT_METHODS)}'
                    + _suggest(str(method), PAYMENT_METHODS),
                )
            elif (
                isinstance(kind, str)
                and kind in PAYMENT_METHODS_BY_KIND
                and method not in PAYMENT_METHODS_BY_KIND[kind]
            ):
                self.error(
                    _join(path, "payment_method"),
                    f'la forma de pago "{method}" no corresponde a un apoyo de tipo "{kind}": '
                    f"use {', '.join(PAYMENT_METHODS_BY_KIND[kind])}",
                )
        if len(self.problems) > before or "program_code" not in codes:
            return None
        return FederalRoll(
            program_code=codes["program_code"],
            intra_program_code=codes.get("intra_program_code", ""),
            payment_method=method or "",
        )

    def recertification(
        self, data: Any, path: str, requirements: set[str]
    ) -> Recertification | None:
        m = self.mapping(
            data, path, required=("every_months", "document"), optional=("grace_days",)
        )
        if m is None:
            return None
        before = len(self.problems)
        bounds = {"every_months": RECERTIFICATION_MONTHS, "grace_days": RECERTIFICATION_GRACE_DAYS}
        values: dict[str, int] = {}
        for key, (low, high) in bounds.items():
            if key not in m:
                continue
            value = m[key]
            if not (_is_int(value) and low <= value <= high):
                self.error(
                    _join(path, key),
                    f'debe ser un número entero de {low} a {high}, no "{value}"',
                )
                continue
            values[key] = value
        document = m.get("document")
        if "document" in m and not (isinstance(document, str) and document in requirements):
            known = ", ".join(sorted(requirements)) or "ninguno"
            self.error(
                _join(path, "document"),
                f'"{document}" no es un documento del programa: use uno de sus requirements '
                f"({known})" + _suggest(str(document), requirements),
            )
        if len(self.problems) > before or "every_months" not in values or document is None:
            # (a missing document was reported by mapping())
            return None
        return Recertification(
            every_months=values["every_months"],
            document=str(document),
            grace_days=values.get("grace_days", 30),
        )

    def requirement(self, data: Any, path: str) -> Requirement | None:
        m = self.mapping(
            data, path, required=("slug", "name", "formats"), optional=("hint", "optional")
        )
        if m is None:
            return None
        before = len(self.problems)
        slug = self.slug(m, "slug", path)
        name = self.text(m, "name", path)
        hint = self.text(m, "hint", path, required=False)
        formats = m.get("formats")
        if "formats" in m and (
            not isinstance(formats, list)
            or not formats
            or any(f not in DOCUMENT_FORMATS for f in formats)
            or len(set(formats)) != len(formats)
        ):
            self.error(
                _join(path, "formats"),
                f"debe ser una lista sin repetir tomada de: {', '.join(DOCUMENT_FORMATS)}",
            )
        optional = m.get("optional", False)
        if not isinstance(optional, bool):
            self.error(_join(path, "optional"), "debe ser true o false")
        # Missing keys were reported by mapping(), before ``before``.
        if (
            len(self.problems) > before
            or slug is None
            or name is None
            or not isinstance(formats, list)
        ):
            return None
        return Requirement(
            slug=slug,
            name=name,
            formats=tuple(formats),
            hint=hint,
            optional=optional,
        )

    def call(self, data: Any, path: str) -> Call | None:
        m = self.mapping(data, path, required=("opens", "closes"), optional=("quota",))
        if m is None:
            return None
        before = len(self.problems)
        opens, closes = self.date(m, "opens", path), self.date(m, "closes", path)
        quota = self.positive_int(m, "quota", path, required=False)
        if opens is not None and closes is not None and closes < opens:
            self.error(_join(path, "closes"), "la convocatoria cierra antes de abrir")
        if len(self.problems) > before or opens is None or closes is None:
            return None
        return Call(opens=opens, closes=closes, quota=quota)

    def translations(
        self,
        data: Any,
        *,
        sources: Mapping[str, str | None],
        requirements: Mapping[str, Requirement],
        reasons: Collection[str],
    ) -> dict[str, dict[str, Any]]:
        """The ``i18n`` block: for each language, texts that translate a Spanish text
        of this program. A translation of nothing (a description the program lacks,
        a document or reason it does not have) is refused: it could never show."""
        if data is None:
            return {}
        if not isinstance(data, Mapping):
            self.error("i18n", "debe ser un conjunto de idiomas (en: ...)")
            return {}
        found: dict[str, dict[str, Any]] = {}
        for code, texts in data.items():
            path = f"i18n.{code}"
            if code == SOURCE_LANGUAGE:
                self.error(path, "el español es el texto original: va en los campos del programa")
                continue
            if code not in CONTENT_LANGUAGES:
                self.error(
                    path,
                    f'idioma desconocido "{code}": use {", ".join(CONTENT_LANGUAGES)}'
                    + _suggest(str(code), CONTENT_LANGUAGES),
                )
                continue
            m = self.mapping(
                texts, path, required=(), optional=(*TRANSLATED_TEXTS, "requirements", "reasons")
            )
            if m is None:
                continue
            language: dict[str, Any] = {}
            for key, limit in TRANSLATED_TEXTS.items():
                text = self.translated(m, key, path, limit)
                if text is None:
                    continue
                if sources.get(key) is None:
                    self.error(_join(path, key), "no hay texto en español que traducir")
                    continue
                language[key] = text
            documents = self.translated_requirements(m, path, requirements)
            if documents:
                language["requirements"] = documents
            said = self.translated_reasons(m, path, reasons)
            if said:
                language["reasons"] = said
            if language:
                found[code] = language
        return found

    def translated(self, m: Mapping[str, Any], key: str, path: str, limit: int) -> str | None:
        text = self.text(m, key, path, required=False)
        if text is not None and len(text) > limit:
            self.error(
                _join(path, key),
                f"texto demasiado largo: {len(text)} caracteres; a lo más {limit}",
            )
            return None
        return text

    def translated_requirements(
        self, m: Mapping[str, Any], path: str, requirements: Mapping[str, Requirement]
    ) -> dict[str, dict[str, str]]:
        where = _join(path, "requirements")
        items = m.get("requirements")
        if items is None:
            return {}
        if not isinstance(items, Mapping):
            self.error(where, "debe ser un conjunto de documentos (slug: textos)")
            return {}
        found: dict[str, dict[str, str]] = {}
        for slug, texts in items.items():
            requirement = requirements.get(slug)
            if requirement is None:
                self.error(
                    f"{where}.{slug}",
                    f'documento desconocido "{slug}"' + _suggest(str(slug), requirements),
                )
                continue
            t = self.mapping(
                texts, f"{where}.{slug}", required=(), optional=tuple(REQUIREMENT_TEXTS)
            )
            if t is None:
                continue
            document: dict[str, str] = {}
            for key, limit in REQUIREMENT_TEXTS.items():
                text = self.translated(t, key, f"{where}.{slug}", limit)
                if text is None:
                    continue
                if key == "hint" and requirement.hint is None:
                    self.error(f"{where}.{slug}.hint", "no hay texto en español que traducir")
                    continue
                document[key] = text
            if document:
                found[slug] = document
        return found

    def translated_reasons(
        self, m: Mapping[str, Any], path: str, reasons: Collection[str]
    ) -> dict[str, str]:
        where = _join(path, "reasons")
        items = m.get("reasons")
        if items is None:
            return {}
        if not isinstance(items, Mapping):
            self.error(where, "debe ser un conjunto de razones (razón en español: traducción)")
            return {}
        found: dict[str, str] = {}
        for spanish, text in items.items():
            if spanish not in reasons:
                self.error(
                    where,
                    f'razón desconocida "{spanish}": escriba la razón en español tal como '
                    "está en eligibility",
                )
                continue
            if not isinstance(text, str) or not text.strip():
                self.error(where, f'la traducción de "{spanish}" debe ser un texto no vacío')
                continue
            if len(text.strip()) > REASON_LIMIT:
                self.error(
                    where,
                    f'texto demasiado largo para "{spanish}": {len(text.strip())} caracteres; '
                    f"a lo más {REASON_LIMIT}",
                )
                continue
            found[spanish] = text.strip()
        return found

    def no_repeats(self, items: list[Any], path: str, key: str, message: str) -> None:
        """Each item's ``key`` once in the list (None items failed validation already)."""
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item is None:
                continue
            value = getattr(item, key)
            if value in seen:
                self.error(f"{path}[{i}].{key}", f'{message} "{value}"')
            seen.add(value)

    def no_overlap(self, calls: list[Call | None]) -> None:
        # Two open calls on one day would make "the open call" ambiguous for quotas.
        indexed = sorted(
            ((i, c) for i, c in enumerate(calls) if c is not None), key=lambda ic: ic[1].opens
        )
        for (i, earlier), (j, later) in pairwise(indexed):
            if later.opens <= earlier.closes:
                self.error(
                    f"calls[{j}]", f"se empalma con calls[{i}]; las fechas no deben cruzarse"
                )

    def delivery_point(self, data: Any, path: str) -> DeliveryPoint | None:
        keys = ("name", "address", "municipality", "lat", "lon", "hours")
        m = self.mapping(data, path, required=keys, optional=())
        if m is None:
            return None
        before = len(self.problems)
        name = self.text(m, "name", path)
        address = self.text(m, "address", path)
        hours = self.text(m, "hours", path)
        municipality = m.get("municipality")
        if "municipality" in m and not (
            isinstance(municipality, str) and MUNICIPALITY_RE.match(municipality)
        ):
            self.error(
                _join(path, "municipality"),
                f'clave de municipio no válida "{municipality}": son 5 dígitos de INEGI '
                'entre comillas, por ejemplo "22014"',
            )
        lat, lon = m.get("lat"), m.get("lon")
        for key, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
            if key in m and not (_is_number(value) and -limit <= value <= limit):
                self.error(_join(path, key), f"debe ser un número entre -{limit} y {limit}")
        # Missing keys were reported by mapping(), before ``before``.
        if (
            len(self.problems) > before
            or name is None
            or address is None
            or hours is None
            or not isinstance(municipality, str)
            or not _is_number(lat)
            or not _is_number(lon)
        ):
            return None
        return DeliveryPoint(
            name=name,
            address=address,
            municipality=municipality,
            lat=float(lat),
            lon=float(lon),
            hours=hours,
        )

    def example(self, data: Any, path: str) -> Example | None:
        m = self.mapping(data, path, required=("name", "profile", "verdict"), optional=("on",))
        if m is None:
            return None
        before = len(self.problems)
        name = self.text(m, "name", path)
        verdict = m.get("verdict")
        if "verdict" in m and verdict not in VERDICTS:
            self.error(
                _join(path, "verdict"),
                f'veredicto desconocido "{verdict}": use {", ".join(VERDICTS)}',
            )
        on = self.date(m, "on", path) if "on" in m else None
        raw = m.get("profile")
        profile: dict[str, Any] = {}
        if not isinstance(raw, Mapping):
            if "profile" in m:
                self.error(
                    _join(path, "profile"), "debe ser un conjunto de respuestas campo: valor"
                )
        else:
            answers = {k: v.isoformat() if isinstance(v, date) else v for k, v in raw.items()}
            try:
                profile = profile_to_json(parse_profile(answers, on=on))
            except ProfileError as exc:
                for key, message in exc.errors.items():
                    self.error(_join(_join(path, "profile"), str(key)), str(message))
        if len(self.problems) > before or name is None or not isinstance(verdict, str):
            return None
        return Example(name=name, profile=profile, verdict=verdict, on=on)

    def condition(self, data: Any, path: str) -> Condition | None:
        m = self.mapping(data, path, required=("field", "op", "reason"), optional=("value",))
        if m is None:
            return None
        before = len(self.problems)
        reason = self.text(m, "reason", path)
        name, op = m.get("field"), m.get("op")
        spec = FIELDS.get(name) if isinstance(name, str) and name in RULE_FIELDS else None
        if "field" in m and spec is None:
            message = f'campo desconocido "{name}"' + _suggest(str(name), RULE_FIELDS)
            if name == "enrolled":
                message = (
                    '"enrolled" no va en reglas: el sistema ya revisa los programas que recibe'
                )
            self.error(_join(path, "field"), message)
        if "op" in m and op not in OPERATORS:
            self.error(
                _join(path, "op"), f'operador desconocido "{op}"' + _suggest(str(op), OPERATORS)
            )
        elif spec is not None and op not in OPERATORS_BY_KIND[spec.kind]:
            self.error(
                _join(path, "op"),
                f'el operador "{op}" no se usa con {spec.name}; '
                f"use {', '.join(OPERATORS_BY_KIND[spec.kind])}",
            )
        value = None
        if op in ("is_true", "is_false"):
            if "value" in m:
                self.error(_join(path, "value"), f"{op} no lleva value")
        elif "value" not in m:
            if op in OPERATORS:
                self.error(_join(path, "value"), "falta este campo")
        elif spec is not None and op in OPERATORS_BY_KIND[spec.kind]:
            value = self.condition_value(spec, op, m["value"], _join(path, "value"))
        # Missing keys were reported by mapping(), before ``before``.
        if (
            len(self.problems) > before
            or reason is None
            or not isinstance(name, str)
            or not isinstance(op, str)
        ):
            return None
        return Condition(field=name, op=op, value=value, reason=reason)

    def condition_value(self, spec: Field, op: str, raw: Any, path: str) -> Any:
        if op == "between":
            if not isinstance(raw, list) or len(raw) != 2:
                self.error(path, "between necesita una lista [mínimo, máximo]")
                return None
            low, high = (self.scalar(spec, item, f"{path}[{i}]") for i, item in enumerate(raw))
            if low is None or high is None:
                return None
            if low > high:
                self.error(path, f"el mínimo ({raw[0]}) es mayor que el máximo ({raw[1]})")
                return None
            return (low, high)
        if op in ("in", "not_in"):
            if not isinstance(raw, list) or not raw:
                self.error(path, f"{op} necesita una lista de valores posibles de {spec.name}")
                return None
            items = [self.scalar(spec, item, f"{path}[{i}]") for i, item in enumerate(raw)]
            if any(item is None for item in items):
                return None
            if len(set(items)) != len(items):
                self.error(path, "la lista tiene valores repetidos")
                return None
            return tuple(items)
        if op in ("any_lt", "any_gte"):
            if not _is_int(raw) or raw < 0:
                self.error(path, f'debe ser una edad en años cumplidos, no "{raw}"')
                return None
            return raw
        return self.scalar(spec, raw, path)

    def scalar(self, spec: Field, raw: Any, path: str) -> Any:
        """One value of ``spec``'s type, or None after reporting why not."""
        kind = spec.kind
        if kind is Kind.DATE and _as_date(raw) is not None:
            return _as_date(raw)
        if kind is Kind.INTEGER and _is_int(raw):
            return raw
        if kind is Kind.MONEY and _is_number(raw) and raw >= 0:
            return raw
        if kind is Kind.CHOICE and raw in spec.choices:
            return raw
        if kind is Kind.MUNICIPALITY and isinstance(raw, str) and MUNICIPALITY_RE.match(raw):
            return raw
        if kind is Kind.STATE and raw in STATE_CODES:
            return raw
        self.error(path, f'valor no válido "{raw}" para {spec.name}: {_expected(spec)}')
        return None


def _expected(spec: Field) -> str:
    if spec.kind is Kind.CHOICE:
        return "use uno de " + ", ".join(spec.choices)
    if spec.kind is Kind.MUNICIPALITY:
        return 'use la clave INEGI de 5 dígitos entre comillas, por ejemplo "22014"'
    if spec.kind is Kind.STATE:
        return 'use la clave INEGI de 2 dígitos entre comillas, por ejemplo "22"'
    if spec.kind is Kind.INTEGER:
        return "use un número entero"
    return "use una cantidad en pesos"


def _as_date(value: Any) -> date | None:
    """A date from YAML (which reads 2026-01-15 as a date) or from a form's string."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    # datetime is a date subclass, but a call that opens at 10:00 is not a catalog notion.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return None


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def _is_int(value: Any) -> TypeGuard[int]:
    # bool is an int subclass in Python, but `true` is never a number in a catalog.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (¿quiso decir "{close[0]}"?)' if close else ""


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _plain(value: Any) -> Any:
    """Nested mappings as plain dicts (JSON- and YAML-ready)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _value_to_json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_value_to_json(v) for v in value]
    return value


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader that records repeated keys, which PyYAML silently overwrites:
    a second ``eligibility:`` under one program would otherwise drop the first."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, Any]] = []


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            continue  # construct_mapping below reports unhashable keys
        if key in seen:
            loader.duplicate_keys.append((key_node.start_mark.line + 1, key))
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


class ImpossibleDate(yaml.constructor.ConstructorError):
    """A date written in YAML that does not exist (2026-13-01, 2026-02-30)."""

    def __init__(self, value: str, mark: Any) -> None:
        super().__init__(None, None, f"la fecha «{value}» no existe", mark)
        self.value = value


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    # PyYAML raises a bare ValueError for a date that does not exist: made a
    # YAML error with its line, like any other mistake in the file.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise ImpossibleDate(node.value, node.start_mark) from None


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def yaml_value(text: str) -> Any:
    """``text`` read with the catalog's loader (an impossible date is a
    ``yaml.YAMLError`` like any other mistake), for the editor's YAML fields."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
