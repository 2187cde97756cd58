"""Filling a benchmark's SQLite database with millions of rows, fast.

``insert_many`` of peewee builds one SQL text of every row's values per chunk
and SQLite updates every index of the table row by row: a million people,
applications, enrollments and three million deliveries took half an hour on
the shared machine. Here, as ``portal/demo/bulk_applications.py`` loads the
demo: a prepared INSERT through ``executemany`` (its :class:`Table` fills each
column the rows do not give with the model's default), ids given in order,
``synchronous=OFF`` and no collector while it loads, and the tables' secondary
indexes dropped before and built again after (one sort each instead of a
million random inserts). On PostgreSQL, ``COPY`` in one transaction.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from peewee import Model, fn

from portal.demo.bulk_applications import Table
from portal.web.database import is_sqlite
from portal.web.extensions import db

CHUNK = 20_000


@contextmanager
def bulk_load(*models: type[Model]) -> Iterator[None]:
    """Inside: the models' secondary indexes are gone and writes are not synced.
    After: the indexes are built again and the transaction committed."""
    if not is_sqlite():  # COPY (Table.insert) is PostgreSQL's fast path already
        with db.atomic():
            yield
        return
    names = [m._meta.table_name for m in models]
    marks = ", ".join("?" for _ in names)
    indexes = db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",  # noqa: S608 (placeholders only)
        names,
    ).fetchall()
    db.execute_sql("PRAGMA synchronous = OFF")
    db.execute_sql("PRAGMA cache_size = -262144")  # 256 MiB while it loads
    gc.disable()
    try:
        with db.atomic():
            for name, _sql in indexes:
                db.execute_sql(f'DROP INDEX "{name}"')
            yield
            for _name, sql in indexes:
                db.execute_sql(sql)
    finally:
        gc.enable()
        db.execute_sql("PRAGMA synchronous = FULL")


def insert(model: type[Model], columns: Sequence[str], rows: Iterable[tuple]) -> list[int]:
    """Inserts ``rows`` (values of ``columns``, in order) with ids after the
    table's highest; returns the new ids, in the rows' order."""
    table = Table(model, columns)
    first = (model.select(fn.MAX(model.id)).scalar() or 0) + 1
    ids: list[int] = []
    chunk: list[tuple] = []
    for row in rows:
        row_id = first + len(ids)
        ids.append(row_id)
        chunk.append((row_id, *row))
        if len(chunk) == CHUNK:
            table.insert(chunk)
            chunk = []
    table.insert(chunk)
    return ids
