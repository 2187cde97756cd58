"""What every area's tables build on: the base model, JSON text and UTC now.

Each area keeps its tables in its own ``models.py``; ``portal/models`` lists them
all in dependency order, and ``migrations/`` creates them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import Any, cast

from peewee import (
    Model,
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


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


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
