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

from rapidfuzz import fuzz

from . import audit
from .db import locked, write
from .models import (
    LIVE_STATUSES,
    Application,
    ApplicationEvent,
    Citizen,
    CitizenMerge,
    DuplicateCandidate,
    Enrollment,
    utcnow,
)
from .padron import normalize_text
from .sessions import end_sessions_of

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
    rows = list(
        Citizen.select(
            Citizen.id,
            Citizen.curp,
            Citizen.given_names,
            Citizen.first_surname,
            Citizen.second_surname,
        ).tuples()
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
    """Every probable pair, once (a CURP pair wins over a name pair)."""
    pairs: dict[tuple[int, int], Pair] = {}
    for pair in name_pairs(threshold):
        pairs[(pair.a, pair.b)] = pair
    for pair in curp_pairs():
        pairs[(pair.a, pair.b)] = pair
    return list(pairs.values())


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
            raise MergeError("Este par ya se resolvió o no existe.")
        ids = {candidate.citizen_a_id, candidate.citizen_b_id}
        if survivor_id not in ids:
            raise MergeError("Elija cuál de los dos registros se conserva.")
        (merged_id,) = ids - {survivor_id}
        merged = Citizen.get_by_id(merged_id)

        kept_keys = {
            e.exclusion_key
            for e in Enrollment.select().where(
                (Enrollment.citizen == survivor_id) & Enrollment.active
            )
        }
        ended = [
            e.id
            for e in Enrollment.select().where(
                (Enrollment.citizen == merged_id) & Enrollment.active
            )
            if e.exclusion_key in kept_keys
        ]
        if ended:
            Enrollment.update(active=False, ended_on=today).where(
                Enrollment.id.in_(ended)
            ).execute()
        enrollments = (
            Enrollment.update(citizen=survivor_id).where(Enrollment.citizen == merged_id).execute()
        )

        live_calls = {
            (a.program_id, a.call_id)
            for a in Application.select().where(
                (Application.citizen == survivor_id) & Application.status.in_(LIVE_STATUSES)
            )
        }
        cancelled = []
        for app in Application.select().where(
            (Application.citizen == merged_id) & Application.status.in_(LIVE_STATUSES)
        ):
            if (app.program_id, app.call_id) in live_calls:
                ApplicationEvent.create(
                    application=app,
                    from_status=app.status,
                    to_status="cancelada",
                    actor_kind="personal",
                    actor_staff=staff_id,
                    reason="Se unió con otra solicitud de la misma persona (registro duplicado).",
                )
                Application.update(
                    status="cancelada", version=Application.version + 1, updated_at=utcnow()
                ).where(Application.id == app.id).execute()
                cancelled.append(app.id)
        applications = (
            Application.update(citizen=survivor_id)
            .where(Application.citizen == merged_id)
            .execute()
        )

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
            "citizen.merge",
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
            raise MergeError("Este par ya se resolvió o no existe.")
        audit.record(
            "duplicate.dismiss", actor, object_type="duplicate_candidate", object_id=candidate_id
        )
