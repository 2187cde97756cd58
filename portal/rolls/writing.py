"""Bulk upload of beneficiary rolls (carga masiva de padrones): writing a batch.

An agency brings the roll of one of its programs as CSV or XLSX
(portal/rolls/reading.py); every row is judged on its own
(portal/rolls/judging.py), the file as a whole (a CURP met twice) in
portal/rolls/pipeline.py, and here against the database: the person is not
already enrolled in the program, nor in another program of its exclusion
group (one query on the same key the unique index guards).

Accepted rows reuse the citizen record with that CURP or create one (origin
``import``) and get an enrollment (source ``padron``). A batch is written in
short transactions of WRITE_ROWS rows, so that other writers (a staff sign-in,
a citizen's save) wait a fraction of a second instead of the whole import; its
enrollments are *staged*: inactive, under the batch's id, invisible to every
reader (they all read active enrollments). One final transaction,
:func:`_publish`, makes them active, counts them into the statistics and
marks the batch ``terminado``: everyone else sees the whole batch or none of
it. A failure, or ``kill -9``, leaves only staged rows, which
:func:`discard_staged` removes with the citizen records the batch alone
created (on the failure itself, in the recovery, or at the start of the next
run of the batch). What does show while a batch runs: new people's citizen
records (without any enrollment) and the batch's progress. Running the batch
again (same file: same batch, found by its SHA-256) resumes it. A batch that
finished is never run again, so re-importing a file creates nothing new; the
same rows in another file are rejected as already enrolled.

Speed (bench/import.py, bench/import_lock.py): rows are validated in Python
in chunks, for a large roll in a second process while this one writes
(portal/rolls/pipeline.py); existing CURPs and enrollments are looked up a
slice at a time with ``IN`` lists; inserts go through ``executemany`` of plain
tuples; the program's rules are compiled once. On SQLite the import's
connection gets a page cache large enough for the citizen indexes (random
CURPs otherwise evict each other's pages), new citizens are inserted in CURP
order (neighbouring index pages), and their ids are numbered from the table's
largest id instead of being read back: the write lock held by each
transaction makes that numbering certain. (Dropping and rebuilding indexes
for a large roll, which a single transaction allowed, is gone: with short
transactions others would see the table without them.)
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from peewee import ForeignKeyField, fn

from portal.citizens import facts
from portal.messages import _l
from portal.models import (
    Citizen,
    CitizenFacts,
    Enrollment,
    ImportBatch,
    ImportRejection,
    Program,
    utcnow,
)
from portal.rolls import pipeline
from portal.rolls.judging import Rejection, RollContext, Row, build_context, full_name
from portal.rolls.reading import (
    RollError,
    Source,
    check_file,
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

log = logging.getLogger("portal.rolls")

# Page cache of the import's SQLite connection (KiB): holds the citizen
# indexes of a state of several million people; SQLite takes it as it goes.
IMPORT_CACHE_KIB = 1_000_000
LOOKUP_SLICE = 5000  # values per IN list, well under every database's limit
# Rows written per transaction of an import: other writers wait at most that
# long (about 0.1 s on a quiet machine), and each transaction pays one commit.
WRITE_ROWS = 1000
# A batch still pendiente or en_proceso this long after its last sign of life
# (upload, claim, a chunk written, progress) lost its run.
STALLED_AFTER = dt.timedelta(minutes=10)

REPORT_HEADER = ("fila", "curp", "nombre", "motivos")

CITIZEN_COLUMNS = (
    "curp", "given_names", "first_surname", "second_surname", "birth_date", "sex",
    "municipality_id", "origin", "created_at", "updated_at", "locality_code", "locality",
    "postal_code", "settlement_type", "settlement_name",
)  # fmt: skip
ENROLLMENT_COLUMNS = (
    "citizen_id", "program_id", "exclusion_key", "source", "import_batch", "active",
    "benefit_amount", "started_on", "created_at", "end_reason",
)  # fmt: skip
REJECTION_COLUMNS = ("batch_id", "row_number", "curp", "name", "reasons")

Progress = Callable[[int, int], None]
# Called inside _publish()'s transaction with the batch's id and its program's
# (the planning figures commit the roll's enrollments).
on_published: list[Callable[[int, int], None]] = []
# Called with the batch's id once _publish() has committed (the queue's search
# for probable duplicates among the people the roll created, portal/rolls/tasks.py).
after_published: list[Callable[[int], None]] = []


@dataclass
class Counts:
    total: int = 0
    accepted: int = 0
    rejected: int = 0
    new_citizens: int = 0
    addresses_unmatched: int = 0  # rows whose address the catalogs did not recognise


# --- The batch ------------------------------------------------------------------------------


class Superseded(Exception):
    """Another run claimed the batch (this one was taken for lost): stop, touch nothing."""


def prepare_batch(
    source: Source, filename: str, program: Program, created_by_id: int | None = None
) -> tuple[ImportBatch, bool]:
    """Register the file as a batch, checking it can be read at all.

    Returns (batch, True) when there is work to do, or the finished batch of
    the same file and False: re-importing a file creates nothing new. A batch
    that failed or was interrupted is reused, so the import resumes.
    """
    batch, pending, _replaced = register_batch(source, filename, program, created_by_id)
    return batch, pending


def register_batch(
    source: Source,
    filename: str,
    program: Program,
    created_by_id: int | None = None,
    stored_file: str = "",
    checked: bool = False,
    preview: bool = False,
) -> tuple[ImportBatch, bool, str]:
    """:func:`prepare_batch`, recording ``stored_file`` (the encrypted upload,
    portal/rolls/files.py) on a batch with work to do; also returns the blob
    key it replaced, for the caller to delete ("" when none). ``checked``:
    the caller already ran :func:`check_source` on it. ``preview``: the batch
    waits as ``vista_previa`` for its dry run and an admin's decision
    (portal/rolls/preview.py); a file uploaded again while it waits, or after
    it failed or was discarded, is previewed anew (a batch already committed
    goes on as it is)."""
    if not checked:
        check_source(source)
    digest = file_sha256(source)
    replaced = ""
    with write():
        batch = ImportBatch.get_or_none(program=program, sha256=digest)
        waiting = "vista_previa" if preview else "pendiente"
        if batch is None:
            batch = ImportBatch.create(
                program=program,
                filename=filename[:200],
                sha256=digest,
                created_by=created_by_id,
                stored_file=stored_file,
                status=waiting,
            )
        elif batch.status != "terminado":
            if batch.status in ("fallido", "descartado", "vista_previa"):
                batch.status, batch.error, batch.processed = waiting, "", 0
                batch.preview = None
            if stored_file:
                replaced, batch.stored_file = batch.stored_file, stored_file
            batch.save()
    return batch, batch.status != "terminado", replaced


def check_source(source: Source) -> None:
    """RollError unless the file is a CSV or XLSX within the bounds of
    reading.LIMITS, with a header naming the required columns."""
    kind = sniff_kind(source)
    check_file(source, kind)
    header = next(read_rows(source, kind), None)
    if header is None:
        raise RollError(_l("El archivo está vacío."))
    map_headers(header)


def has_staged(batch_id: int) -> bool:
    """Whether an unfinished run of the batch left rows behind (a read, no lock)."""
    staged = (
        Enrollment.select(Enrollment.id)
        .where((Enrollment.import_batch == str(batch_id)) & (Enrollment.active == False))  # noqa: E712
        .exists()
    )
    return staged or ImportRejection.select().where(ImportRejection.batch == batch_id).exists()


def claim_batch(batch_id: int, stalled_before: dt.datetime) -> dt.datetime | None:
    """Mark a batch about to run ``en_proceso`` since now, committed at once
    (outside the import's transactions, so other processes see it).

    Only a batch that is ``pendiente``, or ``en_proceso`` with no sign of life
    since before ``stalled_before`` (its run was lost), can be claimed. Returns
    the claim (its ``started_at``), which every transaction of the run checks
    (a run taken for lost that wakes up stops there), or None when another run
    holds the batch or it finished or failed meanwhile.
    """
    now = utcnow()
    last_news = fn.COALESCE(ImportBatch.heartbeat_at, ImportBatch.started_at)
    with write():
        claimed = (
            ImportBatch.update(
                status="en_proceso", started_at=now, heartbeat_at=now, processed=0, error=""
            )
            .where(
                (ImportBatch.id == batch_id)
                & (
                    (ImportBatch.status == "pendiente")
                    | (
                        (ImportBatch.status == "en_proceso")
                        & (last_news.is_null() | (last_news < stalled_before))
                    )
                )
            )
            .execute()
        )
    return now if claimed else None


def _still_ours(batch_id: int, claim: dt.datetime, processed: int) -> None:
    """Inside a transaction of the run: record its progress and a sign of life,
    or raise Superseded when the batch is no longer this run's."""
    kept = (
        ImportBatch.update(processed=processed, heartbeat_at=utcnow())
        .where(
            (ImportBatch.id == batch_id)
            & (ImportBatch.status == "en_proceso")
            & (ImportBatch.started_at == claim)
        )
        .execute()
    )
    if not kept:
        raise Superseded(batch_id)


def run_batch(
    batch_id: int,
    source: Source,
    *,
    progress: Progress | None = None,
    today: date | None = None,
    parallel: bool | None = None,
    claim: dt.datetime | None = None,
) -> ImportBatch:
    """Judge and write every row of the batch, visible to others all at once.

    The rows are written in one short transaction per chunk, as *staged*
    enrollments (inactive, under the batch's id), which nobody else counts or
    sees: every reader of enrollments reads active ones. One final
    transaction (:func:`_publish`) makes them active and the batch
    ``terminado``. So other writers wait for a chunk at most (a fraction of a
    second) instead of the whole import, and the import stays all-or-nothing:
    a failure, or ``kill -9``, leaves only staged rows, which
    :func:`discard_staged` removes (here on a failure, in the recovery after a
    kill, and at the start of the next run of the batch).

    Claims the batch unless ``claim`` says the caller did (:func:`claim_batch`);
    a batch another run holds is returned as it is. On any error the batch is
    marked ``fallido`` with a reason people can read; a file that cannot be
    read is not re-raised, anything else is. ``parallel`` judges the rows in a
    second process (see portal/rolls/pipeline.py); by default, for rolls of
    pipeline.PARALLEL_MIN_ROWS rows or more.
    """
    claim = claim or claim_batch(batch_id, utcnow() - STALLED_AFTER)
    if claim is None:
        return ImportBatch.get_by_id(batch_id)  # another run holds it, or it is over
    sqlite = is_sqlite()
    try:
        discard_staged(batch_id)  # what a lost run of this batch left
        total = count_rows(source)
        if sqlite:
            db.execute_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        batch = ImportBatch.get_by_id(batch_id)
        with without_cycle_collector():
            counts, ctx = _import(batch, source, total, progress, today, parallel, claim)
        # Here: the preview builds on this module.
        from portal.rolls.preview import check_matches

        check_matches(batch, counts)  # a previewed upload does what it showed, or nothing
        _publish(batch, counts, ctx, claim)
        _announce_published(batch_id)
        return ImportBatch.get_by_id(batch_id)
    except Superseded:
        return ImportBatch.get_by_id(batch_id)
    except RollError as exc:
        failed = fail_batch(batch_id, exc.message, claim)
        discard_staged(batch_id)
        return failed
    except Exception as exc:  # the batch must end up in a state people can read
        fail_batch(batch_id, _failure_message(exc), claim)
        with suppress(Exception):  # the database may be what failed: the recovery retries
            discard_staged(batch_id)
        raise
    finally:
        if sqlite:
            # The connection goes back to serving requests: give the memory back.
            db.execute_sql(f"PRAGMA cache_size = {SQLITE_PRAGMAS['cache_size']}")


def _announce_published(batch_id: int) -> None:
    """Tell :data:`after_published`; the batch is published whatever they do (a
    queue that cannot take the task is logged, and ``flask padron duplicates``
    goes through the whole registry)."""
    for hook in after_published:
        try:
            hook(batch_id)
        except Exception as exc:  # noqa: BLE001 - any queue failure; its message may quote rows
            log.error(
                "lote %s: no se pudo encolar la búsqueda de duplicados: %s",
                batch_id,
                type(exc).__name__,
            )


def _publish(batch: ImportBatch, counts: Counts, ctx: RollContext, claim: dt.datetime) -> None:
    """The one step that makes a batch visible: its staged enrollments become
    active, its counts go into the statistics summaries, it is ``terminado``.

    An UPDATE of the batch's rows through the ``import_batch`` index (about a
    second for 400,000 rows on SQLite: bench/import_lock.py). Someone enrolled
    meanwhile in the program's exclusion group makes the unique index refuse
    it, and the batch fails as a whole (:func:`_failure_message`).
    """
    with write():
        _still_ours(batch.id, claim, counts.total)
        summary_current = transparency.summary_is_current()
        db.execute_sql(
            f"UPDATE enrollment SET active = {_param()} "  # noqa: S608
            f"WHERE import_batch = {_param()} AND active = {_param()}",
            (True, str(batch.id), False),
        )
        if summary_current:
            transparency.add_to_summary(ctx.program_id, ctx.cells, ctx.months)
        open_data.mark_changed(open_data.BENEFICIARIES, ctx.program_id)
        for hook in on_published:
            hook(batch.id, ctx.program_id)
        batch.status = "terminado"
        batch.total_rows, batch.accepted, batch.rejected = (
            counts.total,
            counts.accepted,
            counts.rejected,
        )
        batch.new_citizens, batch.processed = counts.new_citizens, counts.total
        batch.addresses_unmatched = counts.addresses_unmatched
        batch.started_at, batch.finished_at, batch.error = claim, utcnow(), ""
        batch.stored_file = ""  # its blob goes next (portal/rolls/uploads.py)
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


def fail_batch(batch_id: int, message: str, claim: dt.datetime | None = None) -> ImportBatch:
    """Mark the batch ``fallido`` with ``message`` for people; a finished batch
    stays so, and with ``claim`` only a batch still held by that run fails."""
    condition = (ImportBatch.id == batch_id) & (ImportBatch.status != "terminado")
    if claim is not None:
        condition &= ImportBatch.started_at == claim
    with write():
        ImportBatch.update(
            status="fallido", error=str(message), finished_at=utcnow(), stored_file=""
        ).where(condition).execute()
    return ImportBatch.get_by_id(batch_id)


def discard_staged(batch_id: int) -> int:
    """Remove what an unfinished run of the batch wrote: its staged
    enrollments, the citizen records it created that nothing else has come
    to point at since, and its rejected rows. In short transactions of
    LOOKUP_SLICE rows (none of it was ever visible, so it may go in pieces).
    Returns the staged enrollments removed; a finished batch is left alone."""
    key = str(batch_id)
    p = _param()
    removed = 0
    while True:
        with write():
            batch = ImportBatch.get_or_none(ImportBatch.id == batch_id)
            if batch is None or batch.status == "terminado":
                return removed
            staged = db.execute_sql(
                f"SELECT id, citizen_id FROM enrollment WHERE import_batch = {p} "  # noqa: S608
                f"AND active = {p} LIMIT {LOOKUP_SLICE}",
                (key, False),
            ).fetchall()
            if not staged:
                ImportRejection.delete().where(ImportRejection.batch == batch_id).execute()
                return removed
            ids = [row[0] for row in staged]
            db.execute_sql(
                f"DELETE FROM enrollment WHERE id IN ({', '.join([p] * len(ids))})",  # noqa: S608
                ids,
            )
            _delete_unused_citizens(sorted({row[1] for row in staged}))
            removed += len(ids)


def _delete_unused_citizens(citizen_ids: list[int]) -> None:
    """Delete, among ``citizen_ids``, the records a roll created (origin
    ``import``) that no row of any table points at any more."""
    if not citizen_ids:
        return
    p = _param()
    unused = " ".join(
        # Table and column names come from the model registry, never from input.
        f'AND NOT EXISTS (SELECT 1 FROM "{table}" r WHERE r."{column}" = citizen.id)'  # noqa: S608
        for table, column in _citizen_references()
    )
    db.execute_sql(
        f"DELETE FROM citizen WHERE origin = {p} AND id IN "  # noqa: S608
        f"({', '.join([p] * len(citizen_ids))}) {unused}",
        ("import", *citizen_ids),
    )


def _citizen_references() -> list[tuple[str, str]]:
    """(table, column) of every foreign key to the citizen table (the model
    registry), but the record's own facts, which go with it."""
    from portal.models import ALL_MODELS

    return sorted(
        {
            (model._meta.table_name, f.column_name)
            for model in ALL_MODELS
            if model is not CitizenFacts
            for f in model._meta.fields.values()
            if isinstance(f, ForeignKeyField) and f.rel_model is Citizen
        }
    )


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
    source: Source,
    total: int,
    progress: Progress | None,
    today: date | None,
    parallel: bool | None,
    claim: dt.datetime,
) -> tuple[Counts, RollContext]:
    """Stage every row, a chunk per transaction; the counts and what the batch
    adds to the statistics (``ctx.cells``, ``ctx.months``)."""
    ctx = build_context(batch.program, today)
    if parallel is None:
        parallel = pipeline.should_run_in_parallel(total)
    counts = Counts()
    # closing(): on an error the judging process ends now, not when the
    # traceback holding this generator is let go.
    with closing(pipeline.judged_chunks(source, ctx, parallel=parallel)) as chunks:
        for read, good, rejections in chunks:
            # A judged chunk is written in transactions of WRITE_ROWS rows: the
            # write lock is held for a fraction of a second at a time.
            for start in range(0, max(len(good), 1), WRITE_ROWS):
                with write():
                    _still_ours(batch.id, claim, counts.total + read)
                    part = rejections if start == 0 else []
                    _write_chunk(good[start : start + WRITE_ROWS], part, ctx, batch.id, counts)
            counts.total += read
            if progress:
                progress(counts.total, total)
    if progress:
        progress(counts.total, total)
    return counts, ctx


# --- Rows -----------------------------------------------------------------------------------


def _param() -> str:
    return str(db.obj.param)


def select_in(sql_before_in: str, values: Sequence[Any], params: Sequence[Any] = ()) -> list[tuple]:
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
        "municipality", "origin", "created_at", "updated_at", "locality_code", "locality",
        "postal_code", "settlement_type", "settlement_name",
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
    found = select_in(
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
    counts.addresses_unmatched += sum(r.address_unmatched for r in rows)


def _not_enrolled(
    rows: list[Row], existing: dict[str, int], ctx: RollContext, rejections: list[Rejection]
) -> list[Row]:
    """The rows whose people hold no active enrollment in the program's exclusion
    group; the others go to ``rejections``."""
    enrolled = enrolled_in_group(list(existing.values()), ctx)
    kept = []
    for row in rows:
        program_id = enrolled.get(existing.get(row.curp, -1))
        if program_id is None:
            kept.append(row)
        else:
            rejections.append(
                (row.number, row.curp, full_name(row), [enrolled_reason(program_id, ctx)])
            )
    return kept


def enrolled_in_group(citizen_ids: list[int], ctx: RollContext) -> dict[int, int]:
    """Citizen id -> the program of the active enrollment each holds in the
    program's exclusion group (one indexed query per slice)."""
    return dict(
        select_in(
            "SELECT citizen_id, program_id FROM enrollment WHERE active "  # noqa: S608
            f"AND exclusion_key = {_param()} AND citizen_id IN",
            citizen_ids,
            (ctx.exclusion_key,),
        )
    )


def enrolled_reason(program_id: int, ctx: RollContext) -> str:
    """Why a row of a person already enrolled in the exclusion group is refused."""
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
                r.locality_code,
                r.locality,
                r.postal_code,
                r.settlement_type,
                r.settlement_name,
                *extra_values,
            )
            for i, r in enumerate(new)
        ],
    )
    if not new:
        return iter(())
    if sqlite:
        facts.keep_range(first_id, first_id + len(new) - 1)
        return ((r.curp, first_id + i) for i, r in enumerate(new))
    found = select_in("SELECT id, curp FROM citizen WHERE curp IN", [r.curp for r in new])
    facts.keep(cid for cid, _curp in found)
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
                False,  # staged: made active by _publish(), all at once
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
