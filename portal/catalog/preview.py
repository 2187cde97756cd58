"""Live preview of draft rules against the registry: how many people in it would
be eligible, maybe or not eligible under a program's draft conditions, by
municipality, next to the published ones.

Each condition compiles to a SQL expression that is true (holds), false
(fails) or NULL (the answer it needs is not known), with the engine's meaning
(portal/eligibility/engine.py). SQL's three-valued AND then gives the verdict
of the whole rule: true is eligible, false is not eligible and NULL is maybe,
exactly as the engine says "any fail: not; otherwise any unknown: maybe".
One aggregate query judges the draft and the published rules at once over
``citizen_facts``, the narrow table of what the rules read of each citizen,
typed (portal/citizens/facts.py, kept in the transaction of every write of a
record or its answers): one scan of small rows, no JSON parsed, under 2 s on
a million citizens on SQLite and PostgreSQL (bench/rule_preview.py).

What the preview does not judge: enrollment and exclusion groups (who already
receives this or a program that cannot be combined), which the engine adds on
top of the conditions; and answers stored under older rules that no longer
read (the engine drops them, the preview reads each value on its own).
A condition that cannot be compiled is counted as unknown (maybe) and listed,
never silently ignored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from portal.catalog.models import Municipality
from portal.catalog.schema import Condition, program_from_dict
from portal.citizens import facts
from portal.citizens.models import CitizenFacts
from portal.eligibility.profile import DEFAULT_STATE_CODE, FIELDS
from portal.web.database import db, is_sqlite

# What a not-eligible person adds to the query's count of a group, an eligible
# one adding 1: a registry holds far fewer than 2**32 people, so the count is
# eligible + not_eligible * NOT_ELIGIBLE_UNIT without either spilling over.
NOT_ELIGIBLE_UNIT = 2**32


@dataclass(frozen=True)
class Counts:
    eligible: int = 0
    maybe: int = 0
    not_eligible: int = 0

    @classmethod
    def of(cls, count: Any, people: int) -> Counts:
        """The counts of ``people`` from the query's count of them (an int, or
        the Decimal PostgreSQL's SUM gives): the rest are maybe."""
        not_eligible, eligible = divmod(int(count), NOT_ELIGIBLE_UNIT)
        return cls(eligible, people - eligible - not_eligible, not_eligible)

    @property
    def total(self) -> int:
        return self.eligible + self.maybe + self.not_eligible

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.eligible + other.eligible,
            self.maybe + other.maybe,
            self.not_eligible + other.not_eligible,
        )

    def minus(self, other: Counts) -> Counts:
        return Counts(
            self.eligible - other.eligible,
            self.maybe - other.maybe,
            self.not_eligible - other.not_eligible,
        )


@dataclass(frozen=True)
class MunicipalityRow:
    code: str | None  # None: people whose record names no municipality
    name: str
    draft: Counts
    published: Counts | None


@dataclass(frozen=True)
class Preview:
    rows: list[MunicipalityRow]
    draft_total: Counts
    published_total: Counts | None
    # Conditions counted as unknown because they could not be judged in SQL.
    draft_uncompiled: tuple[Condition, ...] = field(default=())
    published_uncompiled: tuple[Condition, ...] = field(default=())

    @property
    def difference(self) -> Counts | None:
        if self.published_total is None:
            return None
        return self.draft_total.minus(self.published_total)


class _Sql:
    """The SQL text of the dialect in use and the parameters it collects."""

    def __init__(self, sqlite: bool):
        self.sqlite = sqlite
        self.params: list[Any] = []
        self.mark = "?" if sqlite else "%s"

    def param(self, value: Any) -> str:
        if isinstance(value, date) and self.sqlite:
            value = value.isoformat()  # dates are stored as YYYY-MM-DD text there
        self.params.append(value)
        return self.mark

    def any_age(self, comparison: str, limit: Any) -> str:
        """Whether some child's age compares so with ``limit`` (NULL: not answered;
        no children: false, since no age compares at all)."""
        extreme = "youngest_child" if comparison == "<" else "eldest_child"
        return (
            f"(CASE WHEN children IS NOT NULL THEN "
            f"COALESCE({extreme} {comparison} {self.param(limit)}, {self.false}) END)"
        )

    @property
    def false(self) -> str:
        return "0" if self.sqlite else "false"


# Up to this many values, "in" is written as equalities joined by OR: SQLite
# looks an IN list up in a temporary index, twice as slow for a short list.
_SHORT_LIST = 8


def _compare(sql: _Sql, expression: str, op: str, limit: Any) -> str | None:
    """``expression <op> limit`` for the operators that compare one value."""
    simple = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
    if op in simple:
        return f"({expression} {simple[op]} {sql.param(limit)})"
    if op == "between":
        low, high = limit
        return f"({expression} BETWEEN {sql.param(low)} AND {sql.param(high)})"
    if op in ("in", "not_in"):
        values = list(dict.fromkeys(limit))
        if not values:  # nothing is in an empty list; known values still decide
            return f"(CASE WHEN {expression} IS NOT NULL THEN {'1=0' if op == 'in' else '1=1'} END)"
        if len(values) > _SHORT_LIST:
            marks = ", ".join(sql.param(v) for v in values)
            return f"({expression} {'IN' if op == 'in' else 'NOT IN'} ({marks}))"
        # Rule values are never NULL, so the ORs are the IN with its NULL.
        held = " OR ".join(f"{expression} = {sql.param(v)}" for v in values)
        return f"({held})" if op == "in" else f"(NOT ({held}))"
    return None


def _age_at_least(sql: _Sql, years: int, on: date) -> str:
    """Age on ``on`` is ``years`` or more: born on or before the same day that many
    years earlier (29 February falls back to the 28th, as ``age_on`` counts)."""
    year = on.year - years
    if year < 1:
        return "(1=0)"
    try:
        latest = on.replace(year=year)
    except ValueError:
        latest = date(year, 2, 28)
    return f"(birth_date <= {sql.param(latest)})"


def _age(sql: _Sql, op: str, limit: Any, on: date) -> str | None:
    """Conditions on the age, as conditions on the birth date (never unknown)."""

    def at_least(x: float) -> str:
        return _age_at_least(sql, math.ceil(x), on)

    def more_than(x: float) -> str:
        return _age_at_least(sql, math.floor(x) + 1, on)

    def equal(x: float) -> str:
        if x != int(x):
            return "(1=0)"
        return f"({at_least(x)} AND NOT {more_than(x)})"

    if op == "gte":
        return at_least(limit)
    if op == "gt":
        return more_than(limit)
    if op == "lt":
        return f"(NOT {at_least(limit)})"
    if op == "lte":
        return f"(NOT {more_than(limit)})"
    if op == "eq":
        return equal(limit)
    if op == "ne":
        return f"(NOT {equal(limit)})"
    if op == "between":
        low, high = limit
        return f"({at_least(low)} AND NOT {more_than(high)})"
    if op in ("in", "not_in"):
        held = " OR ".join(equal(v) for v in limit) or "(1=0)"
        return f"({held})" if op == "in" else f"(NOT ({held}))"
    return None


def compile_condition(sql: _Sql, condition: Condition, on: date, state_code: str) -> str | None:
    """The condition as a SQL truth value (NULL: unknown), or None if it can't be."""
    name, op, limit = condition.field, condition.op, condition.value
    spec = FIELDS.get(name)
    if spec is None:
        return None
    if name == "age":
        return _age(sql, op, limit, on)
    if name == "birth_date":
        return _compare(sql, "birth_date", op, limit)
    if name == "sex":
        return _compare(sql, "sex", op, limit)
    if name == "municipality":
        return _compare(sql, "lives_in", op, limit)
    if name == "state":
        return _compare(sql, "substr(lives_in, 1, 2)", op, limit)
    if name == "in_state" and op in ("is_true", "is_false"):
        inside = f"(substr(lives_in, 1, 2) = {sql.param(state_code)})"
        return inside if op == "is_true" else f"(NOT {inside})"
    if name in facts.BOOLEANS and op in ("is_true", "is_false"):
        return name if op == "is_true" else f"(NOT {name})"
    if name in facts.NUMBERS or name in facts.TEXTS:
        return _compare(sql, name, op, limit)
    if name == "income_per_capita":
        size, income = "household_size", "household_income_monthly"
        # Both are reals in citizen_facts: a real division on either engine.
        per_person = f"(CASE WHEN {size} > 0 THEN {income} / {size} END)"
        return _compare(sql, per_person, op, limit)
    if name == facts.AGES and op in ("any_lt", "any_gte"):
        return sql.any_age("<" if op == "any_lt" else ">=", limit)
    return None


# What makes a compiled condition on each field known (true or false, not
# NULL), rule values never being NULL: once no condition of a row failed, the
# row is eligible exactly when these hold, tested on the columns instead of
# judging every condition again. None: never unknown (birth date and sex).
_KNOWN: dict[str, str | None] = {
    "age": None,
    "birth_date": None,
    "sex": None,
    "municipality": "lives_in IS NOT NULL",
    "state": "lives_in IS NOT NULL",
    "in_state": "lives_in IS NOT NULL",
    **{name: f"{name} IS NOT NULL" for name in (*facts.NUMBERS, *facts.TEXTS, *facts.BOOLEANS)},
    "income_per_capita": "household_size > 0 AND household_income_monthly IS NOT NULL",
    facts.AGES: "children IS NOT NULL",
}


# Conditions on the record's own facts, judged first: most rows fail on them
# (an age, a municipality) and the AND stops there.
_COLUMN_FIELDS = ("age", "birth_date", "sex", "municipality", "state", "in_state")


def _pieces(
    sql: _Sql, conditions: Sequence[Condition], on: date, state_code: str
) -> tuple[list[tuple[str, list[Any]]], tuple[Condition, ...]]:
    """Each condition's SQL and parameters, those on columns first, and the
    conditions that could not be compiled (NULL: unknown)."""
    ordered = sorted(conditions, key=lambda c: c.field not in _COLUMN_FIELDS)
    pieces: list[tuple[str, list[Any]]] = []
    uncompiled: list[Condition] = []
    for condition in ordered:
        start = len(sql.params)
        compiled = compile_condition(sql, condition, on, state_code)
        if compiled is None:
            uncompiled.append(condition)
            compiled = "(NULL = 1)" if sql.sqlite else "(NULL::boolean)"
        pieces.append((compiled, sql.params[start:]))
        del sql.params[start:]
    return pieces, tuple(uncompiled)


def _counted(
    sql: _Sql, conditions: Sequence[Condition], on: date, state_code: str
) -> tuple[str, tuple[Condition, ...]]:
    """The aggregate that counts a group under the rule (see :meth:`Counts.of`),
    and the conditions left unknown.

    One CASE per row: any condition false, not eligible (it adds
    :data:`NOT_ELIGIBLE_UNIT`); else every condition known, eligible (1);
    otherwise maybe (0). The first branch stops at the first condition that
    fails, and the one SUM lets the rows be grouped by municipality alone,
    never sorted.
    """
    pieces, uncompiled = _pieces(sql, conditions, on, state_code)
    if not pieces:
        return "COUNT(*)", uncompiled
    fails = " OR ".join(f"NOT {text}" for text, _ in pieces)
    for _, params in pieces:
        sql.params.extend(params)
    if uncompiled:
        known = "1=0"  # a condition not judged is unknown for everyone
    else:
        tests = dict.fromkeys(_KNOWN[c.field] for c in conditions)
        known = " AND ".join(f"({t})" for t in tests if t is not None) or "1=1"
    return (
        f"SUM(CASE WHEN {fails} THEN {NOT_ELIGIBLE_UNIT} WHEN {known} THEN 1 ELSE 0 END)",
        uncompiled,
    )


# What the counts are grouped by: the record's municipality, or each person.
_GROUPS = {"municipality_id": "municipality", "id": "citizen_id"}


def preview_sql(
    draft: Sequence[Condition],
    published: Sequence[Condition] | None,
    on: date,
    *,
    state_code: str = DEFAULT_STATE_CODE,
    sqlite: bool | None = None,
    by: str = "municipality_id",
) -> tuple[str, list[Any], tuple[Condition, ...], tuple[Condition, ...]]:
    """The one query, its parameters and the conditions of each rule it could not
    compile. Its rows: municipality, the draft's count, the published rules'
    (NULL without them; :meth:`Counts.of` reads both) and people.
    ``by="id"`` counts each person apart (the tests compare them with the engine)."""
    if by not in _GROUPS:
        raise ValueError(f"cannot group by {by!r}")
    sql = _Sql(is_sqlite() if sqlite is None else sqlite)
    draft_counts, draft_left = _counted(sql, draft, on, state_code)
    published_counts, published_left = "NULL", tuple[Condition, ...]()
    # The editor opens on a draft equal to the published version: judged once.
    same = published is not None and list(published) == list(draft)
    if same:
        published_left = draft_left
    elif published is not None:
        published_counts, published_left = _counted(sql, published, on, state_code)
    table = CitizenFacts._meta.table_name
    # Grouped by the leading column of citizen_facts_by_municipality, an index
    # that holds every column the conditions read: SQLite walks it in order and
    # never sorts; PostgreSQL aggregates a scan of the narrow table.
    text = (
        # Column names are constants and every value is a parameter.
        f"SELECT g, d, {'d' if same else 'p'}, n FROM (SELECT {_GROUPS[by]} AS g, "  # noqa: S608
        f"{draft_counts} AS d{'' if same else f', {published_counts} AS p'}, COUNT(*) AS n "
        f"FROM {table} GROUP BY 1) AS counted"
    )
    return text, sql.params, draft_left, published_left


def preview(
    draft: Sequence[Condition],
    published: Sequence[Condition] | None,
    on: date,
    *,
    state_code: str = DEFAULT_STATE_CODE,
) -> Preview:
    """Counts of the registry under ``draft`` (and ``published``, None when the
    program was never published) on ``on``, by municipality, in name order."""
    text, params, draft_left, published_left = preview_sql(
        draft, published, on, state_code=state_code
    )
    drafts: dict[str | None, Counts] = {}
    publisheds: dict[str | None, Counts] = {}
    for code, draft_count, published_count, people in db.execute_sql(text, params):
        drafts[code] = Counts.of(draft_count, people)
        if published is not None:
            publisheds[code] = Counts.of(published_count, people)
    names = {
        m.code: m.name
        for m in Municipality.select(Municipality.code, Municipality.name).where(
            Municipality.code.in_([c for c in drafts if c is not None])
        )
    }
    rows = [
        MunicipalityRow(
            code,
            names.get(code, code) if code is not None else "",
            drafts[code],
            publisheds.get(code) if published is not None else None,
        )
        for code in drafts
    ]
    # Named municipalities by name; people with none at the end.
    rows.sort(key=lambda r: (r.code is None, r.name, r.code or ""))
    draft_total = sum((r.draft for r in rows), Counts())
    published_total = (
        sum((r.published or Counts() for r in rows), Counts()) if published is not None else None
    )
    return Preview(rows, draft_total, published_total, draft_left, published_left)


def preview_program(
    draft: dict[str, Any], published: dict[str, Any] | None, agency: str, on: date
) -> Preview:
    """The preview of the editor's draft (a catalog-file dict, as
    ``editor.program_dict`` builds it) next to the published program's dict.
    Raises :class:`CatalogError` while the draft does not validate. Reads only:
    nothing is written."""
    program = program_from_dict(draft, agencies=[agency], run_examples=False)
    base = None
    if published is not None:
        base = program_from_dict(published, agencies=[agency], run_examples=False).eligibility
    return preview(program.eligibility, base, on)
