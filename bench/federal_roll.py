"""Benchmark: the federal single roll (portal/rolls/federal.py) of N enrollments.

Makes a SQLite database with one bimonthly 2026 cash program and N enrollments
(bulk inserts), every one from an approved application, half of them with
their first three periods delivered (so the export reads people, enrollments
and deliveries), then, each in a fresh process so that its peak memory is its
own:

* ``raw``: the export's query read through ``exports.stream_rows`` and thrown
  away, the floor any export of these rows pays (the baseline);
* ``csv`` and ``txt``: the export written to a file by ``write_atomically``,
  as ``padron federal`` does;
* ``validate``: the text file read back by ``federal_layout.validate``.

Prints for each: seconds, records per second, the ratio to ``raw`` measured in
the same run, the process's resident memory before and at its peak, and the
load average. Memory that does not grow with N is what "streamed" means: run
with two sizes to see it. ``BENCH_FOLDER`` reuses the database of an earlier
run of the same N.

    .venv/bin/python -u bench/federal_roll.py [N=1000000]
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bulk_rows  # noqa: E402

from portal import create_app  # noqa: E402
from portal.citizens import curp as curps  # noqa: E402
from portal.models import (  # noqa: E402
    Application,
    Call,
    Citizen,
    Delivery,
    DeliveryPoint,
    Enrollment,
    Program,
)
from portal.rolls import federal  # noqa: E402
from portal.rolls import federal_layout as layout  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.exports import stream_rows, write_atomically  # noqa: E402
from portal.web.extensions import db  # noqa: E402
from tests.factories import (  # noqa: E402
    make_agency,
    make_municipality,
    make_program,
    make_staff,
    valid_curp,
)

SLUG = "tarjeta-federal-bench"
TODAY = dt.date(2026, 12, 2)  # every period of 2026 but the last has started


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


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    """This process's own peak (VmHWM). Not ``ru_maxrss``: Linux carries it over
    ``exec`` from the forked parent, so every measurement reported the parent's
    size (the whole database's rows it had just inserted), growing with N."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e3
    raise RuntimeError("no VmHWM in /proc/self/status")


def curp_of(i: int, born: dt.date, sex: str) -> str:
    """A unique valid CURP; a running one that spells a word RENAPO avoids gets
    its second letter replaced by X, as RENAPO does."""
    code = valid_curp(born, sex, n=i % 13_824)
    if code[:4] in curps.INCONVENIENT_WORDS:
        first17 = code[0] + "X" + code[2:17]
        code = first17 + curps.check_digit(first17)
    return code


def populate(folder: Path, n: int) -> None:
    app = _app(folder)
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        codes = ("22014", "22016", "22006")
        for code, name in zip(codes, ("Querétaro", "San Juan del Río", "Corregidora"),
                              strict=True):  # fmt: skip
            make_municipality(code, name)
        agency = make_agency(name="Secretaría de Bienestar")
        program = make_program(
            agency, slug=SLUG, name="Tarjeta Federal Bench", benefit_amount=1500,
            benefit_schedule={"starts": "2026-01-01", "ends": "2026-12-31"},
            federal_program_code="S001", federal_intra_program_code="01",
        )  # fmt: skip
        call = Call.get(Call.program == program.id)
        points = [
            DeliveryPoint.create(
                program=program, name=f"Punto {c}", address="Centro", municipality=c
            )  # fmt: skip
            for c in codes
        ]
        operator = make_staff("entrega", agency=agency)
        start = time.perf_counter()
        with bulk_rows.bulk_load(Citizen, Application, Enrollment, Delivery):
            people = []
            for i in range(n):
                born = dt.date(1950 + i // 13_824, 1 + i % 12, 1 + i % 28)
                people.append((curp_of(i, born, "HM"[i % 2]),
                               f"Persona {chr(65 + i % 26)}{chr(65 + i // 26 % 26)}",
                               f"Núñez{i % 997}", "Ejemplo", born, "HM"[i % 2], "",
                               codes[i % 3]))  # fmt: skip
            ids = bulk_rows.insert(
                Citizen,
                ("curp", "given_names", "first_surname", "second_surname", "birth_date", "sex",
                 "email", "municipality_id"),
                people,
            )  # fmt: skip
            del people
            applications = bulk_rows.insert(
                Application,
                ("folio", "citizen_id", "program_id", "call_id", "status"),
                ((f"QRO-2026-{cid:09d}", cid, program.id, call.id, "aprobada") for cid in ids),
            )  # fmt: skip
            apps = dict(zip(ids, applications, strict=True))
            bulk_rows.insert(
                Enrollment,
                ("citizen_id", "program_id", "application_id", "exclusion_key", "source",
                 "benefit_amount", "started_on"),
                ((cid, program.id, apps[cid], program.exclusion_key, "solicitud", 1500,
                  dt.date(2026, 1 + cid % 11, 10)) for cid in ids),
            )  # fmt: skip

            def paid():
                for cid in ids:
                    if cid % 2:
                        continue
                    first = (cid % 11) // 2 + 1  # the period its start falls in
                    for period in range(first, min(first + 3, 7)):
                        yield (apps[cid], period, 1500, operator.id, points[cid % 3].id,
                               dt.datetime(2026, 2 * period - 1, 15, 10), "ine", "1234")  # fmt: skip

            bulk_rows.insert(
                Delivery,
                ("application_id", "period", "amount", "operator_id", "point_id",
                 "delivered_at", "id_type", "id_last4"),
                paid(),
            )  # fmt: skip
        deliveries = Delivery.select().count()
        print(f"database: {n:,} people, applications and enrollments, {deliveries:,} "
              f"deliveries inserted in {time.perf_counter() - start:.1f} s; {load()}")  # fmt: skip
        db.close()


def run_one(folder: Path, what: str) -> None:
    """One measurement, in this (fresh) process; prints one line of key=value."""
    app = _app(folder)
    with app.app_context():
        db.connect(reuse_if_open=True)
        program = Program.get(Program.slug == SLUG)
        before = rss_mb()
        start = time.perf_counter()
        out = folder / f"padron.{what}"
        if what == "raw":
            records = sum(1 for _ in stream_rows(federal._query(program)))
            size = 0
        elif what in layout.FORMATS:
            export = federal.export(program, what, None, TODAY)
            _digest, size = write_atomically(out, export.chunks())
            records = export.records_written
        else:
            with open(folder / "padron.txt", encoding="utf-8", newline="") as fh:
                result = layout.validate(fh, "txt")
            assert result.valid, result.problems[:5]
            records, size = result.records, 0
        seconds = time.perf_counter() - start
        print(f"records={records} seconds={seconds:.2f} size={size} "
              f"rss_before={before:.0f} rss_peak={peak_mb():.0f}")  # fmt: skip
        db.close()


def measure(folder: Path, what: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--one", what, str(folder)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    line = done.stdout.strip().splitlines()[-1]
    return {k: float(v) for k, v in (part.split("=") for part in line.split())}


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        run_one(Path(sys.argv[3]), sys.argv[2])
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    reuse = os.environ.get("BENCH_FOLDER")
    folder = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix="bench-federal-"))
    if not (folder / "portal.db").exists():
        populate(folder, n)
    print(f"folder: {folder}")
    raw = measure(folder, "raw")
    print(f"raw read (baseline): {raw['records']:,.0f} query rows in {raw['seconds']:.1f} s, "
          f"{raw['records'] / raw['seconds']:,.0f} rows/s; memory {raw['rss_before']:.0f} MB "
          f"-> peak {raw['rss_peak']:.0f} MB; {load()}")  # fmt: skip
    for what in (*layout.FORMATS, "validate"):
        got = measure(folder, what)
        rate = got["records"] / got["seconds"]
        size = f", {got['size'] / 1e6:.0f} MB" if got["size"] else ""
        print(f"{what}: {got['records']:,.0f} records in {got['seconds']:.1f} s{size}, "
              f"{rate:,.0f} records/s, {got['seconds'] / raw['seconds']:.2f}x the raw read; "
              f"memory {got['rss_before']:.0f} MB -> peak {got['rss_peak']:.0f} MB; "
              f"{load()}")  # fmt: skip


if __name__ == "__main__":
    main()
