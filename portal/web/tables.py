"""What every area's tables build on: the base model, JSON text and UTC now.

Each area keeps its tables in its own ``models.py``; ``portal/models`` lists them
all in dependency order, and ``migrations/`` creates them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, cast

from peewee import (
    Field,
    Model,
    Node,
    SelectBase,
    TextField,
)

from portal.web.extensions import db


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class JSONText(TextField):
    """JSON stored as text: the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class _Bound:
    """Where a slot's value goes in a prepared statement's parameters."""

    __slots__ = ("convert", "index", "name")

    def __init__(self, name: str, index: int | None, convert: Callable[[Any], Any] | None):
        self.name, self.index, self.convert = name, index, convert

    def bind(self, values: Mapping[str, Any]) -> Any:
        value = values[self.name] if self.index is None else values[self.name][self.index]
        return self.convert(value) if self.convert else value


class Slot(Node):
    """A value a :class:`Prepared` query takes each time it runs.

    It renders as a statement parameter and remembers the converter peewee
    would have applied there (the column's ``db_value`` on the other side of a
    comparison), so the value given later is converted the same way.
    """

    def __init__(self, name: str, index: int | None = None) -> None:
        self.name, self.index = name, index

    @classmethod
    def many(cls, name: str, count: int) -> tuple[Slot, ...]:
        """``count`` slots taking the items of the list given as ``name`` (for ``IN``)."""
        return tuple(cls(name, i) for i in range(count))

    def __sql__(self, ctx):
        return ctx.value(_Bound(self.name, self.index, ctx.state.converter), converter=False)


class Prepared:
    """A query whose SQL text is built once per engine and shape, then run
    with new values.

    peewee builds a statement's text on every execution, which on the busiest
    pages cost more than running it. ``build(*variant, **shape)`` returns the
    query with :class:`Slot` where values go; ``shape`` holds the length of
    each list value (``Slot.many``), so a list of another length is built
    once more, and ``variant`` (hashable) is whatever else changes the
    statement (which filters are on). Calling the prepared query with the
    variant and the values gives what iterating the built query would
    (models, tuples or dicts, as the query selects).
    """

    def __init__(self, build: Callable[..., Any]) -> None:
        self._build = build
        self._built: dict[tuple, tuple[Any, str, list[Any]]] = {}

    def __call__(self, *variant: Any, **values: Any) -> Any:
        shape = {k: len(v) for k, v in values.items() if isinstance(v, list | tuple)}
        key = (type(db.obj), variant, tuple(sorted(shape.items())))
        entry = self._built.get(key)
        if entry is None:
            query = self._build(*variant, **shape)
            # The database's own context: a statement built from plain
            # Select()s is bound to none, and would get the default "?".
            sql, params = db.get_sql_context().sql(query).query()
            entry = self._built[key] = (query, sql, params)
        query, sql, params = entry
        bound = [p.bind(values) if isinstance(p, _Bound) else p for p in params]
        return query._get_cursor_wrapper(db.execute_sql(sql, bound))


def _converted(param: _Bound, field: Field) -> Callable[[Mapping[str, Any]], Any]:
    if param.convert is not None:
        return param.bind
    return lambda values: field.db_value(values[param.name])


class PreparedInsert:
    """``model.create(**values)`` for one row, with the INSERT's text built once
    per engine and set of columns (peewee builds it again on every create,
    which cost more than running it: the audit trail appends one or two rows
    on every case view). Each value goes through its column's ``db_value``, as
    peewee's would; returns the new row's id."""

    def __init__(self, model: type[Model]) -> None:
        self._model = model
        self._built: dict[tuple, tuple[str, list[Callable[[Any], Any]]]] = {}

    def __call__(self, **values: Any) -> int:
        key = (type(db.obj), tuple(sorted(values)))
        entry = self._built.get(key)
        if entry is None:
            fields = self._model._meta.fields
            query = self._model.insert({fields[name]: Slot(name) for name in key[1]})
            sql, params = db.get_sql_context().sql(query).query()
            # Each parameter, in the statement's order: its value, converted.
            takes = [_converted(p, fields[p.name]) for p in params]
            entry = self._built[key] = (sql, takes)
        sql, takes = entry
        cursor = db.execute_sql(sql, [take(values) for take in takes])
        if db.returning_clause:  # PostgreSQL: INSERT ... RETURNING id
            return cursor.fetchone()[0]
        return cursor.lastrowid


# One row by a unique column, prepared once per model and column (see :func:`find`).
_LOOKUPS: dict[tuple[type, str], Prepared] = {}


def find(model: type[Model], field: Field, value: Any) -> Any:
    """The row of ``model`` whose unique ``field`` equals ``value``, or None.

    What ``model.get_or_none(field == value)`` returns, as a :class:`Prepared`
    query: for a look-up by key, building the statement took three quarters
    of peewee's time (0.56 of 0.75 ms for a program).
    """
    key = (model, field.name)
    prepared = _LOOKUPS.get(key)
    if prepared is None:
        prepared = _LOOKUPS[key] = Prepared(
            lambda: model.select().where(field == Slot("value")).limit(1)
        )
    for row in prepared(value=value):
        return row
    return None


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False

    @classmethod
    def get_by_id(cls, pk: Any) -> Any:
        """``Model.get_by_id`` through :func:`find` (same result, same error)."""
        row = find(cls, cast(Field, cls._meta.primary_key), pk)
        if row is None:
            raise cls.DoesNotExist(f"{cls.__name__} with id {pk!r} does not exist")  # type: ignore[attr-defined]
        return row


def tuples(query: SelectBase) -> Iterator[tuple[Any, ...]]:
    """The rows of ``query``, each a tuple of the columns it selects.

    peewee's ``.tuples()`` makes a query yield tuples, but its stubs keep the
    query's model as the row type; iterating through here gives mypy the truth.
    """
    return iter(cast("Iterable[tuple[Any, ...]]", query.tuples()))


# Statuses and roles are defined once, in portal/vocabulary.py; the allowed
# transitions live in portal/applications/workflow.py.


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)
