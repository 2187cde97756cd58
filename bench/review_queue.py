"""Benchmark: the reviewer's queue and a case page with 1,000,000 applications.

Builds a SQLite database (or uses BENCH_DATABASE_URL, e.g. a PostgreSQL
server) with four agencies of five programs each and one application per
person and program (tests/queue_builders.py: insert_many in large
transactions), then, signed in as one agency's reviewer through the test
client, times the queue's first page, a page 5,000 rows in, a filtered page,
another status and a case page. In the same run it times the queries the
queue ran before (OFFSET pages and exact counts per status over the whole
queue) as the baseline, and prints each figure with the load average.

    .venv/bin/python bench/review_queue.py [APPLICATIONS] [REPEATS] [--keep DIR] [--http SECONDS]

With ``--http``, each page is then loaded for SECONDS through gunicorn as in
production (2 workers) from 32 keep-alive connections, alternated with
``/healthz`` on the same server (requests/s, p50, p95 and the ratio).
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

# The repository instead of bench/ on the path: this file's name would hide
# the standard library's queue module from everything imported below.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from peewee import JOIN, fn  # noqa: E402

from portal import create_app  # noqa: E402
from portal.backoffice.forms import QUEUE_STATUSES  # noqa: E402
from portal.models import Application, Citizen, Program, StaffUser  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402
from tests.conftest import BASE_CONFIG, sign_in_as  # noqa: E402
from tests.factories import make_agency, make_municipality, make_program, make_staff  # noqa: E402
from tests.queue_builders import MUNICIPALITIES, bulk_applications, bulk_citizens  # noqa: E402

AGENCIES, PROGRAMS_PER_AGENCY = 4, 5
PENDING = ("enviada", "en_revision")


def build(n: int) -> tuple[int, float]:
    """The catalog, staff and ``n`` applications; the reviewer's id and the seconds taken."""
    began = time.perf_counter()
    for code in MUNICIPALITIES:
        make_municipality(code, f"Municipio {code}")
    programs = []
    for _ in range(AGENCIES):
        agency = make_agency()
        programs += [make_program(agency) for _ in range(PROGRAMS_PER_AGENCY)]
    reviewer = make_staff("revisor", programs[0].agency)
    people = n // len(programs)
    written = 0
    for start in range(0, people, 50_000):
        batch = min(50_000, people - start)
        citizens = bulk_citizens(batch, start=start)
        written += bulk_applications(citizens, programs, start=start * len(programs))
        print(f"  {written:,} applications, {time.perf_counter() - began:.0f} s", flush=True)
    db.execute_sql("ANALYZE")
    return reviewer.id, time.perf_counter() - began


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    action()  # warm
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def figures(label: str, ms: list[float], baseline: list[float] | None = None) -> str:
    p50, p95 = statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    line = f"{label:<44} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  load {os.getloadavg()[0]:.2f}"
    if baseline:
        line += f"  before/after {statistics.median(baseline) / p50:6.1f}x"
    return line


def old_queue(agency_id: int, offset: int, statuses=PENDING, municipality: str = ""):
    """What the queue ran before: exact counts per status, then an OFFSET page."""

    def run():
        base = Application.select().join(Program).where(Program.agency == agency_id)
        if municipality:
            base = base.where(Application.municipality == municipality)
        dict(
            base.select(Application.status, fn.COUNT(Application.id))
            .where(Application.status.in_(QUEUE_STATUSES))
            .group_by(Application.status)
            .tuples()
        )
        list(
            base.select(Application, Program, Citizen, StaffUser)
            .where(Application.status.in_(statuses))
            .switch(Application)
            .join(Citizen, on=(Application.citizen == Citizen.id))
            .switch(Application)
            .join(
                StaffUser, join_type=JOIN.LEFT_OUTER, on=(Application.assigned_to == StaffUser.id)
            )
            .order_by(Application.submitted_at, Application.id)
            .offset(offset)
            .limit(26)
        )

    return run


def serve(folder: Path, url: str) -> tuple[subprocess.Popen, int]:
    """gunicorn with 2 workers on the benchmark's database, and its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(
        os.environ,
        DATABASE_URL=url,
        INSTANCE_PATH=str(folder),
        STORAGE_PATH=str(folder),
        SECRET_KEY=BASE_CONFIG["SECRET_KEY"],
    )
    repo = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(
        [str(repo / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


def load(port: int, path: str, cookie: str, seconds: float, connections: int = 32):
    """Requests per second and sorted latencies (ms) of ``path`` from
    ``connections`` keep-alive clients for ``seconds``."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                failures[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures[0]:
        print(f"    {failures[0]} responses were not 200 on {path}")
    return len(latencies) / (time.perf_counter() - began), sorted(latencies)


def main(n: int = 1_000_000, repeats: int = 30, keep: str = "", http_seconds: float = 0) -> None:
    folder = Path(keep or tempfile.mkdtemp(prefix="bench-queue-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'portal.db'}"
    app = create_app(
        dict(BASE_CONFIG, DATABASE_URL=url, INSTANCE_PATH=str(folder), STORAGE_PATH=str(folder))
    )
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        reviewer_id = StaffUser.select(fn.MIN(StaffUser.id)).where(StaffUser.role == "revisor")
        reviewer_id = reviewer_id.scalar()
        if reviewer_id is None:
            print(f"building {n:,} applications on {url.split(':')[0]} ...", flush=True)
            reviewer_id, seconds = build(n)
            print(f"built in {seconds:.0f} s ({n / seconds:,.0f} applications/s)")
        reviewer = StaffUser.get_by_id(reviewer_id)
        agency_id = reviewer.agency_id
        total = Application.select(fn.COUNT(Application.id)).scalar()
        mine = (
            Application.select(fn.COUNT(Application.id))
            .join(Program)
            .where(Program.agency == agency_id)
            .scalar()
        )
        queue_order = (
            Application.select(Application.id)
            .join(Program)
            .where((Program.agency == agency_id) & Application.status.in_(PENDING))
            .order_by(Application.submitted_at, Application.id)
        )
        deep_id = queue_order.offset(5000).limit(1).scalar()
        case = Application.get_by_id(queue_order.first().id)
        other = Program.select().where(Program.agency == agency_id).order_by(Program.id)[1]
        db.close()
    print(f"applications: {total:,}; the reviewer's agency: {mine:,}; cores: {os.cpu_count()}")

    client = app.test_client()
    sign_in_as(client, reviewer)

    def page(path: str) -> Callable[[], object]:
        def get():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return get

    filtered = f"/oficina?program={other.slug}&municipality={MUNICIPALITIES[1]}"
    since = (dt.date.today() - dt.timedelta(days=90)).isoformat()
    pages = [
        ("queue, first page", "/oficina", old_queue(agency_id, 0)),
        ("queue, 5,000 rows in", f"/oficina?despues={deep_id}", old_queue(agency_id, 5000)),
        (
            "queue, municipality filter",
            f"/oficina?municipality={MUNICIPALITIES[2]}",
            old_queue(agency_id, 0, municipality=MUNICIPALITIES[2]),
        ),
        ("queue, program + municipality filter", filtered, None),
        (
            "queue, status aprobada",
            "/oficina?status=aprobada",
            old_queue(agency_id, 0, ("aprobada",)),
        ),
        ("queue, sent in the last 90 days", f"/oficina?since={since}", None),
        ("case page", f"/oficina/solicitudes/{case.folio}", None),
    ]
    print("one request at a time, in process (test client):")
    for label, path, old in pages:
        with app.app_context():
            db.connect(reuse_if_open=True)
            baseline = timed(old, max(3, repeats // 5)) if old else None
            db.close()
        if baseline:
            print(figures(f"  before: {label} (OFFSET, exact counts)", baseline))
        print(figures(f"  after:  {label}", timed(page(path), repeats), baseline))
    if http_seconds:
        cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
        server, port = serve(folder, url)
        print(f"gunicorn, 2 workers, 32 connections, {http_seconds:.0f} s a page:")
        try:
            for label, path, _ in pages:
                bare_rate, _ = load(port, "/healthz", "", http_seconds)
                rate, ms = load(port, path, cookie, http_seconds)
                print(
                    f"  {label:<42} {rate:7.1f} req/s  p50 {statistics.median(ms):7.1f} ms  "
                    f"p95 {ms[int(len(ms) * 0.95)]:7.1f} ms  /healthz {bare_rate:7.1f} req/s  "
                    f"ratio {rate / bare_rate:.2f}  load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait()
    print(f"data kept in {folder}" if keep else f"data in {folder} (delete it when done)")


if __name__ == "__main__":
    args = sys.argv[1:]
    options = {}
    for flag in ("--keep", "--http"):
        if flag in args:
            options[flag] = args.pop(args.index(flag) + 1)
            args.remove(flag)
    main(
        *(int(a) for a in args[:2]),
        keep=options.get("--keep", ""),
        http_seconds=float(options.get("--http", 0)),
    )
