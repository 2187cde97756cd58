"""Screening the registry for a call: who agreed to be told and may receive it.

:func:`screen_chunk` reads up to ``size`` people who agreed to be told
(a ``avisos_programas`` consent in force, portal/citizens/consents.py), in the
order of their consent's id and past ``after``, so each chunk is an index
range whatever the size of the registry. For each it evaluates the stored
answers (the same profile the application's check reads,
``workflow.person_profile``) against the compiled catalog, enrollments read for
the whole chunk in one query. Those whose verdict on the call's program is
eligible or maybe, and who have not applied to the call, get a
:class:`~portal.outreach.models.ProgramTip` row and, only when that row is new,
the notice "Podría recibir …" linking straight to the application
(``notices.announce``: held back during an electoral blackout where they live).

The queue (portal/outreach/tasks.py) runs the chunks one after another; a
request never screens anybody.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from portal.applications import notices
from portal.applications.workflow import person_profile
from portal.catalog.store import engine_catalog
from portal.citizens.models import Consent
from portal.eligibility.engine import Status
from portal.models import Agency, Application, Call, Citizen, Enrollment, Program, utcnow
from portal.outreach.models import ProgramTip
from portal.vocabulary import ConsentPurpose
from portal.web.database import write

CHUNK = 2_000
# What the verdict and the notice need of each person, nothing more.
PERSON = (
    Citizen.id,
    Citizen.birth_date,
    Citizen.sex,
    Citizen.municipality,
    Citizen.profile,
    Citizen.notify_channel,
    Citizen.email,
    Citizen.phone,
)
TOLD = (Status.ELIGIBLE, Status.MAYBE)


@dataclass(frozen=True)
class Chunk:
    """What one chunk did: people read and told, and where the next starts (None: done)."""

    read: int
    told: int
    after: int | None


def open_on(call: Call, on: dt.date) -> bool:
    return call.opens <= on <= call.closes


def screen_chunk(
    call_ids: Sequence[int], after: int = 0, size: int = CHUNK, on: dt.date | None = None
) -> Chunk:
    """Screen the next ``size`` people who agreed to be told, past consent id
    ``after``, for the calls ``call_ids`` (those open on ``on`` of active
    programs; the others are ignored). Each person is evaluated once for all
    of them: a catalog published at once is one pass over the registry."""
    on = on or dt.date.today()
    calls = [
        call
        for call in Call.select(Call, Program, Agency)
        .join(Program)
        .join(Agency)
        .where(Call.id.in_(list(call_ids)) & Program.active)
        .order_by(Call.id)
        if open_on(call, on)
    ]
    compiled = engine_catalog()
    positions = {p.slug: k for k, p in enumerate(compiled.programs)}
    calls = [call for call in calls if call.program.slug in positions]
    if not calls:
        return Chunk(0, 0, None)
    rows = list(
        Consent.select(Consent.id, *PERSON)
        .join(Citizen, on=(Consent.citizen == Citizen.id))
        .where(
            (Consent.purpose == ConsentPurpose.AVISOS_PROGRAMAS)
            & Consent.revoked_at.is_null()
            & (Consent.id > after)
        )
        .order_by(Consent.id)
        .limit(size)
    )
    if not rows:
        return Chunk(0, 0, None)
    people = {row.citizen.id: row.citizen for row in rows}
    ids = list(people)
    ids_of_calls = [call.id for call in calls]
    enrolled: dict[int, list[str]] = defaultdict(list)
    for enrollment in (
        Enrollment.select(Enrollment.citizen, Program.slug)
        .join(Program)
        .where(Enrollment.citizen.in_(ids) & (Enrollment.active == True))  # noqa: E712
    ):
        enrolled[enrollment.citizen_id].append(enrollment.program.slug)
    # Whoever applied to the call, or was told of it already, is left alone.
    skip = {
        (row.citizen_id, row.call_id)
        for row in Application.select(Application.citizen, Application.call).where(
            Application.citizen.in_(ids) & Application.call.in_(ids_of_calls)
        )
    } | {
        (row.citizen_id, row.call_id)
        for row in ProgramTip.select(ProgramTip.citizen, ProgramTip.call).where(
            ProgramTip.citizen.in_(ids) & ProgramTip.call.in_(ids_of_calls)
        )
    }
    verdicts: dict[int, dict[Citizen, str]] = {call.id: {} for call in calls}
    for citizen_id, citizen in people.items():
        wanted = [call for call in calls if (citizen_id, call.id) not in skip]
        if not wanted:
            continue
        profile = person_profile(citizen, on, enrolled=tuple(sorted(enrolled[citizen_id])))
        results = compiled.evaluate(profile, on)
        for call in wanted:
            result = results[positions[call.program.slug]]
            if result.status in TOLD:
                verdicts[call.id][citizen] = str(result.status)
    told = 0
    with write():
        for call in calls:
            told += _tell(call, verdicts[call.id])
    if told:
        notices.wake()
    return Chunk(len(rows), told, rows[-1].id if len(rows) == size else None)


def _tell(call: Call, verdicts: dict[Citizen, str]) -> int:
    """One row and one notice per person not told of this call yet; the count
    told. Runs in the caller's transaction.

    The rows go in with one insert that skips the people who already have one
    (the unique index, whoever wrote it first); only the rows this insert
    wrote get their notice.
    """
    if not verdicts:
        return 0
    program = call.program
    facts = {
        "program": program.id,
        "agency": program.agency.name,
        "closes": call.closes.isoformat(),
    }
    # A path, as every notice's link (the queue has no request to build it from).
    link = f"/programas/{program.slug}/solicitar"
    people = {citizen.id: citizen for citizen in verdicts}
    now = utcnow()
    new = [
        citizen_id
        for (citizen_id,) in ProgramTip.insert_many(
            [
                {
                    "citizen": citizen.id,
                    "call": call.id,
                    "program": program.id,
                    "verdict": verdict,
                    "created_at": now,
                }
                for citizen, verdict in verdicts.items()
            ]
        )
        .on_conflict_ignore()
        .returning(ProgramTip.citizen)
        .tuples()
        .execute()
    ]
    told = notices.announce_to_many(
        [people[c] for c in new], "programa_posible", facts, program, link, "programa_posible"
    )
    return len(told)
