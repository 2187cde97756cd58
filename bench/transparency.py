"""Benchmark: statistics and open data from a cached build, against the old per-request build.

Makes a SQLite database with N active beneficiaries of one program (bulk
inserts), builds the open data once as the queue would (timed), then serves
the portal with gunicorn and the production settings (gunicorn.conf.py: 2
workers, threads; its workers' memory measured alone) with the old views
mounted beside the new ones:

* ``/bench/old/estadisticas``: the old page, which checked the summaries'
  freshness by scanning the enrollments and counted applications on every
  request; ``/bench/old/padron/<slug>.csv``: the old roll download, every row
  loaded into a list before the first byte.
* ``/estadisticas`` and ``/datos-abiertos/padron/<slug>.csv``: the cached build.

Prints, each with the load average and the ratio to the other path measured in
the same run: latency of each path; the home page's latency alone and while
``P`` clients keep downloading the roll (old and cached); and the server's
resident memory before and at its peak during ``P`` parallel roll downloads
(one worker with ``P`` threads, a fresh one for each path). ``BENCH_FOLDER``
names the folder of an earlier run to reuse its database.

    .venv/bin/python -u bench/transparency.py [N=200000] [P=4]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Response  # noqa: E402

from portal import create_app  # noqa: E402
from portal.models import Citizen, Enrollment, Program  # noqa: E402
from portal.transparency import builds, changes  # noqa: E402
from portal.transparency import public as transparency  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.exports import csv_lines  # noqa: E402
from portal.web.extensions import db  # noqa: E402
from portal.web.htmx import render  # noqa: E402
from tests.factories import make_agency, make_municipality, make_program, valid_curp  # noqa: E402

SLUG = "tarjeta-bench"
CHUNK = 5_000


def _app(folder: Path):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "docs"),
            "RATELIMIT_ENABLED": False,
        }
    )


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def populate(folder: Path, n: int) -> None:
    app = _app(folder)
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        for code, name in (("22014", "Querétaro"), ("22016", "San Juan del Río"),
                           ("22006", "Corregidora")):  # fmt: skip
            make_municipality(code, name)
        program = make_program(make_agency(name="Secretaría de Bienestar"), slug=SLUG,
                               name="Tarjeta Bench")  # fmt: skip
        start = time.perf_counter()
        codes = ("22014", "22016", "22006")
        with db.atomic():
            for k in range(0, n, CHUNK):
                rows = []
                for i in range(k, min(n, k + CHUNK)):
                    born = dt.date(1950 + i // 13_824, 1 + i % 12, 1 + i % 28)
                    rows.append(
                        {"curp": valid_curp(born, "HM"[i % 2], n=i % 13_824),
                         "given_names": f"Persona {chr(65 + i % 26)}{chr(65 + i // 26 % 26)}",
                         "first_surname": f"Apellido{i % 997}", "second_surname": "Ejemplo",
                         "birth_date": born, "sex": "HM"[i % 2], "email": "",
                         "municipality": codes[i % 3]}
                    )  # fmt: skip
                Citizen.insert_many(rows).execute()
            ids = [c.id for c in Citizen.select(Citizen.id).order_by(Citizen.id)]
            for k in range(0, len(ids), CHUNK):
                Enrollment.insert_many(
                    [{"citizen": cid, "program": program.id,
                      "exclusion_key": program.exclusion_key, "source": "padron",
                      "started_on": dt.date(2026, 1 + cid % 11, 10)}
                     for cid in ids[k : k + CHUNK]]
                ).execute()  # fmt: skip
        print(f"database: {n:,} beneficiaries inserted in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        report = builds.build()
        assert report is not None
        roll = builds.current(builds.roll_name(SLUG, "csv"))
        print(f"open-data build (the queue's work, once per change): "
              f"{time.perf_counter() - start:.1f} s, {len(report.written)} files, "
              f"roll CSV {roll.size / 1e6:.1f} MB; {load()}")  # fmt: skip
        db.close()


def rebuild_figures(folder: Path) -> None:
    """What the queue does after one change: only what the change touches."""
    app = _app(folder)
    with app.app_context():
        db.connect(reuse_if_open=True)
        program = Program.get(Program.slug == SLUG)
        for label, kind, program_id in (
            ("an application's status change", changes.APPLICATIONS, None),
            ("an enrollment in the program", changes.BENEFICIARIES, program.id),
        ):
            with database.write():
                changes.mark_changed(kind, program_id)
            start = time.perf_counter()
            report = builds.build()
            assert report is not None
            rolls = sum(name.startswith("padron/") for name in report.written + report.unchanged)
            print(f"rebuild after {label}: {time.perf_counter() - start:.1f} s, "
                  f"{rolls} roll files rebuilt; {load()}")  # fmt: skip
        db.close()


# -- the server process --------------------------------------------------------


def old_statistics():
    stats = transparency.compute_stats()  # the freshness scan and the counts, per request
    return render("transparency/statistics.html", stats=stats, suppressed=True, office=False,
                  built_at=None)  # fmt: skip


def old_roll(slug: str):
    program = Program.get(Program.slug == slug)
    rows = list(transparency.published_roll(program))  # the old view: every row in memory
    columns = transparency.PUBLISHED_ROLL_COLUMNS
    return Response(csv_lines(columns, ([r[c] for c in columns] for r in rows)),
                    mimetype="text/csv")  # fmt: skip


def server_app():
    """The portal with the old views mounted beside it, for gunicorn (BENCH_FOLDER)."""
    app = _app(Path(os.environ["BENCH_FOLDER"]))
    app.add_url_rule("/bench/old/estadisticas", view_func=old_statistics)
    app.add_url_rule("/bench/old/padron/<slug>.csv", view_func=old_roll)
    return app


# -- the client ------------------------------------------------------------------


class Server:
    """gunicorn with the production settings (gunicorn.conf.py), ``workers`` x ``threads``."""

    def __init__(self, folder: Path, workers: int = 2, threads: int = 4):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        command = [
            str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
            "--threads", str(threads), "--timeout", "600", "--access-logfile", "/dev/null",
            "bench.transparency:server_app()",
        ]  # fmt: skip
        env = dict(os.environ, BENCH_FOLDER=str(folder), PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)  # fmt: skip
        for _ in range(300):
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def get(self, path: str) -> tuple[int, int]:
        """Status and bytes read, reading the body in chunks as a browser would."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.request("GET", path)
        response = connection.getresponse()
        size = 0
        while chunk := response.read(1 << 16):
            size += len(chunk)
        connection.close()
        return response.status, size

    def memory(self) -> float:
        """Resident memory of the workers together, in MB."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = 0
        for child in children:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def timed(server: Server, path: str, times: int) -> list[float]:
    latencies = []
    for _ in range(times):
        start = time.perf_counter()
        status, _size = server.get(path)
        assert status == 200, (path, status)
        latencies.append(time.perf_counter() - start)
    return latencies


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def figure(label: str, values: list[float]) -> str:
    return (f"  {label:<34} p50 {statistics.median(values) * 1000:9.1f} ms  "
            f"p95 {p95(values) * 1000:9.1f} ms  ({len(values)} requests; {load()})")  # fmt: skip


def during_burst(server: Server, path: str, clients: int, each: int):
    """Home page latencies while ``clients`` download ``each`` rolls, and the burst's length."""
    threads = [
        threading.Thread(target=lambda: [server.get(path) for _ in range(each)])
        for _ in range(clients)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    latencies: list[float] = []
    while any(t.is_alive() for t in threads) or len(latencies) < 5:
        latencies += timed(server, "/", 1)
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - start


def parallel_peak(server: Server, path: str, clients: int) -> tuple[float, float, float]:
    """RSS before, and its peak sampled every 5 ms while ``clients`` download at once."""
    before = server.memory()
    peak = before
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, server.memory())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.perf_counter()
    threads = [threading.Thread(target=server.get, args=(path,)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return before, peak, seconds


def main(n: int, clients: int) -> None:
    reuse = os.environ.get("BENCH_FOLDER")
    if reuse and (Path(reuse) / "portal.db").exists():
        folder = Path(reuse)
        print(f"database of an earlier run: {folder}")
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench-transparency-"))
        print(f"database folder (BENCH_FOLDER to reuse it): {folder}")
        populate(folder, n)
    rebuild_figures(folder)
    old_roll_url, new_roll_url = (
        f"/bench/old/padron/{SLUG}.csv",
        f"/datos-abiertos/padron/{SLUG}.csv",
    )

    server = Server(folder)
    try:
        timed(server, "/estadisticas", 3)  # warm: the snapshot parsed once per process
        print(f"\nLatency, one client ({n:,} beneficiaries)")
        old_stats = timed(server, "/bench/old/estadisticas", 10)
        new_stats = timed(server, "/estadisticas", 50)
        print(figure("/estadisticas, per-request build", old_stats))
        print(figure("/estadisticas, cached build", new_stats))
        print(
            f"  ratio old/cached p50: {statistics.median(old_stats) / statistics.median(new_stats):,.0f}"
        )
        old_rolls = timed(server, old_roll_url, 3)
        new_rolls = timed(server, new_roll_url, 10)
        print(figure("roll CSV, per-request build", old_rolls))
        print(figure("roll CSV, cached file", new_rolls))
        print(
            f"  ratio old/cached p50: {statistics.median(old_rolls) / statistics.median(new_rolls):,.1f}"
        )
        print(f"\nHome page during a burst: {clients} clients download the roll twice each")
        alone = timed(server, "/", 100)
        with_old, old_burst = during_burst(server, old_roll_url, clients, 2)
        with_new, new_burst = during_burst(server, new_roll_url, clients, 2)
        print(figure("/ alone", alone))
        print(figure(f"/ during per-request builds ({old_burst:.1f} s)", with_old))
        print(figure(f"/ during cached downloads ({new_burst:.1f} s)", with_new))
        print(f"  home p95 ratio to alone: per-request {p95(with_old) / p95(alone):.1f}, "
              f"cached {p95(with_new) / p95(alone):.1f}; burst length ratio "
              f"{old_burst / new_burst:,.0f}")  # fmt: skip
    finally:
        server.stop()

    print(f"\nWorker memory, {clients} parallel roll downloads (one gunicorn worker, "
          f"{clients} threads, a fresh one for each path)")  # fmt: skip
    for label, url in (("per-request build", old_roll_url), ("cached file", new_roll_url)):
        server = Server(folder, workers=1, threads=clients)
        try:
            for warm in ("/", "/estadisticas", "/datos-abiertos/programas.csv"):
                server.get(warm)
            before, peak, seconds = parallel_peak(server, url, clients)
        finally:
            server.stop()
        print(f"  {label:<20} RSS {before:7.1f} MB -> peak {peak:7.1f} MB "
              f"(+{peak - before:6.1f} MB) in {seconds:5.1f} s; {load()}")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 4)  # fmt: skip
