"""How fast a roll is imported (portal/rolls/writing.py), against a bare insert.

    .venv/bin/python -m bench.import [--existing 1000000] [--rows 1000000] [--dir DIR]
                                     [--duplicates] [--stats] [--single]

(run from the repository root). Builds a SQLite database holding ``--existing``
synthetic citizens (portal/demo/synthetic.py, bulk-inserted in chunks), writes a
roll of ``--rows`` rows (half of them people already in the database, half
new), then, in the same run:

* import: ``padron.prepare_batch`` + ``padron.run_batch`` with every
  validation on (CURP, birth date and sex against it, municipality, program
  rules, duplicates in the file, enrollment and exclusion group), in short
  transactions made visible by one final step (portal/rolls/writing.py), the
  rows judged in a second process while this one writes
  (as for every roll of ``pipeline.PARALLEL_MIN_ROWS`` rows or more,
  portal/rolls/pipeline.py);
* bare insert: the same rows into a copy of the same database with plain
  ``executemany`` (citizens ``INSERT OR IGNORE``, enrollments with the citizen
  id from a subquery), nothing validated.

``--single`` also times the import judging rows in the importing process
itself (``run_batch(parallel=False)``), on another copy. ``--duplicates`` then times ``duplicates.find_candidates`` on the imported
database, and ``--stats`` times the statistics pages on it (their summaries
were built before the import, which keeps them current) and a full rebuild
of the summaries.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from portal import create_app
from portal.demo import synthetic
from portal.demo.data import load_municipalities
from portal.models import Agency, Call, Program, utcnow
from portal.rolls import writing as padron
from portal.transparency import public as transparency
from portal.web import database
from portal.web.extensions import db

CHUNK = 20_000


def insert_existing(citizens: list[synthetic.Citizen]) -> None:
    """The database's prior citizens, inserted the fast way (not what is measured)."""
    columns, constants = padron.citizen_constants()
    now = str(utcnow())
    rows = [
        (
            c["curp"], c["first_name"], c["last_name1"], c["last_name2"],
            c["birth_date"].isoformat(), c["sex"], c["municipality"], "digital_id", now, now,
            *constants,
        )
        for c in citizens
    ]  # fmt: skip
    with db.atomic():
        for start in range(0, len(rows), CHUNK):
            padron.insert_many(
                "citizen", (*padron.CITIZEN_COLUMNS, *columns), rows[start : start + CHUNK]
            )


def write_roll(path: Path, people: list[synthetic.Citizen]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["CURP", "Nombre(s)", "Primer apellido", "Segundo apellido", "Fecha de nacimiento",
             "Sexo", "Municipio", "Monto", "Fecha"]
        )  # fmt: skip
        for c in people:
            writer.writerow(
                [c["curp"], c["first_name"], c["last_name1"], c["last_name2"],
                 c["birth_date"].strftime("%d/%m/%Y"), c["sex"], c["municipality"], "1500",
                 "2026-01-15"]
            )  # fmt: skip


def bare_insert(db_path: Path, roll: Path, program_id: int) -> float:
    """The same rows with no validation and no lookups beyond the id subquery."""
    columns, constants = padron.citizen_constants()
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA journal_mode=wal")
    connection.execute("PRAGMA synchronous=normal")
    # The import's own cache size, so both runs hold the same indexes in memory.
    connection.execute(f"PRAGMA cache_size = -{padron.IMPORT_CACHE_KIB}")
    start = time.perf_counter()
    now = str(utcnow())
    with open(roll, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        rows = list(reader)
    marks = ", ".join("?" * (len(padron.CITIZEN_COLUMNS) + len(columns)))
    with connection:
        connection.executemany(
            f"INSERT OR IGNORE INTO citizen ({', '.join((*padron.CITIZEN_COLUMNS, *columns))}) "  # noqa: S608
            f"VALUES ({marks})",
            (
                (r[0], r[1], r[2], r[3], r[4], r[5], r[6], "import", now, now, *constants)
                for r in rows
            ),
        )
        connection.executemany(
            "INSERT INTO enrollment (citizen_id, program_id, exclusion_key, source, import_batch, "
            "active, benefit_amount, started_on, created_at, end_reason) VALUES "
            "((SELECT id FROM citizen WHERE curp = ?), ?, ?, 'padron', 'bare', 1, ?, ?, ?, '')",
            ((r[0], program_id, "programa:bench", int(r[7]), r[8], now) for r in rows),
        )
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--duplicates", action="store_true")
    parser.add_argument("--stats", action="store_true")
    parser.add_argument(
        "--single", action="store_true", help="also time the import without its judging process"
    )
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench-import-"))
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
                {"field": "income_per_capita", "op": "lt", "value": 3000, "reason": "Ingreso."},
            ],
        )  # fmt: skip
        Call.create(program=program, opens="2026-01-01", closes="2026-12-31", quota=2_000_000)

        start = time.perf_counter()
        half = args.rows // 2
        people = list(synthetic.generate_citizens(args.existing + args.rows - half))
        insert_existing(people[: args.existing])
        roll = folder / "padron.csv"
        write_roll(roll, people[args.existing - half :][: args.rows])
        generated = len(people)
        del people  # a live portal's process does not hold 1.5M generated people
        print(f"setup: {generated:,} people generated, {args.existing:,} inserted, "
              f"roll written in {time.perf_counter() - start:.1f} s")  # fmt: skip
        # Statistics summaries built before the import, as on a live portal:
        # the import then keeps them current inside its own transaction.
        transparency.refresh_summary()
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        bare_db = folder / "bare.db"
        shutil.copy(db_path, bare_db)
        single_db = folder / "single.db"
        if args.single:
            shutil.copy(db_path, single_db)

        db.connect()
        print("load average before the import: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        start = time.perf_counter()
        batch, _ = padron.prepare_batch(roll, roll.name, program)
        batch = padron.run_batch(batch.id, roll)
        imported = time.perf_counter() - start
        assert batch.status == "terminado", batch.error
        bare = bare_insert(bare_db, roll, program.id)
        print("| run | rows | seconds | rows/s |")
        print("| --- | ---: | ---: | ---: |")
        print(f"| import, every validation | {batch.total_rows:,} | {imported:.1f} | "
              f"{batch.total_rows / imported:,.0f} |")  # fmt: skip
        print(f"| bare insert | {args.rows:,} | {bare:.1f} | {args.rows / bare:,.0f} |")
        if args.single:
            db.close()
            database.bind(f"sqlite:///{single_db}")
            start = time.perf_counter()
            single, _ = padron.prepare_batch(roll, roll.name, program)
            single = padron.run_batch(single.id, roll, parallel=False)
            one = time.perf_counter() - start
            assert single.accepted == batch.accepted
            print(f"| import in one process | {single.total_rows:,} | {one:.1f} | "
                  f"{single.total_rows / one:,.0f} |")  # fmt: skip
            db.close()
            database.bind(f"sqlite:///{db_path}")
        print(f"accepted {batch.accepted:,}, new citizens {batch.new_citizens:,}, "
              f"rejected {batch.rejected:,}; import / bare = {imported / bare:.2f}")  # fmt: skip

        if args.duplicates:
            from portal.rolls import duplicates

            start = time.perf_counter()
            pairs = duplicates.find_candidates()
            seconds = time.perf_counter() - start
            citizens = db.execute_sql("SELECT count(*) FROM citizen").fetchone()[0]
            kinds = {k: sum(p.kind == k for p in pairs) for k in ("nombre", "curp")}
            print(
                f"duplicates: {citizens:,} citizens, {len(pairs):,} pairs {kinds} in {seconds:.1f} s"
            )

        if args.stats:
            print(f"statistics summaries current after the import: "
                  f"{transparency.summary_is_current()}")  # fmt: skip
            client = app.test_client()
            for url in ("/estadisticas", "/estadisticas", "/datos-abiertos/beneficiarios.csv"):
                start = time.perf_counter()
                response = client.get(url)
                print(f"GET {url}: {response.status_code} in {time.perf_counter() - start:.2f} s")
            start = time.perf_counter()
            cells = transparency.refresh_summary()
            print(f"full rebuild (estadisticas refresh): {cells:,} cells in "
                  f"{time.perf_counter() - start:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
