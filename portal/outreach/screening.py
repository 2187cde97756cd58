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
from dataclasses import dataclass

from portal.applications import notices
from portal.applications.workflow import person_profile
from portal.catalog.store import engine_catalog
from portal.citizens.models import Consent
from portal.eligibility.engine import Status
from portal.models import Agency, Application, Call, Citizen, Enrollment, Program, utcnow
from portal.outreach.models import ProgramTip
from portal.vocabulary import ConsentPurpose
from portal.web import values
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
    call_id: int, after: int = 0, size: int = CHUNK, on: dt.date | None = None
) -> Chunk:
    """Screen the next ``size`` people who agreed to be told, past consent id ``after``."""
    on = on or dt.date.today()
    call = Call.get_or_none(Call.id == call_id)
    if call is None:
        return Chunk(0, 0, None)
    program = (
        Program.select(Program, Agency).join(Agency).where(Program.id == call.program_id).get()
    )
    if not program.active or not open_on(call, on):
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
    enrolled: dict[int, list[str]] = defaultdict(list)
    for enrollment in (
        Enrollment.select(Enrollment.citizen, Program.slug)
        .join(Program)
        .where(Enrollment.citizen.in_(ids) & (Enrollment.active == True))  # noqa: E712
    ):
        enrolled[enrollment.citizen_id].append(enrollment.program.slug)
    applied = {
        row.citizen_id
        for row in Application.select(Application.citizen).where(
            Application.citizen.in_(ids) & (Application.call == call.id)
        )
    }
    already = {
        row.citizen_id
        for row in ProgramTip.select(ProgramTip.citizen).where(
            ProgramTip.citizen.in_(ids) & (ProgramTip.call == call.id)
        )
    }
    compiled = engine_catalog()
    position = next((k for k, p in enumerate(compiled.programs) if p.slug == program.slug), None)
    verdicts: dict[int, str] = {}
    if position is not None:
        for citizen_id, citizen in people.items():
            if citizen_id in applied or citizen_id in already:
                continue
            profile = person_profile(citizen, on, enrolled=tuple(sorted(enrolled[citizen_id])))
            result = compiled.evaluate(profile, on)[position]
            if result.status in TOLD:
                verdicts[citizen_id] = str(result.status)
    told = _tell(call, program, {people[c]: v for c, v in verdicts.items()})
    return Chunk(len(rows), told, rows[-1].id if len(rows) == size else None)


def _tell(call: Call, program: Program, verdicts: dict[Citizen, str]) -> int:
    """One row and one notice per person not told of this call yet; the count told.

    The rows go in with one insert that skips the people who already have one
    (the unique index, whoever wrote it first); only the rows this insert
    wrote get their notice, in the same transaction.
    """
    if not verdicts:
        return 0
    title, body = notice_text(call, program)
    # A path, as every notice's link (the queue has no request to build it from).
    link = f"/programas/{program.slug}/solicitar"
    people = {citizen.id: citizen for citizen in verdicts}
    now = utcnow()
    with write():
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
            [people[c] for c in new], title, body, link, "programa_posible"
        )
    if told:
        notices.wake()
    return len(told)


def notice_text(call: Call, program: Program) -> tuple[str, str]:
    """The notice's title and body, in Spanish, as ``notices.announce`` takes them."""
    title = f"Podría recibir {program.name}"
    body = (
        f"Según las respuestas que nos dio, podría recibir {program.name} "
        f"de {program.agency.name}. La convocatoria está abierta hasta el "
        f"{values.long_date(call.closes)}. Puede solicitarlo desde el enlace de este aviso; "
        "la dependencia revisa sus datos y documentos antes de aprobarlo."
    )
    return title, body
