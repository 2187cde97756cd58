"""Benchmark: the progress report and the budget figures for N enrollments with
6 periods each (issue 16: "render in under 500 ms" for 1,000,000).

Makes a SQLite database with one bimonthly program (6 periods this year), N
approved applications with their active enrollments and, for each, the
deliveries of its first D periods (bulk inserts). Then:

* counts the figures from scratch (``tally.recount``), timed: what computing
  them per request would cost, and the repair after the upgrade;
* renders, through the app in this process, the program's progress report,
  the state-wide view, the report's CSV and the budget figures alone,
  alternating each with ``/healthz`` (the baseline, measured in the same run)
  and printing the median of R rounds, the ratio to the baseline and the load
  average;
* times the kept figures' share of one approval and one delivery (the upserts
  the hooks add to those transactions).

``BENCH_FOLDER`` names the folder of an earlier run to reuse its database.

    .venv/bin/python -u bench/planning.py [N=1000000] [D=3] [R=15]
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bulk_rows  # noqa: E402

from portal import create_app  # noqa: E402
from portal.delivery import periods  # noqa: E402
from portal.models import (  # noqa: E402
    Application,
    Call,
    Citizen,
    Delivery,
    Enrollment,
    PlanTally,
    Program,
    StaffUser,
)
from portal.planning import budget as budgets  # noqa: E402
from portal.planning import goals, tally  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402
from tests.conftest import sign_in_as  # noqa: E402
from tests.factories import (  # noqa: E402
    make_agency,
    make_delivery_point,
    make_municipality,
    make_program,
    make_staff,
    valid_curp,
)

SLUG = "tarjeta-plan"
YEAR = dt.date.today().year
AMOUNT = 1_500
LIMIT_MS = 500
CODES = ("22014", "22016", "22006")


def _app(folder: Path):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "docs"),
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        }
    )


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def populate(n: int, delivered: int) -> None:
    for code, name in (("22014", "Querétaro"), ("22016", "San Juan del Río"),
                       ("22006", "Corregidora")):  # fmt: skip
        make_municipality(code, name)
    program = make_program(
        make_agency(name="Secretaría de Bienestar"),
        slug=SLUG,
        name="Tarjeta Plan",
        benefit_amount=AMOUNT,
        benefit_period="bimestral",
        benefit_schedule={"starts": f"{YEAR}-01-01", "ends": f"{YEAR}-12-31"},
    )
    schedule = periods.program_periods(program)
    assert len(schedule) == 6
    call = Call.get(Call.program == program.id)
    operator = make_staff("entrega", program.agency)
    point = make_delivery_point(program)
    start = time.perf_counter()
    started = dt.date(YEAR, 1, 1)
    decided = dt.datetime(YEAR, 1, 1, 12)
    with bulk_rows.bulk_load(Citizen, Application, Enrollment, Delivery):
        people = []
        for i in range(n):
            born = dt.date(1950 + i // 13_824, 1 + i % 12, 1 + i % 28)
            people.append((valid_curp(born, "HM"[i % 2], n=i % 13_824), "Persona",
                           f"Apellido{i % 997}", "Ejemplo", born, "HM"[i % 2], "",
                           CODES[i % 3]))  # fmt: skip
        citizens = bulk_rows.insert(
            Citizen,
            ("curp", "given_names", "first_surname", "second_surname", "birth_date", "sex",
             "email", "municipality_id"),
            people,
        )  # fmt: skip
        del people
        applications = bulk_rows.insert(
            Application,
            ("folio", "citizen_id", "program_id", "call_id", "status", "municipality",
             "submitted_at", "decided_at"),
            ((f"B-{i:09d}", cid, program.id, call.id, "aprobada", CODES[i % 3],
              decided - dt.timedelta(days=i % 40), decided)
             for i, cid in enumerate(citizens)),
        )  # fmt: skip
        bulk_rows.insert(
            Enrollment,
            ("citizen_id", "program_id", "exclusion_key", "application_id", "benefit_amount",
             "started_on"),
            ((cid, program.id, program.exclusion_key, aid, AMOUNT, started)
             for cid, aid in zip(citizens, applications, strict=True)),
        )  # fmt: skip
        for period in schedule[:delivered]:
            day = dt.datetime.combine(period.starts + dt.timedelta(days=9), dt.time(11))
            bulk_rows.insert(
                Delivery,
                ("application_id", "period", "amount", "operator_id", "point_id",
                 "delivered_at", "id_type", "id_last4"),
                ((aid, period.number, AMOUNT, operator.id, point.id,
                  day + dt.timedelta(days=60 * (aid % 7 == 0)), "ine", "0000")
                 for aid in applications),
            )  # fmt: skip
    print(f"database: {n:,} approved applications and enrollments (6 periods each), "
          f"{n * delivered:,} deliveries in {time.perf_counter() - start:.1f} s; {load()}")  # fmt: skip


def timed(fn, rounds: int) -> float:
    """The median of ``rounds`` runs, in milliseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    delivered = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    reuse = os.environ.get("BENCH_FOLDER")
    folder = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix="bench-planning-"))
    app = _app(folder)
    print(f"folder: {folder}")
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        if not Program.select().where(Program.slug == SLUG).exists():
            populate(n, delivered)
        program = Program.get(Program.slug == SLUG)
        enrolled = Enrollment.select().where(Enrollment.program == program.id).count()
        start = time.perf_counter()
        counted = tally.recount(program)
        recount_s = time.perf_counter() - start
        print(f"figures counted from scratch (tally.recount, {enrolled:,} enrollments, "
              f"{Delivery.select().count():,} deliveries): {recount_s:.1f} s, "
              f"{counted['celdas']} cells; {load()}")  # fmt: skip
        admin = StaffUser.get_or_none(StaffUser.email == "plan@bench.example.org") or make_staff(
            "admin_estatal", email="plan@bench.example.org"
        )
        figures = budgets.figures_of(program.id, YEAR)
        budgets.set_budget(program, YEAR, max(figures.committed + figures.spent, 1), None, admin)
        goals.set_goal(program, YEAR, enrolled, admin)
        if not goals.indicators_of(program, YEAR):
            for name, formula, days in (("Cobertura", "cobertura", None),
                                        ("Puntualidad", "puntualidad", None),
                                        ("Costo", "costo_por_beneficiario", None),
                                        ("En plazo", "decididas_en_plazo", 30)):  # fmt: skip
                goals.add_indicator(program, YEAR, admin, name=name, formula=formula,
                                    frequency="trimestral", target=90, days=days)  # fmt: skip
        figures = budgets.figures_of(program.id, YEAR)
        print(f"figures: budget {figures.in_force:,}, committed {figures.committed:,}, "
              f"spent {figures.spent:,} pesos; "
              f"{PlanTally.select().where(PlanTally.program == program.id).count()} rows read")  # fmt: skip
        client = app.test_client()
        sign_in_as(client, admin)

        def get(path: str):
            def run():
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            return run

        pages = [
            ("progress report", get(f"/oficina/planeacion/{SLUG}/{YEAR}")),
            ("state-wide view", get(f"/oficina/planeacion?anio={YEAR}")),
            ("report CSV", get(f"/oficina/planeacion/{SLUG}/{YEAR}/avance.csv")),
            ("budget figures alone", lambda: budgets.figures_of(program.id, YEAR)),
        ]
        baseline = get("/healthz")
        for _ in range(3):  # warm: templates compiled, connections open
            for _label, run in pages:
                run()
            baseline()
        print(f"{'what':<24} {'median ms':>10} {'baseline ms':>12} {'ratio':>7}  verdict")
        for label, run in pages:
            # A B A B: the page and the baseline in turns, so both meet the same load.
            page_times, base_times = [], []
            for _ in range(rounds):
                page_times.append(timed(run, 1))
                base_times.append(timed(baseline, 1))
            page_ms, base_ms = statistics.median(page_times), statistics.median(base_times)
            verdict = "under" if page_ms < LIMIT_MS else "OVER"
            print(f"{label:<24} {page_ms:>10.1f} {base_ms:>12.1f} {page_ms / base_ms:>7.1f}  "
                  f"{verdict} {LIMIT_MS} ms; {load()}")  # fmt: skip
        report_ms = timed(pages[0][1], rounds)
        print(f"recount from scratch / progress report: {recount_s * 1000 / report_ms:,.0f}x")
        write_costs(program, admin, rounds)
        db.close()


def write_costs(program: Program, admin: StaffUser, rounds: int) -> None:
    """What the hooks add to an approval and a delivery: their upserts alone."""
    municipality = CODES[0]

    def approval_share():
        with database.write():
            tally._commit(program, dt.date(YEAR, 1, 1), AMOUNT, municipality, sign=+1)
            tally._commit(program, dt.date(YEAR, 1, 1), AMOUNT, municipality, sign=-1)

    def delivery_share():
        with database.write():
            tally.add(program.id, YEAR, 1, municipality, committed=-AMOUNT, spent=AMOUNT,
                      deliveries=1, on_time=1)  # fmt: skip
            tally.add(program.id, YEAR, 1, municipality, committed=AMOUNT, spent=-AMOUNT,
                      deliveries=-1, on_time=-1)  # fmt: skip

    print(f"kept figures' share of an approval (an upsert per quarter, and back): "
          f"{timed(approval_share, rounds):.2f} ms; of a delivery (1 upsert, and back): "
          f"{timed(delivery_share, rounds):.2f} ms; {load()}")  # fmt: skip


if __name__ == "__main__":
    main()
