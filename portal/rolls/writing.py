"""Bulk upload of beneficiary rolls (carga masiva de padrones): writing a batch.

An agency brings the roll of one of its programs as CSV or XLSX
(portal/rolls/reading.py); every row is judged on its own
(portal/rolls/judging.py), the file as a whole (a CURP met twice) in
portal/rolls/pipeline.py, and here against the database: the person is not
already enrolled in the program, nor in another program of its exclusion
group (one query on the same key the unique index guards).

Accepted rows reuse the citizen record with that CURP or create one (origin
``import``) and get an enrollment (source ``padron``). Everything a batch
writes (citizens, enrollments, rejected rows, the final counts) happens in one
transaction: a crash, even ``kill -9``, leaves nothing of it, and running the
batch again (same file: same batch, found by its SHA-256) resumes it. A batch
that finished is never run again, so re-importing a file creates nothing new;
the same rows in another file are rejected as already enrolled.

Speed (bench/import.py): rows are validated in Python in chunks, for a large
roll in a second process while this one writes (portal/rolls/pipeline.py);
existing CURPs and enrollments are looked up a chunk at a time with ``IN``
lists; inserts go through ``executemany`` of plain tuples; the program's rules
are compiled once; a roll that at least doubles a table rebuilds that table's
plain indexes at its end instead of keeping them current row by row.
On SQLite the import's connection gets a page cache large enough for the
citizen indexes (random CURPs otherwise evict each other's pages), new
citizens are inserted in CURP order (neighbouring index pages), and their ids
are numbered from the table's largest id instead of being read back: the
write lock held by the transaction makes that numbering certain.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.models import Citizen, ImportBatch, ImportRejection, Program, utcnow
from portal.rolls import pipeline
from portal.rolls.judging import Rejection, RollContext, Row, build_context, full_name
from portal.rolls.reading import (
    RollError,
    count_rows,
    file_sha256,
    map_headers,
    read_rows,
    sniff_kind,
)
from portal.transparency import changes as open_data
from portal.transparency import public as transparency
from portal.web.database import SQLITE_PRAGMAS, is_sqlite, write
from portal.web.exports import csv_lines
from portal.web.extensions import db

# Page cache of the import's SQLite connection (KiB): holds the citizen
# indexes of a state of several million people; SQLite takes it as it goes.
IMPORT_CACHE_KIB = 1_000_000
LOOKUP_SLICE = 5000  # values per IN list, well under every database's limit

REPORT_HEADER = ("fila", "curp", "nombre", "motivos")

CITIZEN_COLUMNS = (
    "curp", "given_names", "first_surname", "second_surname", "birth_date", "sex",
    "municipality_id", "origin", "created_at", "updated_at",
)  # fmt: skip
ENROLLMENT_COLUMNS = (
    "citizen_id", "program_id", "exclusion_key", "source", "import_batch", "active",
    "benefit_amount", "started_on", "created_at", "end_reason",
)  # fmt: skip
REJECTION_COLUMNS = ("batch_id", "row_number", "curp", "name", "reasons")
# Tables a roll writes to, whose plain (not unique) indexes a large roll drops
# and builds again at its end.
INDEXED_TABLES = ("citizen", "enrollment")

Progress = Callable[[int, int], None]


@dataclass
class Counts:
    total: int = 0
    accepted: int = 0
    rejected: int = 0
    new_citizens: int = 0


# --- The batch ------------------------------------------------------------------------------


def prepare_batch(
    path: Path, filename: str, program: Program, created_by_id: int | None = None
) -> tuple[ImportBatch, bool]:
    """Register the file as a batch, checking it can be read at all.

    Returns (batch, True) when there is work to do, or the finished batch of
    the same file and False: re-importing a file creates nothing new. A batch
    that failed or was interrupted is reused, so the import resumes.
    """
    kind = sniff_kind(path)
    header = next(read_rows(path, kind), None)
    if header is None:
        raise RollError(_l("El archivo está vacío."))
    map_headers(header)
    digest = file_sha256(path)
    with write():
        batch = ImportBatch.get_or_none(program=program, sha256=digest)
        if batch is None:
            batch = ImportBatch.create(
                program=program, filename=filename[:200], sha256=digest, created_by=created_by_id
            )
        elif batch.status != "terminado":
            batch.status, batch.error, batch.processed = "pendiente", "", 0
            batch.save()
    return batch, batch.status != "terminado"


def claim_batch(batch_id: int, stalled_before: dt.datetime) -> bool:
    """Mark a batch about to run ``en_proceso`` since now, committed at once
    (outside the import's transaction, so other processes see it).

    Only a batch that is ``pendiente``, or ``en_proceso`` since before
    ``stalled_before`` (its run was lost), can be claimed: False means another
    run holds it, or it finished or failed meanwhile.
    """
    now = utcnow()
    with write():
        claimed = (
            ImportBatch.update(status="en_proceso", started_at=now)
            .where(
                (ImportBatch.id == batch_id)
                & (
                    (ImportBatch.status == "pendiente")
                    | (
                        (ImportBatch.status == "en_proceso")
                        & (
                            ImportBatch.started_at.is_null()
                            | (ImportBatch.started_at < stalled_before)
                        )
                    )
                )
            )
            .execute()
        )
    return bool(claimed)


def run_batch(
    batch_id: int,
    path: Path,
    *,
    progress: Progress | None = None,
    today: date | None = None,
    parallel: bool | None = None,
) -> ImportBatch:
    """Judge and write every row of the batch in one transaction.

    On any error the transaction is rolled back and the batch marked
    ``fallido`` with a reason people can read; a file that cannot be read is
    not re-raised, anything else is. ``parallel`` judges the rows in a second
    process (see portal/rolls/pipeline.py); by default, for rolls of
    pipeline.PARALLEL_MIN_ROWS rows or more.
    """
    started = utcnow()
    sqlite = is_sqlite()
    try:
        total = count_rows(path)
        if sqlite:
            db.execute_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        with write():
            batch = ImportBatch.get_by_id(batch_id)
            if batch.status == "terminado":
                return batch  # another run finished it while this one waited for the lock
            with without_cycle_collector():
                counts = _import(batch, path, total, progress, today, parallel)
            _finish(batch, counts, started)
            return batch
    except RollError as exc:
        return fail_batch(batch_id, exc.message)
    except Exception as exc:  # the batch must end up in a state people can read
        fail_batch(batch_id, _failure_message(exc))
        raise
    finally:
        if sqlite:
            # The connection goes back to serving requests: give the memory back.
            db.execute_sql(f"PRAGMA cache_size = {SQLITE_PRAGMAS['cache_size']}")


def _finish(batch: ImportBatch, counts: Counts, started: Any) -> None:
    batch.status = "terminado"
    batch.total_rows, batch.accepted, batch.rejected = (
        counts.total,
        counts.accepted,
        counts.rejected,
    )
    batch.new_citizens, batch.processed = counts.new_citizens, counts.total
    batch.started_at, batch.finished_at, batch.error = started, utcnow(), ""
    batch.save()


def _failure_message(exc: Exception) -> str:
    if type(exc).__name__ == "IntegrityError":
        return str(
            _l(
                "Mientras se cargaba, otra operación inscribió a alguna persona del archivo; "
                "no se guardó ninguna fila. Vuelva a subir el archivo."
            )
        )
    return str(_l("La carga no se completó; no se guardó ninguna fila. Intente de nuevo."))


def fail_batch(batch_id: int, message: str) -> ImportBatch:
    """Mark the batch ``fallido`` with ``message`` for people; a finished batch stays so."""
    with write():
        ImportBatch.update(status="fallido", error=str(message), finished_at=utcnow()).where(
            (ImportBatch.id == batch_id) & (ImportBatch.status != "terminado")
        ).execute()
    return ImportBatch.get_by_id(batch_id)


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    """Pause Python's cycle collector while a roll is judged or written.

    A roll makes millions of tuples and strings that never form cycles, yet
    each batch of allocations sets off a collection that walks every object
    the process holds: with a large heap that was a tenth of an import's time.
    Reference counting still frees everything as usual; only cycles (made by
    other threads meanwhile) wait until the import ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import(
    batch: ImportBatch,
    path: Path,
    total: int,
    progress: Progress | None,
    today: date | None,
    parallel: bool | None,
) -> Counts:
    ctx = build_context(batch.program, today)
    summary_current = transparency.summary_is_current()
    ImportRejection.delete().where(ImportRejection.batch == batch.id).execute()
    if parallel is None:
        parallel = pipeline.should_run_in_parallel(total)
    counts = Counts()
    rebuild = _set_aside_indexes(total) if is_sqlite() else []
    # closing(): on an error the judging process ends now, not when the
    # traceback holding this generator is let go.
    with closing(pipeline.judged_chunks(path, ctx, parallel=parallel)) as chunks:
        for read, good, rejections in chunks:
            counts.total += read
            _write_chunk(good, rejections, ctx, batch.id, counts)
            if progress:
                progress(counts.total, total)
    for sql in rebuild:
        db.execute_sql(sql)
    if summary_current:
        transparency.add_to_summary(ctx.program_id, ctx.cells, ctx.months)
    open_data.mark_changed(open_data.BENEFICIARIES, ctx.program_id)
    if progress:
        progress(counts.total, total)
    return counts


def _set_aside_indexes(rows: int) -> list[str]:
    """Drop the plain indexes of the tables a roll of ``rows`` rows at least
    doubles, and return the statements that build them again (SQLite).

    Keeping an index current costs about a microsecond per row and index,
    building it again from scratch (a sort) about half that per row of the
    whole table: for a roll as large as the table, rebuilding wins. Unique
    indexes stay, since the import's look-ups and the duplicate guarantees
    rest on them; everything happens inside the import's transaction, so a
    crash leaves the indexes as they were.
    """
    statements: list[str] = []
    for table in INDEXED_TABLES:
        # The largest id: a stand-in for the row count that costs no scan.
        held = db.execute_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]  # noqa: S608
        if rows < 2 * held:
            continue
        indexes = db.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
            (table,),
        ).fetchall()
        for name, sql in indexes:
            db.execute_sql(f'DROP INDEX "{name}"')
            statements.append(sql)
    return statements


# --- Rows -----------------------------------------------------------------------------------


def _param() -> str:
    return str(db.obj.param)


def _select_in(
    sql_before_in: str, values: Sequence[Any], params: Sequence[Any] = ()
) -> list[tuple]:
    """Run ``sql_before_in (…values…)`` in slices the database accepts."""
    found: list[tuple] = []
    p = _param()
    for start in range(0, len(values), LOOKUP_SLICE):
        part = values[start : start + LOOKUP_SLICE]
        sql = f"{sql_before_in} ({', '.join([p] * len(part))})"
        found.extend(db.execute_sql(sql, (*params, *part)).fetchall())
    return found


def insert_many(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Plain tuples into ``table`` with one ``executemany``."""
    if not rows:
        return
    p = _param()
    # Table and column names are this module's constants; values go as parameters.
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([p] * len(columns))})"  # noqa: S608
    cursor = db.cursor()
    cursor.executemany(sql, rows)


def citizen_constants() -> tuple[list[str], tuple]:
    """Columns of a citizen row the roll does not fill, with the model's defaults."""
    filled = {
        "id", "curp", "given_names", "first_surname", "second_surname", "birth_date", "sex",
        "municipality", "origin", "created_at", "updated_at",
    }  # fmt: skip
    columns, values = [], []
    for f in Citizen._meta.sorted_fields:
        if f.name in filled:
            continue
        default = f.default() if callable(f.default) else f.default
        columns.append(f.column_name)
        values.append(f.db_value(default))
    return columns, tuple(values)


def _write_chunk(
    rows: list[Row],
    rejections: list[Rejection],
    ctx: RollContext,
    batch_id: int,
    counts: Counts,
) -> None:
    now = str(utcnow())
    # Statistics count an enrollment under its citizen record's municipality,
    # sex and birth year, which for people already recorded is the record's.
    found = _select_in(
        "SELECT id, curp, municipality_id, sex, birth_date FROM citizen WHERE curp IN",
        [r.curp for r in rows],
    )
    existing = {curp: cid for cid, curp, *_rest in found}
    recorded = {curp: (mun or "", sex, int(str(born)[:4])) for _id, curp, mun, sex, born in found}
    if existing:
        rows = _not_enrolled(rows, existing, ctx, rejections)
    new = sorted((r for r in rows if r.curp not in existing), key=_by_curp)
    existing.update(_insert_citizens(new, now))
    # In citizen id order, so the enrollment indexes led by citizen_id fill
    # neighbouring pages.
    ids = sorted((existing[r.curp], r) for r in rows)
    _insert_enrollments(ids, ctx, batch_id, now)
    _insert_rejections(rejections, batch_id)
    for r in rows:
        ctx.cells[recorded.get(r.curp) or (r.municipality or "", r.sex, int(r.birth_date[:4]))] += 1
        ctx.months[r.started_on[:7]] += 1
    counts.accepted += len(rows)
    counts.rejected += len(rejections)
    counts.new_citizens += len(new)


def _not_enrolled(
    rows: list[Row], existing: dict[str, int], ctx: RollContext, rejections: list[Rejection]
) -> list[Row]:
    """The rows whose people hold no active enrollment in the program's exclusion
    group; the others go to ``rejections``."""
    enrolled = dict(
        _select_in(
            "SELECT citizen_id, program_id FROM enrollment WHERE active "  # noqa: S608
            f"AND exclusion_key = {_param()} AND citizen_id IN",
            list(existing.values()),
            (ctx.exclusion_key,),
        )
    )
    kept = []
    for row in rows:
        program_id = enrolled.get(existing.get(row.curp, -1))
        if program_id is None:
            kept.append(row)
        else:
            rejections.append((row.number, row.curp, full_name(row), [_enrolled(program_id, ctx)]))
    return kept


def _enrolled(program_id: int, ctx: RollContext) -> str:
    if program_id == ctx.program_id:
        return str(_l("Ya está inscrita en este programa."))
    other = ctx.program_names.get(program_id) or str(_l("otro programa"))
    return str(_l("No se puede combinar con %(program)s, que ya recibe.", program=other))


def _insert_citizens(new: list[Row], now: str) -> Iterator[tuple[str, int]]:
    """Insert the new citizens; (CURP, id) of each."""
    extra_columns, extra_values = citizen_constants()
    sqlite = is_sqlite()
    first_id = 0
    if sqlite and new:
        first_id = db.execute_sql("SELECT COALESCE(MAX(id), 0) + 1 FROM citizen").fetchone()[0]
    insert_many(
        "citizen",
        (*(("id",) if sqlite else ()), *CITIZEN_COLUMNS, *extra_columns),
        [
            (
                *((first_id + i,) if sqlite else ()),
                r.curp,
                r.given_names,
                r.first_surname,
                r.second_surname,
                r.birth_date,
                r.sex,
                r.municipality,
                "import",
                now,
                now,
                *extra_values,
            )
            for i, r in enumerate(new)
        ],
    )
    if sqlite:
        return ((r.curp, first_id + i) for i, r in enumerate(new))
    if not new:
        return iter(())
    found = _select_in("SELECT id, curp FROM citizen WHERE curp IN", [r.curp for r in new])
    return ((curp, cid) for cid, curp in found)


def _insert_enrollments(
    ids: list[tuple[int, Row]], ctx: RollContext, batch_id: int, now: str
) -> None:
    insert_many(
        "enrollment",
        ENROLLMENT_COLUMNS,
        [
            (
                citizen_id,
                ctx.program_id,
                ctx.exclusion_key,
                "padron",
                str(batch_id),
                True,
                r.amount,
                r.started_on,
                now,
                "",
            )
            for citizen_id, r in ids
        ],
    )


def _insert_rejections(rejections: list[Rejection], batch_id: int) -> None:
    insert_many(
        "import_rejection",
        REJECTION_COLUMNS,
        [
            (batch_id, number, curp[:40], name[:200], json.dumps(reasons, ensure_ascii=False))
            for number, curp, name, reasons in rejections
        ],
    )


def _by_curp(row: Row) -> str:
    return row.curp


# --- Progress between processes -------------------------------------------------------------


class ProgressFile:
    """Progress of a running batch, readable from other requests and processes.

    The batch's own row cannot carry it: it changes inside the import's
    transaction, which nobody else sees until it commits.
    """

    STALE_AFTER = 120  # seconds without news: the run died (the batch can be resumed)

    def __init__(self, folder: str | Path, batch_id: int) -> None:
        self.path = Path(folder) / f"progreso-{batch_id}.json"

    def __call__(self, processed: int, total: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"processed": processed, "total": total, "at": time.time()}))
        os.replace(tmp, self.path)

    def read(self) -> dict | None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        data["stale"] = time.time() - data["at"] > self.STALE_AFTER
        return data

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


# --- Report ---------------------------------------------------------------------------------


def report_rows(batch_id: int) -> Iterator[tuple]:
    query = (
        ImportRejection.select()
        .where(ImportRejection.batch == batch_id)
        .order_by(ImportRejection.row_number)
    )
    for r in query.iterator():
        yield (r.row_number, r.curp, r.name, "; ".join(r.reasons))


def report_csv(batch_id: int) -> Iterator[str]:
    return csv_lines(REPORT_HEADER, report_rows(batch_id))
