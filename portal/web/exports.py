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
import gzip
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import IO, Any

import brotli  # flask-compress's own dependency

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


@contextmanager
def _replacing(path: Path) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``path`` whole when the block ends (written to a
    temporary file, synced, renamed over it); a failure leaves neither."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (renamed below, not closed by a with)
        "wb", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, chunks: Iterable[str]) -> tuple[str, int]:
    """Write ``chunks`` (UTF-8) to ``path`` through a temporary file renamed over it.

    A reader sees the old file or the whole new one, never a half-written
    file; a failure leaves no temporary file behind. Returns the SHA-256 of
    the bytes (for an ETag) and their length. The file is readable by its
    owner only, like every data file of the portal.
    """
    digest = hashlib.sha256()
    size = 0
    with _replacing(path) as handle:
        for chunk in chunks:
            data = chunk.encode("utf-8")
            digest.update(data)
            size += len(data)
            handle.write(data)
    return digest.hexdigest(), size


# Compressed copies of a built file --------------------------------------------------

# Each built download is also kept compressed, made once when it is written:
# compressing a 2 MB roll per request cost ~8 ms of CPU for every download
# (flask-compress brotli), which made the rolls the slowest public URLs under
# load. The file suffix of each Content-Encoding, best first.
ENCODINGS = {"br": ".br", "gzip": ".gz"}
MIN_ENCODED_SIZE = 1400  # below one TCP segment a compressed copy saves no round trip
_CHUNK = 64 * 1024  # streamed: a fixed, small memory bound whatever the file


def encoded_path(path: Path, encoding: str) -> Path:
    return path.with_name(path.name + ENCODINGS[encoding])


def write_encoded_copies(path: Path) -> None:
    """Write ``path``'s brotli and gzip copies beside it (atomically, streamed)."""
    if path.stat().st_size < MIN_ENCODED_SIZE:
        remove_encoded_copies(path)
        return
    for encoding in ENCODINGS:
        with _replacing(encoded_path(path, encoding)) as handle, path.open("rb") as source:
            if encoding == "br":
                compressor = brotli.Compressor(quality=6)
                while chunk := source.read(_CHUNK):
                    handle.write(compressor.process(chunk))
                handle.write(compressor.finish())
            else:
                # mtime 0: the same bytes give the same file (and ETag) every build.
                with gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=6, mtime=0) as gz:
                    while chunk := source.read(_CHUNK):
                        gz.write(chunk)


def ensure_encoded_copies(path: Path) -> None:
    """Make ``path``'s copies if one is missing (a file kept from an earlier build)."""
    if path.stat().st_size >= MIN_ENCODED_SIZE and not all(
        encoded_path(path, encoding).exists() for encoding in ENCODINGS
    ):
        write_encoded_copies(path)


def remove_encoded_copies(path: Path) -> None:
    for encoding in ENCODINGS:
        encoded_path(path, encoding).unlink(missing_ok=True)


def remove_with_copies(path: Path) -> None:
    path.unlink(missing_ok=True)
    remove_encoded_copies(path)


def best_encoding(path: Path, accepted: Any) -> str | None:
    """The Content-Encoding to serve ``path`` in: the best one the client accepts
    (``request.accept_encodings``) whose copy exists; None for the plain file."""
    for encoding in ENCODINGS:
        if accepted[encoding] > 0 and encoded_path(path, encoding).exists():
            return encoding
    return None


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
