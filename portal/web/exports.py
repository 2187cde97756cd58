"""Files the portal hands out for spreadsheets: one CSV writer for every download.

Every cell, header included, goes through :func:`safe_cell`: a cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) gets a leading apostrophe (OWASP "CSV injection").
Lines end in ``\\r\\n`` (RFC 4180). :func:`csv_lines` and :func:`json_chunks`
yield the text in chunks, :func:`stream_rows` reads a query's rows a chunk at
a time from the database (a server-side cursor on PostgreSQL, whose ordinary
cursor would fetch every row at once), and :func:`write_atomically` writes the
chunks to a file that appears whole or not at all: an export of a million rows
never sits in memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import count
from pathlib import Path
from typing import Any

from portal.web.database import is_sqlite
from portal.web.extensions import db

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK_CHARS = 1 << 16
FETCH_ROWS = 2_000
_cursor_names = count()


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text in chunks of whole lines, every cell made formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
        if buffer.tell() > CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV as one string, for small downloads."""
    return "".join(csv_lines(header, rows))


def json_chunks(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """A JSON array of objects, one object a line, in chunks of whole objects."""
    parts: list[str] = ["["]
    size = 1
    separator = "\n"
    for row in rows:
        text = json.dumps(row, ensure_ascii=False, default=str)
        parts.append(separator + text)
        separator = ",\n"
        size += len(text) + 2
        if size > CHUNK_CHARS:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("\n]\n")
    yield "".join(parts)


def stream_rows(query: Any, fetch: int = FETCH_ROWS) -> Iterator[tuple]:
    """The rows of a peewee query as tuples, ``fetch`` at a time from the database.

    SQLite's cursor already steps through the result as it is read. On
    PostgreSQL a named (server-side) cursor inside a transaction does the same;
    the ordinary cursor would bring the whole result into memory first.
    """
    sql, params = query.sql()
    if is_sqlite():
        cursor = db.execute_sql(sql, params)
        try:
            while rows := cursor.fetchmany(fetch):
                yield from rows
        finally:
            cursor.close()
        return
    with db.atomic():
        # A cursor's plan is chosen for its first rows by default (a nested
        # loop that never ends on a big join); an export reads them all.
        db.execute_sql("SET LOCAL cursor_tuple_fraction = 1.0")
        named = db.connection().cursor(name=f"export_{os.getpid()}_{next(_cursor_names)}")
        try:
            named.itersize = fetch
            named.execute(sql, params)
            while rows := named.fetchmany(fetch):
                yield from rows
        finally:
            named.close()


def write_atomically(path: Path, chunks: Iterable[str]) -> tuple[str, int]:
    """Write ``chunks`` (UTF-8) to ``path`` through a temporary file renamed over it.

    A reader sees the old file or the whole new one, never a half-written
    file; a failure leaves no temporary file behind. Returns the SHA-256 of
    the bytes (for an ETag) and their length. The file is readable by its
    owner only, like every data file of the portal.
    """
    digest = hashlib.sha256()
    size = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (renamed below, not closed by a with)
        "wb", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            for chunk in chunks:
                data = chunk.encode("utf-8")
                digest.update(data)
                size += len(data)
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def xlsx_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]], sheet: str = "Datos") -> bytes:
    """A one-sheet Excel workbook (openpyxl, written row by row). Numbers stay
    numbers; text goes through :func:`safe_cell`, since openpyxl would store a
    text starting with ``=`` as a formula."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    page = book.create_sheet(title=sheet[:31])

    def cell(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return safe_cell(value)
        return value

    page.append([safe_cell(c) for c in header])
    for row in rows:
        page.append([cell(c) for c in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
