"""The preview of a roll upload (issue 17, item 8): a dry run against the
whole registry before anything is written.

A roll uploaded through the web waits as ``vista_previa``. On the queue
(portal/rolls/tasks.py), :func:`build` judges the file exactly as the import
will (portal/rolls/pipeline.py: the same chunks, the same checks) and reads the
registry, a slice of CURPs at a time through the indexes the import uses, to
sort every row into one category:

- ``nuevas``: a CURP the registry does not hold: the import creates the person;
- ``conocidas``: a person already recorded with the same data;
- ``con_diferencias``: a person already recorded whose data in the file differ,
  field by field (the import keeps the registry's record: it is corrected
  from the person's file, not from a roll);
- ``en_programa``: already enrolled in this program (the import refuses the row);
- ``incompatibles``: enrolled in another program of the exclusion group (refused);
- ``rechazadas``: rows refused by the checks, with every reason.

New people who probably are someone already recorded (surnames swapped, day and
month swapped, the same name and birth date: portal/rolls/duplicates.py
``reason_for``, against the people of the same sex born that day) are listed as
``duplicados_probables``, a part of ``nuevas``: the import creates them and the
queue's duplicate check puts the pair before staff (a one-letter CURP typo is
found there, after the commit). Each category keeps its count and its first
:data:`SAMPLE` rows.

The commit (:func:`commit`) does exactly what the preview said or nothing: the
import stages its rows as always, and before it publishes them
(portal/rolls/writing.py ``run_batch``) its counts must equal the preview's
:func:`expected` counts; if the registry changed meanwhile (someone enrolled,
a person recorded) the batch fails with the difference named, its staged rows
are removed and the admin uploads the file again for a new preview.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from portal.backoffice.audit import Actor, record
from portal.messages import _l
from portal.models import ImportBatch
from portal.rolls import pipeline, writing
from portal.rolls.duplicates import Person, reason_for, swapped_day_and_month
from portal.rolls.judging import Row, build_context, full_name
from portal.rolls.reading import RollError, Source, normalize_text
from portal.vocabulary import AuditAction
from portal.web.database import write

NEW = "nuevas"
KNOWN = "conocidas"
CHANGED = "con_diferencias"
IN_PROGRAM = "en_programa"
EXCLUDED = "incompatibles"
REJECTED = "rechazadas"
DUPLICATES = "duplicados_probables"
CATEGORIES = (NEW, DUPLICATES, KNOWN, CHANGED, IN_PROGRAM, EXCLUDED, REJECTED)
ACCEPTED = (NEW, KNOWN, CHANGED)  # the rows the import will write
SAMPLE = 50  # rows kept per category for the page

LABELS = {
    NEW: _l("Personas nuevas en el registro"),
    DUPLICATES: _l("De ellas, probables duplicados de alguien ya registrado"),
    KNOWN: _l("Personas ya registradas, con los mismos datos"),
    CHANGED: _l("Personas ya registradas, con datos distintos"),
    IN_PROGRAM: _l("Ya inscritas en este programa (no se cargan)"),
    EXCLUDED: _l("Inscritas en un programa que no se puede combinar (no se cargan)"),
    REJECTED: _l("Filas rechazadas por sus datos"),
}

STATUS_LABELS = {
    "vista_previa": _l("Vista previa, por confirmar"),
    "pendiente": _l("En espera de cargarse"),
    "en_proceso": _l("Cargándose"),
    "terminado": _l("Terminada"),
    "fallido": _l("No se cargó"),
    "descartado": _l("Descartada"),
}

# The citizen record's columns a roll row carries, in Row's names.
COMPARED = ("given_names", "first_surname", "second_surname", "birth_date", "sex", "municipality")


class PreviewError(ValueError):
    """A commit or discard that cannot be done as asked (plain Spanish)."""

    def __init__(self, message: Any, status: int = 409) -> None:
        super().__init__(str(message))
        self.message, self.status = str(message), status


# --- The dry run ------------------------------------------------------------------------


def build(source: Source, program: Any, today: dt.date | None = None) -> dict[str, Any]:
    """The findings of importing ``source`` into ``program`` now: per category
    its count and first rows, and the counts the commit must reproduce."""
    ctx = build_context(program, today)
    counts: Counter[str] = Counter()
    rows: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}
    total = 0

    def keep(category: str, entry: dict[str, Any]) -> None:
        counts[category] += 1
        if len(rows[category]) < SAMPLE:
            rows[category].append(entry)

    for read, good, rejections in pipeline.judge_file(source, ctx):
        total += read
        for number, curp, name, reasons in rejections:
            keep(REJECTED, {"row": number, "curp": curp, "name": name, "details": reasons})
        for category, entry in _sort_chunk(good, ctx):
            keep(category, entry)
    return {
        "total": total,
        "counts": {c: counts[c] for c in CATEGORIES},
        "rows": rows,
        "program": ctx.program_id,
    }


def expected(findings: dict[str, Any]) -> writing.Counts:
    """What the import of a previewed file must count to be published."""
    counts = findings["counts"]
    accepted = sum(counts[c] for c in ACCEPTED)
    return writing.Counts(
        total=findings["total"],
        accepted=accepted,
        rejected=findings["total"] - accepted,
        new_citizens=counts[NEW],
    )


def _sort_chunk(good: list[Row], ctx: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    found = writing.select_in(
        "SELECT id, curp, given_names, first_surname, second_surname, birth_date, sex,"
        " municipality_id FROM citizen WHERE curp IN",
        [r.curp for r in good],
    )
    known = {f[1]: f for f in found}
    enrolled = writing.enrolled_in_group([f[0] for f in found], ctx) if found else {}
    new = [r for r in good if r.curp not in known]
    duplicates = _probable_duplicates(new)
    for r in good:
        entry: dict[str, Any] = {"row": r.number, "curp": r.curp, "name": full_name(r)}
        record_ = known.get(r.curp)
        if record_ is None:
            yield NEW, entry
            if r.curp in duplicates:
                yield DUPLICATES, {**entry, "details": [duplicates[r.curp]]}
            continue
        program_id = enrolled.get(record_[0])
        if program_id is not None:
            category = IN_PROGRAM if program_id == ctx.program_id else EXCLUDED
            yield category, {**entry, "details": [writing.enrolled_reason(program_id, ctx)]}
            continue
        differences = _differences(r, record_)
        if differences:
            yield CHANGED, {**entry, "citizen": record_[0], "differences": differences}
        else:
            yield KNOWN, {**entry, "citizen": record_[0]}


def _differences(row: Row, recorded: tuple) -> list[dict[str, str]]:
    """The fields whose value in the file is not the record's (names compared
    without case and accents; a municipality the file leaves empty is no
    difference)."""
    stored = dict(
        zip(COMPARED, (*recorded[2:5], str(recorded[5])[:10], *recorded[6:8]), strict=True)
    )
    found = []
    for name in COMPARED:
        theirs, ours = getattr(row, name), stored[name]
        if name == "municipality" and not theirs:
            continue
        same = (
            normalize_text(theirs or "") == normalize_text(ours or "")
            if name.endswith(("names", "surname"))
            else (theirs or "") == (ours or "")
        )
        if not same:
            found.append({"field": name, "registry": ours or "", "file": theirs or ""})
    return found


def _probable_duplicates(new: list[Row]) -> dict[str, str]:
    """CURP of a new person -> the code of why they probably are someone
    already recorded: one indexed read of the people of the same sex born on
    the day (or the day with day and month swapped) per slice of the chunk."""
    people = {r.curp: _person(r) for r in new}
    days: set[str] = set()
    for p in people.values():
        days.add(p.birth_date.isoformat())
        swapped = swapped_day_and_month(p.birth_date)
        if swapped is not None:
            days.add(swapped.isoformat())
    if not days:
        return {}
    block: dict[tuple[dt.date, str], list[Person]] = {}
    for person in _registry_people(sorted(days)):
        block.setdefault((person.birth_date, person.sex), []).append(person)
    found: dict[str, str] = {}
    for curp, p in people.items():
        swapped = swapped_day_and_month(p.birth_date)
        candidates = [*block.get((p.birth_date, p.sex), ())]
        if swapped is not None:
            candidates += block.get((swapped, p.sex), ())
        for q in candidates:
            reason = reason_for(p, q, None)
            if reason is not None:
                found[curp] = reason[0]
                break
    return found


def _person(row: Row) -> Person:
    return Person(
        0,
        row.curp,
        normalize_text(row.given_names),
        normalize_text(row.first_surname),
        normalize_text(row.second_surname or ""),
        dt.date.fromisoformat(row.birth_date),
        row.sex,
    )


def _registry_people(days: list[str]) -> Iterable[Person]:
    for cid, curp, given, first, second, born, sex in writing.select_in(
        "SELECT id, curp, given_names, first_surname, second_surname, birth_date, sex"
        " FROM citizen WHERE birth_date IN",
        days,
    ):
        yield Person(
            cid,
            curp,
            normalize_text(given),
            normalize_text(first),
            normalize_text(second or ""),
            born if isinstance(born, dt.date) else dt.date.fromisoformat(str(born)[:10]),
            sex,
        )


# --- The batch's steps ---------------------------------------------------------------------


def store(batch_id: int, findings: dict[str, Any]) -> bool:
    """Keep the findings on a batch still waiting for its preview; False when
    it was committed, discarded or previewed again meanwhile."""
    with write():
        return bool(
            ImportBatch.update(preview=findings, total_rows=findings["total"])
            .where(
                (ImportBatch.id == batch_id)
                & (ImportBatch.status == "vista_previa")
                & ImportBatch.preview.is_null()
            )
            .execute()
        )


def commit(batch_id: int, actor: Actor, request_id: str = "") -> ImportBatch:
    """The admin accepts what the preview shows: the batch goes to the import
    (``pendiente``), which publishes only if it finds the same (module doc)."""
    with write():
        moved = (
            ImportBatch.update(status="pendiente")
            .where(
                (ImportBatch.id == batch_id)
                & (ImportBatch.status == "vista_previa")
                & ImportBatch.preview.is_null(False)
            )
            .execute()
        )
        if not moved:
            raise PreviewError(_not_waiting(batch_id))
        record(
            AuditAction.ROLL_COMMIT,
            actor,
            object_type="import_batch",
            object_id=batch_id,
            request_id=request_id,
        )
    return ImportBatch.get_by_id(batch_id)


def discard(batch_id: int, actor: Actor, request_id: str = "") -> tuple[ImportBatch, str]:
    """The admin drops the upload: nothing was written and nothing will be.
    Returns the batch and the blob key of its file, for the caller to delete."""
    with write():
        batch = ImportBatch.get_by_id(batch_id)
        moved = (
            ImportBatch.update(status="descartado", stored_file="")
            .where((ImportBatch.id == batch_id) & (ImportBatch.status == "vista_previa"))
            .execute()
        )
        if not moved:
            raise PreviewError(_not_waiting(batch_id))
        record(
            AuditAction.ROLL_DISCARD,
            actor,
            object_type="import_batch",
            object_id=batch_id,
            request_id=request_id,
        )
    return ImportBatch.get_by_id(batch_id), batch.stored_file


def _not_waiting(batch_id: int) -> str:
    batch = ImportBatch.get_by_id(batch_id)
    if batch.status == "vista_previa":
        return str(_l("La vista previa aún se está preparando: espere a que termine."))
    if batch.status == "descartado":
        return str(_l("Esta carga ya se descartó; suba el archivo otra vez para revisarlo."))
    return str(_l("Esta carga ya se confirmó; no se puede confirmar ni descartar de nuevo."))


def check_matches(batch: ImportBatch, counts: writing.Counts) -> None:
    """RollError unless the import found what its preview showed (a batch
    without a preview, from the ``padron import`` command, is not compared)."""
    if not batch.preview:
        return
    want = expected(batch.preview)
    if (want.accepted, want.rejected, want.new_citizens) == (
        counts.accepted,
        counts.rejected,
        counts.new_citizens,
    ):
        return
    raise RollError(
        _l(
            "El registro cambió desde la vista previa (se esperaban %(want_ok)s filas aceptadas"
            " y %(want_new)s personas nuevas; ahora serían %(ok)s y %(new)s). No se guardó"
            " ninguna fila: vuelva a subir el archivo para ver una vista previa nueva.",
            want_ok=want.accepted,
            want_new=want.new_citizens,
            ok=counts.accepted,
            new=counts.new_citizens,
        )
    )
