"""Probable duplicate people: one person recorded twice under two CURPs.

An exact CURP match cannot happen (the column is unique), but a mistyped CURP
or name can. Two kinds of pair are proposed to staff, never merged on their own:

* ``nombre``: same birth date, sex and state of birth (the block, read through
  the ``citizen_birth_date_sex`` index) and names that score at least
  :data:`NAME_THRESHOLD` with rapidfuzz's ``token_sort_ratio`` on names without
  accents or case (word order does not count: "GARCÍA LÓPEZ ANA" = "Ana García
  López");
* ``curp``: CURPs one character apart, found with one pass per position over a
  dictionary keyed by the CURP without that position (no pairwise comparison).

:func:`merge` moves applications and enrollments to the surviving record,
keeps a :class:`~portal.models.CitizenMerge` with a snapshot of the removed
one, and is audited; :func:`dismiss` marks a pair as not the same person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz

from portal.applications import workflow as apps
from portal.backoffice import audit
from portal.models import (
    LIVE_STATUSES,
    Application,
    Assistance,
    Citizen,
    CitizenMerge,
    DuplicateCandidate,
    Enrollment,
    IdentityCheck,
    ImportBatch,
    Notice,
    Program,
    utcnow,
)
from portal.rolls.reading import normalize_text
from portal.transparency import changes as open_data
from portal.vocabulary import ApplicationStatus as S
from portal.vocabulary import AuditAction
from portal.web.database import locked, write
from portal.web.sessions import end_sessions_of

NAME_THRESHOLD = 90.0
CURP_LENGTH_COMPARED = 17  # the check digit follows from the other 17


@dataclass(frozen=True, slots=True)
class Pair:
    a: int  # the lower id
    b: int
    score: float
    kind: str


def _name(given: str, first: str, second: str) -> str:
    return normalize_text(f"{given} {first} {second}")


def _blocks(batch: int = 50_000) -> Iterator[list[tuple[int, str, str]]]:
    """Citizens grouped by (birth date, sex, state of birth) as (id, curp, name)."""
    query = (
        Citizen.select(
            Citizen.id,
            Citizen.curp,
            Citizen.given_names,
            Citizen.first_surname,
            Citizen.second_surname,
            Citizen.birth_date,
            Citizen.sex,
        )
        .order_by(Citizen.birth_date, Citizen.sex)
        .tuples()
    )
    current_key = None
    block: list[tuple[int, str, str]] = []
    for cid, curp, given, first, second, birth, sex in query.iterator():
        key = (birth, sex)
        if key != current_key:
            yield from _by_state(block)
            block, current_key = [], key
        block.append((cid, curp, _name(given, first, second)))
    yield from _by_state(block)


def _by_state(block: list[tuple[int, str, str]]) -> Iterator[list[tuple[int, str, str]]]:
    if len(block) < 2:
        return
    states: dict[str, list[tuple[int, str, str]]] = {}
    for person in block:
        states.setdefault(person[1][11:13], []).append(person)
    yield from (people for people in states.values() if len(people) > 1)


def name_pairs(threshold: float = NAME_THRESHOLD) -> Iterator[Pair]:
    for people in _blocks():
        for i, (id1, _c1, name1) in enumerate(people):
            for id2, _c2, name2 in people[i + 1 :]:
                score = fuzz.token_sort_ratio(name1, name2, score_cutoff=threshold)
                if score:
                    yield Pair(min(id1, id2), max(id1, id2), round(score, 1), "nombre")


def curp_pairs() -> Iterator[Pair]:
    """CURPs that differ in exactly one of the first 17 characters."""
    # iterator(): the rows are read once, without the query's own cache of them.
    rows: list[tuple[int, str, str, str, str]] = list(
        Citizen.select(
            Citizen.id,
            Citizen.curp,
            Citizen.given_names,
            Citizen.first_surname,
            Citizen.second_surname,
        )
        .tuples()
        .iterator()
    )
    for position in range(CURP_LENGTH_COMPARED):
        seen: dict[str, int] = {}
        for k, (_cid, curp, *_names) in enumerate(rows):
            key = curp[:position] + curp[position + 1 :]
            other = seen.setdefault(key, k)
            if other != k:
                a, b = rows[other], rows[k]
                score = fuzz.token_sort_ratio(_name(*a[2:]), _name(*b[2:]))
                yield Pair(min(a[0], b[0]), max(a[0], b[0]), round(score, 1), "curp")


def find_candidates(threshold: float = NAME_THRESHOLD) -> list[Pair]:
    """Every probable pair, once (a CURP pair wins over a name pair); people an
    unfinished roll import is creating are left out (see :func:`staged_people`)."""
    pairs: dict[tuple[int, int], Pair] = {}
    for pair in name_pairs(threshold):
        pairs[(pair.a, pair.b)] = pair
    for pair in curp_pairs():
        pairs[(pair.a, pair.b)] = pair
    staged = staged_people()
    return [p for p in pairs.values() if p.a not in staged and p.b not in staged]


def staged_people() -> set[int]:
    """Citizen records created by a roll import that has not finished: its
    enrollments are staged, and the records go if it fails
    (portal/rolls/writing.py), so no pair should name them yet."""
    unfinished = ImportBatch.select(ImportBatch.id.cast("text")).where(
        ImportBatch.status != "terminado"
    )
    query = (
        Enrollment.select(Enrollment.citizen)
        .join(Citizen)
        .where(
            (Enrollment.active == False)  # noqa: E712
            & Enrollment.ended_on.is_null()
            & (Citizen.origin == "import")
            & Enrollment.import_batch.in_(unfinished)
        )
        .distinct()
    )
    return {e.citizen_id for e in query}


def store_candidates(pairs: Iterable[Pair], chunk: int = 2000) -> int:
    """Save new pairs; pairs already listed (or dismissed) are left as they are."""
    now = utcnow()
    rows = [
        {"citizen_a": p.a, "citizen_b": p.b, "score": p.score, "kind": p.kind, "created_at": now}
        for p in pairs
    ]
    before = DuplicateCandidate.select().count()
    with write():
        for start in range(0, len(rows), chunk):
            DuplicateCandidate.insert_many(
                rows[start : start + chunk]
            ).on_conflict_ignore().execute()
    return DuplicateCandidate.select().count() - before


class MergeError(ValueError):
    """A merge or dismissal that cannot be done; ``message`` is for people
    (a lazy translation: worded in the language of whoever reads it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _snapshot(citizen: Citizen) -> dict:
    return {
        "curp": citizen.curp,
        "given_names": citizen.given_names,
        "first_surname": citizen.first_surname,
        "second_surname": citizen.second_surname,
        "birth_date": citizen.birth_date.isoformat(),
        "sex": citizen.sex,
        "municipality": citizen.municipality_id,
        "origin": citizen.origin,
        "created_at": citizen.created_at.isoformat(),
    }


def _end_duplicates(
    survivor: Citizen, merged: Citizen, actor: audit.Actor
) -> tuple[list[int], list[int]]:
    """End what may exist only once, through the domain functions that own it.

    The survivor's applications and enrollments stay. The other record's live
    application to a call the survivor also applied to is cancelled (ending
    its enrollment if it was approved); its active enrollment in an exclusion
    group the survivor already receives is ended. A delivered application
    cannot be undone, so a merge that would need to is refused: keep that
    record instead, or, when both were delivered, report the double payment.
    """
    mine = {
        (a.program_id, a.call_id): a
        for a in Application.select().where(
            (Application.citizen == survivor.id) & Application.status.in_(LIVE_STATUSES)
        )
    }
    reason = "Registro duplicado de la misma persona: se conserva el otro registro."
    cancelled, ended = [], []
    for app in Application.select().where(
        (Application.citizen == merged.id) & Application.status.in_(LIVE_STATUSES)
    ):
        kept = mine.get((app.program_id, app.call_id))
        if kept is None:
            continue
        if app.status == S.ENTREGADA:
            name = Program.get_by_id(app.program_id).name
            raise MergeError(
                _l(
                    "Los dos registros recibieron «%(program)s» en la misma convocatoria: es un "
                    "pago duplicado. Repórtelo a la supervisión antes de unirlos.",
                    program=name,
                )
                if kept.status == S.ENTREGADA
                else _l(
                    "El registro que se quitaría ya recibió «%(program)s»: conserve ese registro.",
                    program=name,
                )
            )
        apps.cancel(app, actor, reason)
        cancelled.append(app.id)
    # One draft per person and call (application_one_draft_per_call): the
    # survivor's draft stays, the other record's draft for that call is cancelled.
    drafting = Application.select(Application.call).where(
        (Application.citizen == survivor.id) & (Application.status == S.BORRADOR)
    )
    for app in Application.select().where(
        (Application.citizen == merged.id)
        & (Application.status == S.BORRADOR)
        & Application.call.in_(drafting)
    ):
        apps.cancel(app, actor, reason)
        cancelled.append(app.id)
    kept_keys = {
        e.exclusion_key
        for e in Enrollment.select().where((Enrollment.citizen == survivor.id) & Enrollment.active)
    }
    for enrollment in Enrollment.select().where(
        (Enrollment.citizen == merged.id) & Enrollment.active
    ):
        if enrollment.exclusion_key not in kept_keys:
            continue
        source = Application.get_or_none(Application.id == enrollment.application_id)
        if source is not None and source.status == S.APROBADA:
            apps.cancel(source, actor, reason)
            cancelled.append(source.id)
        else:
            apps.end_enrollment(enrollment, actor, reason)
        ended.append(enrollment.id)
    return cancelled, ended


def _check_rules_hold(survivor: Citizen, merged_id: int, on: dt.date) -> None:
    """Every benefit that moves to the survivor must fit its rules with the
    survivor's data: a merge never puts a person outside a program's group."""
    moving = (
        Program.select()
        .join(Enrollment)
        .where((Enrollment.citizen == merged_id) & Enrollment.active)
    )
    for program in moving:
        outside = apps.rule_reasons(survivor, program, on)
        if outside:
            raise MergeError(
                _l(
                    "Con los datos del registro que se conserva, la persona no cumple las reglas "
                    "de «%(program)s» (%(reasons)s). Conserve el otro registro o "
                    "corrija los datos antes de unirlos.",
                    program=program.name,
                    reasons=" ".join(outside),
                )
            )


def merge(
    candidate_id: int, survivor_id: int, actor: audit.Actor, staff_id: int | None
) -> CitizenMerge:
    """Keep ``survivor_id``, move the other record's history to it and remove it.

    Where both records hold something that may exist only once (an active
    enrollment in the same exclusion group, a live application to the same
    call), the survivor's stays and the other is ended (enrollment) or
    cancelled with a reason on its timeline (application), then moved too.
    """
    today = dt.date.today()
    with write():
        candidate = locked(
            DuplicateCandidate.select().where(DuplicateCandidate.id == candidate_id)
        ).first()
        if candidate is None or candidate.status != "pendiente":
            raise MergeError(_l("Este par ya se resolvió o no existe."))
        ids = {candidate.citizen_a_id, candidate.citizen_b_id}
        if survivor_id not in ids:
            raise MergeError(_l("Elija cuál de los dos registros se conserva."))
        (merged_id,) = ids - {survivor_id}
        merged = Citizen.get_by_id(merged_id)

        survivor = Citizen.get_by_id(survivor_id)
        cancelled, ended = _end_duplicates(survivor, merged, actor)
        _check_rules_hold(survivor, merged_id, today)
        enrollments = (
            Enrollment.update(citizen=survivor_id).where(Enrollment.citizen == merged_id).execute()
        )
        if enrollments:
            # The published roll names the survivor now (portal/transparency/changes.py).
            open_data.mark_changed(open_data.BENEFICIARIES)
        applications = (
            Application.update(citizen=survivor_id)
            .where(Application.citizen == merged_id)
            .execute()
        )
        # The person keeps their inbox, and who helped them at the counter
        # still may not decide their cases.
        for model in (Notice, Assistance, IdentityCheck):
            model.update(citizen=survivor_id).where(model.citizen == merged_id).execute()
        # Earlier merges into the removed record now name the survivor.
        CitizenMerge.update(survivor=survivor_id).where(
            CitizenMerge.survivor == merged_id
        ).execute()
        record = CitizenMerge.create(
            survivor=survivor_id,
            merged_citizen_id=merged_id,
            merged_snapshot=_snapshot(merged),
            moved={
                "applications": applications,
                "enrollments": enrollments,
                "ended_enrollments": ended,
                "cancelled_applications": cancelled,
                "candidate": {"id": candidate.id, "score": candidate.score, "kind": candidate.kind},
            },
            merged_by=staff_id,
        )
        # This pair and any other naming the removed record go with it (ON DELETE
        # CASCADE); the merge record above is their history.
        merged.delete_instance()
        end_sessions_of("ciudadano", merged_id)
        audit.record(
            AuditAction.CITIZEN_MERGE,
            actor,
            object_type="citizen",
            object_id=survivor_id,
            details={
                "merged_citizen_id": merged_id,
                "applications": applications,
                "enrollments": enrollments,
                "merge_id": record.id,
            },
        )
    return record


def dismiss(candidate_id: int, actor: audit.Actor, staff_id: int | None) -> None:
    with write():
        updated = (
            DuplicateCandidate.update(status="descartado", decided_by=staff_id, decided_at=utcnow())
            .where(
                (DuplicateCandidate.id == candidate_id) & (DuplicateCandidate.status == "pendiente")
            )
            .execute()
        )
        if not updated:
            raise MergeError(_l("Este par ya se resolvió o no existe."))
        audit.record(
            AuditAction.DUPLICATE_DISMISS,
            actor,
            object_type="duplicate_candidate",
            object_id=candidate_id,
        )
