"""Benchmark: the electoral-blackout check on every page (portal/rights/blackout.py).

The check runs once per page (for a signed-in person, also for their
municipality): one look-up on the index of periods not yet over. This script
times it on a fresh SQLite database with no periods, then after adding
``--past`` periods that are already over or withdrawn (years of elections), and
with a period in force; next to a baseline measured in the same run, a look-up
of one municipality by its primary key. Printed: microseconds per check, the
ratio to the baseline, the query plan and the load average (absolute figures
move with the machine).

    .venv/bin/python bench/blackout_check.py [--past 20000] [--repeat 3000]
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

from portal import create_app  # noqa: E402
from portal.models import BlackoutPeriod, Municipality  # noqa: E402
from portal.rights import blackout  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402


def per_call(fn, repeat: int) -> float:
    """Microseconds per call, the best of three runs of ``repeat`` calls."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--past", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-veda-"))
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        }
    )
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        Municipality.insert_many(
            [
                {"code": f"22{n:03d}", "name": f"Municipio {n}", "state_code": "22"}
                for n in range(1, 19)
            ]
        ).execute()
        today = dt.date(2027, 5, 20)

        def check():
            return blackout.in_force(today, "22014")

        def baseline():
            return Municipality.get_by_id("22014")

        rows = []
        rows.append(("no periods", per_call(check, args.repeat), per_call(baseline, args.repeat)))
        past = []
        for n in range(args.past):
            starts = dt.date(1990, 1, 1) + dt.timedelta(days=n % 12_000)
            past.append(
                {
                    "election": f"Proceso {n}",
                    "municipality": None if n % 3 == 0 else f"22{(n % 18) + 1:03d}",
                    "starts": starts,
                    "ends": starts + dt.timedelta(days=40),
                    "created_at": dt.datetime(2020, 1, 1),
                    "withdrawn_at": dt.datetime(2020, 1, 2) if starts.year > 2022 else None,
                }
            )
        with db.atomic():
            for start in range(0, len(past), 500):
                BlackoutPeriod.insert_many(past[start : start + 500]).execute()
        rows.append(
            (
                f"{args.past:,} past periods",
                per_call(check, args.repeat),
                per_call(baseline, args.repeat),
            )
        )
        BlackoutPeriod.create(
            election="Proceso electoral local 2026-2027",
            starts=dt.date(2027, 3, 30),
            ends=dt.date(2027, 6, 6),
            created_at=dt.datetime(2027, 1, 1),
        )
        assert check() is not None
        rows.append(
            ("… and one in force", per_call(check, args.repeat), per_call(baseline, args.repeat))
        )
        # The query in_force() runs (its rows are then filtered in Python).
        query = (
            BlackoutPeriod.select(BlackoutPeriod.id)
            .where(BlackoutPeriod.ends >= today)
            .order_by(BlackoutPeriod.ends.desc())
        )
        sql, params = query.sql()
        plan = db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        db.close()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'set-up':<28} {'check µs':>9} {'baseline µs':>12} {'ratio':>6}")
    for name, check_us, base_us in rows:
        print(f"{name:<28} {check_us:>9.1f} {base_us:>12.1f} {check_us / base_us:>6.2f}")
    print("query plan:", "; ".join(str(row[-1]) for row in plan))


if __name__ == "__main__":
    main()
