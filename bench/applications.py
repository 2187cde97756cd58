"""Benchmark: the busiest hour, when a call opens and everyone submits at once.

Loads the demo catalog into a fresh SQLite file, makes N citizens with a
draft each (documents uploaded through the real encrypted storage), then
submits them from W threads at the same time, each with its own connection
as web workers would. Prints submissions per second and latency percentiles,
and checks that each person has exactly one live application.

    .venv/bin/python bench/applications.py [N] [W]
"""

from __future__ import annotations

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
from portal.models import Application  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402
from tests.application_builders import upload_all  # noqa: E402
from tests.factories import make_citizen, make_program  # noqa: E402


def main(n: int = 400, workers: int = 8) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-apps-"))
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "docs"),
        }
    )
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        program = make_program(requirements=("identificacion",))
        drafts = []
        for _ in range(n):
            citizen = make_citizen()
            draft = apps.start_draft(citizen, program, uuid.uuid4().hex)
            upload_all(draft, citizen)
            drafts.append((draft, citizen))
        apps.eligibility_reasons(drafts[0][1], program, __import__("datetime").date.today())
        db.close()

    latencies: list[float] = []
    lock = threading.Lock()
    chunks = [drafts[i::workers] for i in range(workers)]
    barrier = threading.Barrier(workers)

    def worker(chunk):
        with app.app_context():
            db.connect(reuse_if_open=True)
            barrier.wait()
            for draft, citizen in chunk:
                start = time.perf_counter()
                apps.submit(draft, Actor("ciudadano", citizen.id))
                with lock:
                    latencies.append(time.perf_counter() - start)
            db.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    with app.app_context():
        db.connect(reuse_if_open=True)
        live = Application.select().where(Application.status == "enviada").count()
        db.close()
    ms = sorted(x * 1000 for x in latencies)
    print(f"submissions: {n} from {workers} threads on SQLite in {elapsed:.2f} s")
    print(f"throughput: {n / elapsed:.0f} per second")
    print(
        f"latency ms: p50 {statistics.median(ms):.1f}, p95 {ms[int(len(ms) * 0.95)]:.1f}, "
        f"max {ms[-1]:.1f}"
    )
    print(f"live applications: {live} (expected {n})")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
