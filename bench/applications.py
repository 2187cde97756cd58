"""Benchmark: the busiest hour, when a call opens and everyone submits at once.

Makes a fresh database (SQLite in a temporary folder, or the PostgreSQL
database named by ``BENCH_DATABASE_URL``, emptied first), a program whose call
has QUOTA places, N citizens with a draft each (documents uploaded through the
real encrypted storage), then submits them from W threads at the same time,
each with its own connection as web workers would.

Prints submissions per second and latency percentiles, the load average, and
the ratio to a baseline measured in the same run (the same number of drafts of
a call without quota, sent from one thread). Then checks the call: exactly
min(N, QUOTA) applications holding a place, the call's counter equal to them,
every other person on the waiting list (issue 16, item 9) with the numbers
1..N-QUOTA, each once, their documents intact. A quota exceeded
(issue 21: 1,030 live for 1,000 places) or any inconsistency ends the run with exit
status 1; submissions that failed otherwise (e.g. "database is locked" past the
busy timeout on an overloaded machine) are listed and give exit status 2.

    .venv/bin/python bench/applications.py [N] [W] [QUOTA]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.applications import workflow as apps  # noqa: E402
from portal.backoffice.audit import Actor  # noqa: E402
from portal.models import ALL_MODELS, Application, Call  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402
from tests.application_builders import upload_all  # noqa: E402
from tests.factories import make_citizen, make_program  # noqa: E402


def _drafts(program, n: int) -> list:
    drafts = []
    for _ in range(n):
        citizen = make_citizen()
        draft = apps.start_draft(citizen, program, uuid.uuid4().hex)
        upload_all(draft, citizen)
        drafts.append(draft)
    return drafts


def _submit_all(app, drafts: list, workers: int) -> tuple[float, list[float], list]:
    """Send every draft from ``workers`` threads released together."""
    latencies: list[float] = []
    outcomes: list = []
    lock = threading.Lock()
    chunks = [drafts[i::workers] for i in range(workers)]
    barrier = threading.Barrier(workers)

    def worker(chunk):
        with app.app_context():
            db.connect(reuse_if_open=True)
            barrier.wait()
            for draft in chunk:
                start = time.perf_counter()
                try:
                    outcome = apps.submit(draft, Actor("ciudadano", draft.citizen_id))
                except Exception as error:  # noqa: BLE001 - every outcome is counted
                    # A refusal, or e.g. "database is locked" when a SQLite
                    # writer waited past the busy timeout: counted, not fatal.
                    outcome = error
                with lock:
                    latencies.append(time.perf_counter() - start)
                    outcomes.append(outcome)
            db.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - began, latencies, outcomes


def _percentiles(latencies: list[float]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    return (
        f"p50 {statistics.median(ms):.1f}, p95 {ms[int(len(ms) * 0.95)]:.1f}, "
        f"p99 {ms[int(len(ms) * 0.99)]:.1f}, max {ms[-1]:.1f}"
    )


def main(n: int = 2000, workers: int = 32, quota: int = 1000) -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-apps-"))
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'portal.db'}"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "docs"),
        }
    )
    engine = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        if engine == "PostgreSQL":
            tables = ", ".join(f'"{m._meta.table_name}"' for m in ALL_MODELS)
            db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        program = make_program(requirements=("identificacion",))
        Call.update(quota=quota).where(Call.program == program).execute()
        baseline_program = make_program(requirements=("identificacion",))
        Call.update(quota=None).where(Call.program == baseline_program).execute()
        print(f"preparing {n} drafts in a call of {quota} places, and {n} without quota ...")
        drafts = _drafts(program, n)
        baseline_drafts = _drafts(baseline_program, n)
        documents = {d.id: sorted(doc.id for doc in d.documents) for d in drafts}
        db.close()

    base_elapsed, base_latencies, _ = _submit_all(app, baseline_drafts, 1)
    load_before = os.getloadavg()
    elapsed, latencies, outcomes = _submit_all(app, drafts, workers)
    load_after = os.getloadavg()

    with app.app_context():
        db.connect(reuse_if_open=True)
        call = Call.get(Call.program == program)
        live = (
            Application.select()
            .where((Application.call == call.id) & Application.status.in_(apps.PLACE_STATUSES))
            .count()
        )
        waiting = list(
            Application.select().where(
                (Application.call == call.id) & (Application.status == "en_espera")
            )
        )
        drafts_left = (
            Application.select()
            .where((Application.call == call.id) & (Application.status == "borrador"))
            .count()
        )
        numbers = sorted(a.waiting_number for a in waiting)
        intact = all(
            sorted(doc.id for doc in a.documents) == documents[a.id]
            for a in Application.select().where(Application.call == call.id)
        )
        db.close()
    failed = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, apps.Refused)]
    kinds = sorted({f"{type(o).__name__}: {o}" for o in failed})
    throughput, base_throughput = n / elapsed, n / base_elapsed
    print(f"engine: {engine}; load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"baseline: {n} submissions from 1 thread, no quota, in {base_elapsed:.2f} s")
    print(f"  throughput {base_throughput:.0f}/s; latency ms {_percentiles(base_latencies)}")
    print(f"quota call: {n} submissions from {workers} threads in {elapsed:.2f} s")
    print(f"  throughput {throughput:.0f}/s; latency ms {_percentiles(latencies)}")
    print(f"  ratio to the baseline: {throughput / base_throughput:.2f}")
    expected = min(n, quota)
    print(
        f"holding a place: {live} for a quota of {quota} (expected {expected}); "
        f"counter {call.places_taken}; waiting {len(waiting)} (counter "
        f"{call.places_waiting}); drafts left {drafts_left}; documents intact: {intact}; "
        f"errors {len(failed)}"
    )
    for kind in kinds:
        print(f"  error: {kind}")
    if live > quota:
        print(f"QUOTA EXCEEDED: {live} live applications for {quota} places", file=sys.stderr)
        return 1
    # Every submission that did not fail got a place or waits, numbered in order.
    ok = (
        live == min(quota, n - len(failed))
        and call.places_taken == live
        and call.places_waiting == len(waiting) == n - len(failed) - live
        and numbers == list(range(1, len(numbers) + 1))
        and drafts_left == len(failed)
        and intact
    )
    if not ok:
        print("INCONSISTENT: see the figures above", file=sys.stderr)
        return 1
    if failed:
        print(f"ERRORS: {len(failed)} submissions failed (drafts intact)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:4])))
