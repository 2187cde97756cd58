"""How long other writes wait while a roll is imported (portal/rolls/writing.py).

    .venv/bin/python -m bench.import_lock [--existing 200000] [--rows 400000]
                                          [--interval 0.02] [--dir DIR]

(run from the repository root). Builds a SQLite database as bench/import.py
does (``--existing`` synthetic citizens, a roll of ``--rows`` rows, half of
them people already recorded), then, in the same run:

* baseline: a second process writes (``BEGIN IMMEDIATE``, one UPDATE of a
  citizen, COMMIT: a profile save) every ``--interval`` seconds for a few
  seconds with nothing else running, timing each write;
* beside an import: the same writer runs while this process imports the roll
  with ``prepare_batch`` + ``run_batch`` (every validation, the judging
  process), until the import ends.

Prints the writes' waits (median, p95, longest) in both phases, their ratio
to the baseline, the import's rows/s, how long its publication took, and the
load average. Only SQLite is measured: on PostgreSQL an import never held a
lock another write needs (row locks only).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from portal import create_app
from portal.demo import synthetic
from portal.demo.data import load_municipalities
from portal.models import Agency, Call, Program
from portal.rolls import writing as padron
from portal.transparency import public as transparency
from portal.web import database
from portal.web.extensions import db

bench_import = importlib.import_module("bench.import")

WRITER = """
import json, sqlite3, sys, time
db_path, stop, out, interval = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
connection = sqlite3.connect(db_path, timeout=30, isolation_level=None)
connection.execute("PRAGMA journal_mode=wal")
connection.execute("PRAGMA synchronous=normal")
waits, failures = [], 0
import os
while not os.path.exists(stop):
    started = time.perf_counter()
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE citizen SET phone = ? WHERE id = 1", (str(len(waits)),))
        connection.execute("COMMIT")
    except sqlite3.OperationalError:
        failures += 1
        connection.execute("ROLLBACK") if connection.in_transaction else None
    waits.append(time.perf_counter() - started)
    time.sleep(interval)
json.dump({"waits": waits, "failures": failures}, open(out, "w"))
"""


def run_writer(db_path: Path, folder: Path, interval: float, name: str):
    stop = folder / f"{name}.stop"
    out = folder / f"{name}.json"
    stop.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db_path), str(stop), str(out), str(interval)]
    )

    def finish() -> dict:
        stop.touch()
        process.wait(timeout=120)
        return json.loads(out.read_text())

    return finish


def summary(label: str, result: dict, baseline: float | None = None) -> float:
    waits = sorted(result["waits"])
    median = statistics.median(waits)
    p95 = waits[int(0.95 * (len(waits) - 1))]
    longest = waits[-1]
    ratio = f"{longest / baseline:.1f}" if baseline else "1.0"
    print(
        f"| {label} | {len(waits):,} | {result['failures']} | {median * 1000:.1f} | "
        f"{p95 * 1000:.1f} | {longest * 1000:.0f} | {ratio} |"
    )
    return longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench-import-lock-"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "portal.db"
    db_path.unlink(missing_ok=True)
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{db_path}",
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        }
    )
    print(f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
          f"{os.cpu_count()} CPUs, {folder}")  # fmt: skip
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        load_municipalities()
        agency = Agency.create(slug="sedesoq", name="Secretaría de Desarrollo Social")
        program = Program.create(
            slug="bench", agency=agency, name="Programa de prueba", summary="Prueba.",
            benefit_kind="cash", benefit_amount=1500, benefit_period="bimestral",
            eligibility=[
                {"field": "in_state", "op": "is_true", "reason": "Es para quienes viven en el estado."},
                {"field": "age", "op": "lte", "value": 130, "reason": "Edad fuera de rango."},
            ],
        )  # fmt: skip
        Call.create(program=program, opens="2026-01-01", closes="2026-12-31", quota=2_000_000)
        half = args.rows // 2
        people = list(synthetic.generate_citizens(args.existing + args.rows - half))
        bench_import.insert_existing(people[: args.existing])
        roll = folder / "padron.csv"
        bench_import.write_roll(roll, people[args.existing - half :][: args.rows])
        del people
        transparency.refresh_summary()
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")

        finish = run_writer(db_path, folder, args.interval, "baseline")
        time.sleep(3)
        baseline = finish()

        publish_seconds: list[float] = []
        real_publish = getattr(padron, "_publish", None)
        if real_publish is not None:  # this version publishes in a step of its own

            def timed_publish(*a, **k):
                started = time.perf_counter()
                try:
                    return real_publish(*a, **k)
                finally:
                    publish_seconds.append(time.perf_counter() - started)

            padron._publish = timed_publish  # type: ignore[attr-defined]

        load = os.getloadavg()
        finish = run_writer(db_path, folder, args.interval, "import")
        time.sleep(0.5)
        started = time.perf_counter()
        batch, _ = padron.prepare_batch(roll, roll.name, program)
        batch = padron.run_batch(batch.id, roll)
        imported = time.perf_counter() - started
        beside = finish()
        assert batch.status == "terminado", batch.error

    print("| writes | n | failed | median ms | p95 ms | longest ms | longest / baseline median |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    base = statistics.median(baseline["waits"])
    summary("baseline, nothing else running", baseline)
    longest = summary("beside the import", beside, base)
    publication = f"{publish_seconds[0]:.2f} s" if publish_seconds else "(one transaction)"
    print(
        f"import: {batch.total_rows:,} rows in {imported:.1f} s = "
        f"{batch.total_rows / imported:,.0f} rows/s; publication {publication}; "
        f"longest wait {longest * 1000:.0f} ms"
    )
    print("load average at the start of the import: {:.2f} {:.2f} {:.2f}; at the end: "
          "{:.2f} {:.2f} {:.2f}".format(*load, *os.getloadavg()))  # fmt: skip


if __name__ == "__main__":
    main()
