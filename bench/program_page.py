"""Benchmark: the program page (``/programas/<slug>``) on a big database.

Serves the page in-process (the WSGI app through its test client, one thread:
the cost of the request itself, no network) against an existing database, and
prints requests per second and latency next to, in the same run:

* a bare Flask page of the same app (the ratio says what the page costs);
* the places-left count as it was before the counter (issue 21): counting the
  call's live applications and the program's enrollments outside them, per
  request, as ``portal.catalog.store.quota_used`` did.

Also prints the queries one request of the page runs and the load average.

    .venv/bin/python bench/program_page.py PATH/portal.db [slug] [seconds]

Build the database with ``flask --app wsgi demo-data --citizens N`` in a
temporary instance (INSTANCE_PATH, DATABASE_URL), see docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peewee import JOIN, fn  # noqa: E402

from portal import create_app  # noqa: E402
from portal.models import Application, Call, Citizen, Enrollment, Program  # noqa: E402
from portal.vocabulary import LIVE_STATUSES  # noqa: E402
from portal.web.extensions import db  # noqa: E402


def old_places_used(slug: str, on: dt.date) -> int:
    """The per-request count the page made before the counter (issue 21): the
    live applications of every open call and the enrollments outside them."""
    open_calls = list(
        Call.select(Call.id, Program.id, Program.slug)
        .join(Program)
        .where(Program.active & (Call.opens <= on) & (Call.closes >= on))
        .tuples()
    )
    call_ids = [call_id for call_id, _, _ in open_calls]
    slug_of_call = {call_id: s for call_id, _, s in open_calls}
    slug_of_program = {program_id: s for _, program_id, s in open_calls}
    used = dict.fromkeys(slug_of_program.values(), 0)
    for call_id, n in (
        Application.select(Application.call, fn.COUNT(Application.id))
        .where(Application.call.in_(call_ids) & Application.status.in_(LIVE_STATUSES))
        .group_by(Application.call)
        .tuples()
    ):
        used[slug_of_call[call_id]] += n
    elsewhere = (
        Application.id.is_null()
        | Application.call.not_in(call_ids)
        | Application.status.not_in(LIVE_STATUSES)
    )
    for program_id, n in (
        Enrollment.select(Enrollment.program, fn.COUNT(Enrollment.id))
        .join(Application, JOIN.LEFT_OUTER, on=(Enrollment.application == Application.id))
        .where(Enrollment.active & Enrollment.program.in_(list(slug_of_program)) & elsewhere)
        .group_by(Enrollment.program)
        .tuples()
    ):
        used[slug_of_program[program_id]] += n
    return used.get(slug, 0)


def measure(work, seconds: float) -> tuple[float, list[float]]:
    latencies = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        work()
        latencies.append(time.perf_counter() - start)
    return len(latencies) / sum(latencies), latencies


def show(name: str, rate: float, latencies: list[float], bare: float | None = None) -> None:
    ms = sorted(x * 1000 for x in latencies)
    ratio = f", {rate / bare:.2f} of the bare page" if bare else ""
    print(
        f"{name}: {rate:,.0f}/s, p50 {statistics.median(ms):.2f} ms, "
        f"p95 {ms[int(len(ms) * 0.95)]:.2f} ms ({len(ms)} requests{ratio})"
    )


def main(path: str, slug: str = "tarjeta-contigo", seconds: float = 5.0) -> None:
    folder = Path(path).resolve().parent
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{Path(path).resolve()}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "docs"),
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        }
    )
    app.add_url_rule("/bench-bare", "bench_bare", lambda: "ok")
    client = app.test_client()
    with app.app_context():
        db.connect(reuse_if_open=True)
        citizens = Citizen.select().count()
        applications = Application.select().count()
        call = (
            Call.select()
            .join(Program)
            .where((Program.slug == slug) & (Call.opens <= dt.date.today()))
            .order_by(Call.opens.desc())
            .first()
        )
        print(
            f"database: {citizens:,} citizens, {applications:,} applications; "
            f"{slug}: quota {call.quota}, counter {getattr(call, 'places_taken', '(none in this version)')}"
        )
        seen: list[str] = []
        db.obj.query_hooks.append(lambda event: seen.append(event.sql))
        client.get(f"/programas/{slug}")  # the first request compiles the catalog
        seen.clear()
        assert client.get(f"/programas/{slug}").status_code == 200
        db.obj.query_hooks.clear()
        print(f"queries per request of the page: {len(seen)}")
        for sql in seen:
            print(f"  {sql[:110]}")
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        bare, bare_latencies = measure(lambda: client.get("/bench-bare"), seconds)
        show("bare Flask page", bare, bare_latencies)
        page, page_latencies = measure(lambda: client.get(f"/programas/{slug}"), seconds)
        show(f"/programas/{slug}", page, page_latencies, bare)
        today = dt.date.today()
        old, old_latencies = measure(lambda: old_places_used(slug, today), seconds)
        show("the places-left count as before the counter (the query alone)", old, old_latencies)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1], *sys.argv[2:3], *(float(a) for a in sys.argv[3:4]))
