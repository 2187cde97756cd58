"""Many submitted applications at once, for the queue's scaling tests and
bench/review_queue.py: rows written with insert_many in large transactions, without
the workflow (no documents, events or notices: the queue does not read them).

Each person applies to each of ``programs``; statuses cycle so that about
two in five applications wait for a decision, the rest are decided, and
submission times run from a year ago to now in id order.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence

from portal.models import Application, Call, Citizen, Program, utcnow
from portal.vocabulary import ApplicationStatus as S
from portal.web.extensions import db

STATUS_CYCLE = (S.ENVIADA, S.APROBADA, S.EN_REVISION, S.RECHAZADA, S.APROBADA)
MUNICIPALITIES = ("22014", "22006", "22011", "22016", "22004")
# Rows per INSERT, under both engines' limits on bound parameters (every
# column of the row is bound, defaults too: about 30 for a person).
CHUNK = 2_000
PEOPLE_CHUNK = 1_000


def bulk_citizens(n: int, *, start: int = 0) -> list[int]:
    """``n`` people with made-up, distinct CURP-shaped keys; their ids."""
    with db.atomic():
        for chunk in _chunks(range(start, start + n), PEOPLE_CHUNK):
            rows = [
                {
                    "curp": f"BULK{i:014d}",
                    "given_names": "Persona",
                    "first_surname": "Prueba",
                    "birth_date": dt.date(1980, 1, 1) + dt.timedelta(days=i % 9000),
                    "sex": "MH"[i % 2],
                }
                for i in chunk
            ]
            Citizen.insert_many(rows).execute()
    first = Citizen.get(Citizen.curp == f"BULK{start:014d}").id
    return list(range(first, first + n))


def bulk_applications(
    citizen_ids: Sequence[int],
    programs: Sequence[Program],
    *,
    statuses: Sequence[str] = STATUS_CYCLE,
    start: int = 0,
    span: dt.timedelta = dt.timedelta(days=365),
) -> int:
    """One application per person and program; returns how many were written."""
    calls = {p.id: Call.select(Call.id).where(Call.program == p.id).scalar() for p in programs}
    total = len(citizen_ids) * len(programs)
    now = utcnow()
    step = span / max(total, 1)
    pairs = ((c, p) for c in citizen_ids for p in programs)
    with db.atomic():
        for offset, chunk in enumerate(_chunks(pairs, CHUNK)):
            rows = []
            for j, (citizen_id, program) in enumerate(chunk):
                i = start + offset * CHUNK + j
                submitted_at = now - span + step * (offset * CHUNK + j)
                rows.append(
                    {
                        "folio": f"BLK-{i:012d}",
                        "citizen": citizen_id,
                        "program": program.id,
                        "call": calls[program.id],
                        # Every program gets every status and municipality.
                        "status": statuses[(i + i // len(programs)) % len(statuses)],
                        "answers": {},
                        "municipality": MUNICIPALITIES[
                            (i // len(statuses) + i // 7) % len(MUNICIPALITIES)
                        ],
                        "created_at": submitted_at,
                        "updated_at": submitted_at,
                        "submitted_at": submitted_at,
                    }
                )
            Application.insert_many(rows).execute()
    return total


def _chunks(items, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
