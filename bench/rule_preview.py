"""The rule editor's live preview on a registry of N people (target: under 2 s
on 1,000,000).

Builds (or reuses) a SQLite registry of N synthetic residents with
questionnaire answers (portal.demo.data's bulk path and portal.demo.synthetic
``draw_profile``, as bench/outreach.py), then times
``portal.catalog.preview.preview`` for a draft of four conditions against a
published version of three (one query, one scan, both rules judged), median
of several runs, and a draft with no condition on the record's columns (the
worst case: every profile is read), against a baseline in the same run: the plain
``SELECT municipality_id, COUNT(*) FROM citizen GROUP BY municipality_id``
over the same table. Prints both, the ratio and the load average.

    .venv/bin/python bench/rule_preview.py [N] [DATABASE]

N defaults to 200,000. DATABASE is a SQLite file path or a PostgreSQL URL
(default: a temporary SQLite file, deleted at the end); one given is kept and
reused on the next run if it already holds N people, so the slow part
(building) runs once.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.catalog.preview import preview  # noqa: E402
from portal.catalog.schema import Condition  # noqa: E402
from portal.demo import data as demo  # noqa: E402
from portal.demo.synthetic import draw_profile, generate_citizens  # noqa: E402
from portal.models import Citizen  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402

CHUNK = 10_000  # rows per transaction while loading
RUNS = 5
ON = dt.date(2026, 6, 15)

DRAFT = [
    Condition("age", "gte", 65, "Es para personas de 65 años o más."),
    Condition("in_state", "is_true", None, "Es para quienes viven en Querétaro."),
    Condition("income_per_capita", "lte", 3_500, "Ingreso por persona de hasta $3,500."),
    Condition("employment", "in", ("desempleo", "hogar", "jubilado"), "Sin empleo formal."),
]
# The worst case: no condition on the record's columns, so every profile is read.
PROFILE_ONLY = [
    Condition("income_per_capita", "lte", 3_500, "Ingreso por persona de hasta $3,500."),
    Condition("household_size", "gte", 3, "Hogares de tres personas o más."),
]
PUBLISHED = DRAFT[:1] + [
    Condition("in_state", "is_true", None, "Es para quienes viven en Querétaro."),
    Condition("income_per_capita", "lte", 3_000, "Ingreso por persona de hasta $3,000."),
]


def _load(n: int) -> float:
    """The registry with answers; the seconds it took."""
    began = time.perf_counter()
    rng = random.Random(2026)
    people = list(generate_citizens(n, seed=2026))
    demo.bulk_insert_registry(people)
    profile = Citizen.profile
    for start in range(0, len(people), CHUNK):
        part = people[start : start + CHUNK]
        with db.atomic():
            db.cursor().executemany(
                f"UPDATE citizen SET profile = {db.param} WHERE curp = {db.param}",
                [(profile.db_value(draw_profile(p, rng, ON)), p["curp"]) for p in part],
            )
    return time.perf_counter() - began


def _median(work) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _baseline() -> None:
    db.execute_sql(
        "SELECT municipality_id, COUNT(*) FROM citizen GROUP BY municipality_id"
    ).fetchall()


def run(n: int, url: str, folder: Path) -> None:
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": secrets.token_hex(32),
            "QUEUE_IMMEDIATE": False,
        }
    )
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        people = Citizen.select().count()
        if people == 0:
            demo.load_municipalities()
            loaded = _load(n)
            print(f"registro: {n:,} personas con respuestas, construido en {loaded:.0f} s")
        elif people != n:
            raise SystemExit(f"the database holds {people:,} people, not {n:,}: give another")
        else:
            print(f"registro: {n:,} personas con respuestas, reutilizado")
        load_before = os.getloadavg()
        result = preview(DRAFT, PUBLISHED, ON)  # warm the page cache once
        assert result.draft_total.total == n and not result.draft_uncompiled
        shown = _median(lambda: preview(DRAFT, PUBLISHED, ON))
        base = _median(_baseline)
        worst = _median(lambda: preview(PROFILE_ONLY, PUBLISHED, ON))
        print(
            f"vista previa (borrador de {len(DRAFT)} condiciones y versión publicada de "
            f"{len(PUBLISHED)}, {len(result.rows)} municipios): mediana de {RUNS}: {shown:.2f} s"
        )
        print(f"línea base (COUNT(*) GROUP BY municipality_id): mediana de {RUNS}: {base:.2f} s")
        print(f"razón vista previa / línea base: {shown / base:.1f}")
        print(
            f"peor caso (borrador solo con condiciones del cuestionario: se lee cada perfil): "
            f"mediana de {RUNS}: {worst:.2f} s, razón {worst / base:.1f}"
        )
        d, p = result.draft_total, result.published_total
        print(f"borrador: {d.eligible:,} sí, {d.maybe:,} tal vez, {d.not_eligible:,} no")
        if p is not None:
            print(f"publicada: {p.eligible:,} sí, {p.maybe:,} tal vez, {p.not_eligible:,} no")
        print(f"carga (1, 5, 15 min): antes {load_before}, después {os.getloadavg()}")
        db.close()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory(prefix="rule-preview-") as folder:
        if len(sys.argv) <= 2:
            run(n, f"sqlite:///{Path(folder) / 'registro.db'}", Path(folder))
        elif "://" in sys.argv[2]:
            run(n, sys.argv[2], Path(folder))
        else:
            run(n, f"sqlite:///{Path(sys.argv[2]).resolve()}", Path(folder))


if __name__ == "__main__":
    main()
