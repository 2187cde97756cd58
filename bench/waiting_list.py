"""Benchmark: a person's position on a waiting list, and a place freed moving the first up.

The position shown on the application page is a count, on the partial index
``application_waiting_list`` (call, number) WHERE waiting, of the numbers
before the person's own (portal/applications/workflow.py ``waiting_position``):
it reads that call's list only, never the registry, and grows with the
person's position on it. This script builds, on a fresh SQLite database (or
``--database-url``), a registry of ``--registry`` applications in other calls
plus calls whose waiting lists hold 100, 10,000 and ``--longest`` people, and
times: the position of the first, middle and last person of each list; the
cancellation of a place-holder, whose transaction moves the first waiting
person up (the whole status path: counters, timeline, audit, notices). Next to
a baseline in the same run, a look-up of one application by primary key.
Printed: microseconds per operation, the ratio to the baseline, the query plan
and the load average (absolute figures move with the machine).

    .venv/bin/python bench/waiting_list.py [--longest 100000] [--registry 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bulk_rows  # noqa: E402

from portal import create_app  # noqa: E402
from portal.applications import workflow as apps  # noqa: E402
from portal.backoffice.audit import Actor  # noqa: E402
from portal.models import Agency, Application, Call, Citizen, Program  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402
from portal.web.tables import utcnow  # noqa: E402

QUOTA = 50


def per_call(fn, repeat: int) -> float:
    """Microseconds per call, the best of three runs of ``repeat`` calls."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best * 1e6


class Builder:
    """Rows in bulk, as the workflow would have left them (benchmark set-up only)."""

    def __init__(self) -> None:
        self.agency = Agency.create(slug="bench", name="Dependencia de prueba")
        self.people = 0
        self.folios = 0

    def citizens(self, n: int) -> list[int]:
        first = self.people
        self.people += n
        return bulk_rows.insert(
            Citizen,
            ("curp", "given_names", "first_surname", "birth_date", "sex"),
            ((f"BENC{first + i:014d}", "Persona", "De Prueba", dt.date(1980, 1, 1), "M")
             for i in range(n)),
        )  # fmt: skip

    def call(self, name: str, held: int, waiting: int) -> Call:
        program = Program.create(
            slug=name, agency=self.agency, name=name, summary="Prueba", benefit_kind="cash"
        )
        call = Call.create(
            program=program,
            opens=dt.date(2026, 1, 1),
            closes=dt.date(2027, 12, 31),
            quota=max(held, 1),
            places_taken=held,
            places_waiting=waiting,
            waiting_issued=waiting,
        )
        now = utcnow()
        with bulk_rows.bulk_load(Citizen, Application):
            people = self.citizens(held + waiting)
            first = self.folios
            self.folios += len(people)
            bulk_rows.insert(
                Application,
                ("folio", "citizen_id", "program_id", "call_id", "status", "answers",
                 "submitted_at", "waiting_number", "municipality"),
                ((f"BEN-{first + i + 1:012d}", citizen, program.id, call.id,
                  "enviada" if i < held else "en_espera", "{}", now,
                  None if i < held else i - held + 1, "")
                 for i, citizen in enumerate(people)),
            )  # fmt: skip
        return call


def plan(sql_and_params) -> str:
    sql, params = sql_and_params
    if not database.is_sqlite():
        return ""
    rows = db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return " / ".join(str(r[-1]) for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--longest", type=int, default=100_000)
    parser.add_argument("--registry", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-espera-"))
    app = create_app(
        {
            "DATABASE_URL": args.database_url or f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "docs"),
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        }
    )
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        build = Builder()
        started = time.perf_counter()
        # The registry: applications of other calls, none waiting.
        build.call("registro", held=args.registry, waiting=0)
        sizes = [100, 10_000, args.longest]
        calls = {n: build.call(f"lista-{n}", held=QUOTA, waiting=n) for n in sizes}
        print(
            f"built {args.registry:,} applications in other calls and lists of "
            f"{', '.join(f'{n:,}' for n in sizes)} in {time.perf_counter() - started:.1f} s "
            f"({'SQLite' if database.is_sqlite() else 'PostgreSQL'})"
        )
        some = Application.select(Application.id).order_by(Application.id).first().id

        def baseline():
            return Application.get_by_id(some)

        base = per_call(baseline, args.repeat)
        print(f"baseline (application by primary key): {base:.1f} µs")
        print(f"{'list':>10} {'position':>10} {'µs':>10} {'× baseline':>11}")
        for n, call in calls.items():
            for where in (1, n // 2 or 1, n):
                person = Application.get(
                    (Application.call == call.id) & (Application.waiting_number == where)
                )
                assert apps.waiting_position(person) == where
                micro = per_call(lambda p=person: apps.waiting_position(p), args.repeat)
                print(f"{n:>10,} {where:>10,} {micro:>10.1f} {micro / base:>11.1f}")
        last = Application.get(
            (Application.call == calls[args.longest].id)
            & (Application.waiting_number == args.longest)
        )
        counted = (
            Application.select(Application.id)
            .where(
                (Application.call == last.call_id)
                & apps.SQL(apps.WAITING_ROWS)
                & (Application.waiting_number < last.waiting_number)
            )
            .sql()
        )
        print(f"plan: {plan(counted)}")
        print(f"{'list':>10} {'cancellation moving the first up, ms':>38} {'× baseline':>11}")
        for n, call in calls.items():
            holders = list(
                Application.select()
                .where((Application.call == call.id) & (Application.status == "enviada"))
                .order_by(Application.id)
                .limit(10)
            )
            start = time.perf_counter()
            for holder in holders:
                apps.cancel(holder, Actor.citizen(holder.citizen_id), "Ya no lo necesito.")
            micro = (time.perf_counter() - start) / len(holders) * 1e6
            fresh = Call.get_by_id(call.id)
            assert fresh.places_taken == QUOTA and fresh.places_waiting == n - len(holders)
            print(f"{n:>10,} {micro / 1000:>38.2f} {micro / base:>11.1f}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
