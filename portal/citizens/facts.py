"""The facts the eligibility rules read of each citizen, kept in a narrow table.

The live preview of draft rules (portal/catalog/preview.py) counts the whole
registry under a draft in one scan. Reading the wide ``citizen`` rows and
parsing every profile's JSON text took 4.6 s (PostgreSQL) and 12.8 s (SQLite)
on a million people; :class:`~portal.citizens.models.CitizenFacts` holds, one
row per citizen, only what the conditions read, typed: the record's
municipality, birth date and sex, and each questionnaire answer the rules use
(numbers as reals, choices as short texts, yes/no as booleans, the children's
ages as how many, the youngest and the eldest).

Every domain function that writes a record's municipality, birth date, sex or
answers calls :func:`keep` (or :func:`keep_range` for a bulk load) in the same
transaction, after its write; the facts are recomputed from the row just
written by one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` statement, so
they can only say what the record says. Deleting a record deletes its facts
(ON DELETE CASCADE). Migration 0041 fills the table from the rows that were
already there with the same reading.

How an answer is read, the preview's meaning since it was written: a value
of the JSON type its field holds (a number, a string, true or false, a list
of numbers), else NULL, which the preview counts as unknown ("maybe"), as the
engine does with "No sé".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from peewee import chunked

from portal.citizens.models import Citizen, CitizenFacts
from portal.web.database import db, is_sqlite

# Questionnaire answers kept, by the JSON type they must have.
NUMBERS = ("household_size", "household_income_monthly")
TEXTS = ("student_level", "employment")
BOOLEANS = ("disability", "indigenous", "pregnant")
# The one list of ages, kept as children / youngest_child / eldest_child.
AGES = "children_ages"
# Ids per statement of :func:`keep` (well under every engine's parameter limit).
_IDS_PER_STATEMENT = 500

_COLUMNS = (
    "citizen_id",
    "municipality",
    "lives_in",
    "birth_date",
    "sex",
    *NUMBERS,
    *TEXTS,
    *BOOLEANS,
    "children",
    "youngest_child",
    "eldest_child",
)


def _sqlite_select(where: str) -> str:
    """The facts of the citizen rows that match ``where``, read on SQLite."""

    def kind(name: str) -> str:
        return f"json_type(profile, '$.{name}')"

    def value(name: str) -> str:
        return f"json_extract(profile, '$.{name}')"

    def ages(aggregate: str) -> str:
        return (
            f"CASE WHEN {kind(AGES)} = 'array' THEN (SELECT {aggregate} FROM "  # noqa: S608
            f"json_each(profile, '$.{AGES}') WHERE type IN ('integer', 'real')) END"
        )

    values = [
        "id",
        "municipality_id",
        f"COALESCE(municipality_id, CASE WHEN {kind('municipality')} = 'text' "
        f"THEN {value('municipality')} END)",
        "birth_date",
        "sex",
        *(f"CASE WHEN {kind(n)} IN ('integer', 'real') THEN {value(n)} END" for n in NUMBERS),
        *(f"CASE WHEN {kind(n)} = 'text' THEN {value(n)} END" for n in TEXTS),
        *(f"CASE {kind(n)} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END" for n in BOOLEANS),
        ages("COUNT(*)"),
        ages("MIN(value)"),
        ages("MAX(value)"),
    ]
    table = Citizen._meta.table_name
    return f"SELECT {', '.join(values)} FROM {table} WHERE {where}"  # noqa: S608


def _postgres_select(where: str) -> str:
    """The facts of the citizen rows that match ``where``, read on PostgreSQL
    (each profile parsed once, in the inner query)."""

    def typed(name: str, json_type: str, cast: str) -> str:
        return f"CASE WHEN jsonb_typeof(p->'{name}') = '{json_type}' THEN (p->>'{name}'){cast} END"

    def ages(aggregate: str) -> str:
        return (
            f"CASE WHEN jsonb_typeof(p->'{AGES}') = 'array' THEN (SELECT {aggregate} "  # noqa: S608
            f"FROM jsonb_array_elements(p->'{AGES}') AS e(v) WHERE jsonb_typeof(e.v) = 'number') END"
        )

    values = [
        "id",
        "m",
        f"COALESCE(m, {typed('municipality', 'string', '')})",
        "b",
        "s",
        *(typed(n, "number", "::float8") for n in NUMBERS),
        *(typed(n, "string", "") for n in TEXTS),
        *(typed(n, "boolean", "::boolean") for n in BOOLEANS),
        ages("COUNT(*)"),
        ages("MIN((e.v #>> '{}')::float8)"),
        ages("MAX((e.v #>> '{}')::float8)"),
    ]
    table = Citizen._meta.table_name
    # OFFSET 0 keeps the inner query apart, so the profile is parsed once per row.
    return (
        f"SELECT {', '.join(values)} FROM (SELECT id, municipality_id AS m, "  # noqa: S608
        f"birth_date AS b, sex AS s, profile::jsonb AS p FROM {table} WHERE {where} "
        "OFFSET 0) AS c"
    )


def _refresh(where: str, params: Sequence[Any]) -> int:
    """Recompute the facts of the citizens that match ``where``; rows written."""
    select = _sqlite_select(where) if is_sqlite() else _postgres_select(where)
    columns = ", ".join(_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
    table = CitizenFacts._meta.table_name
    cursor = db.execute_sql(
        # Column names are the constants above; every value is a parameter.
        f"INSERT INTO {table} ({columns}) {select} "  # noqa: S608
        f"ON CONFLICT (citizen_id) DO UPDATE SET {updates}",
        tuple(params),
    )
    return int(cursor.rowcount)


def keep(citizen_ids: Iterable[int]) -> None:
    """The facts of these citizens, from their record as it is now: call it in
    the transaction that wrote the record, after the write."""
    mark = db.param
    for part in chunked(sorted(set(citizen_ids)), _IDS_PER_STATEMENT):
        _refresh(f"id IN ({', '.join([mark] * len(part))})", part)


def keep_range(first_id: int, last_id: int) -> None:
    """The facts of the citizens with ids from ``first_id`` to ``last_id``: a bulk
    load's, in the transaction that inserted them (one statement, a range of
    the primary key)."""
    mark = db.param
    _refresh(f"id BETWEEN {mark} AND {mark}", (first_id, last_id))
