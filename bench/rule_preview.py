"""The rule editor's live preview on a registry of N people (target: under 2 s
on 1,000,000).

Builds (or reuses) a registry of N synthetic residents with questionnaire
answers through the project's bulk loader (``portal.demo.data.bulk_insert_registry``
with portal.demo.synthetic ``draw_profile``), which keeps each chunk's rule
facts (portal/citizens/facts.py) in its transaction; a registry built before
migration 0041 gets them from the migration's backfill, timed here. Then times
``portal.catalog.preview.preview`` for a draft of four conditions against a
published version of three (one query, one scan, both rules judged), and for
a draft with no condition on the record's columns (before the facts table,
the worst case: every profile was parsed), median of several runs after a
warm-up, against a baseline in the same run: the plain
``SELECT municipality_id, COUNT(*) FROM citizen GROUP BY municipality_id``.
Prints the figures, the ratios and the load average.

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
from portal.models import Citizen, CitizenFacts  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402

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
# The heaviest: a condition on every field the rules read, each held by almost
# everyone (or unknown), so no row is decided before the last condition; the
# published version is the same but one condition (not equal, so both are
# judged in full).
EVERY_FIELD = [
    Condition("age", "gte", 0, "Cualquier edad."),
    Condition("birth_date", "gte", dt.date(1900, 1, 1), "Nacidas desde 1900."),
    Condition("sex", "in", ("H", "M", "X"), "Cualquier sexo."),
    Condition("municipality", "ne", "22999", "Cualquier municipio."),
    Condition("state", "eq", "22", "En Querétaro."),
    Condition("in_state", "is_true", None, "Viven en el estado."),
    Condition("household_size", "gte", 1, "Cualquier hogar."),
    Condition("household_income_monthly", "gte", 0, "Cualquier ingreso."),
    Condition("income_per_capita", "lte", 10_000_000, "Cualquier ingreso por persona."),
    Condition("student_level", "ne", "posgrado", "Sin posgrado en curso."),
    Condition("employment", "not_in", ("otro",), "Cualquier ocupación."),
    Condition("disability", "is_false", None, "Sin discapacidad."),
    Condition("indigenous", "is_false", None, "No indígena."),
    Condition("pregnant", "is_false", None, "Sin embarazo."),
    Condition("children_ages", "any_gte", 0, "Con hijas o hijos."),
]
PUBLISHED = DRAFT[:1] + [
    Condition("in_state", "is_true", None, "Es para quienes viven en Querétaro."),
    Condition("income_per_capita", "lte", 3_000, "Ingreso por persona de hasta $3,000."),
]


def _load(n: int) -> float:
    """The registry with answers (and their facts); the seconds it took."""
    began = time.perf_counter()
    rng = random.Random(2026)
    demo.bulk_insert_registry(
        generate_citizens(n, seed=2026), lambda person: draw_profile(person, rng, ON)
    )
    return time.perf_counter() - began


# CPU seconds of this process in each _median run: on SQLite the query runs
# here, so this is its cost without the waits of a shared, loaded machine.
CPU: dict[str, float] = {}


def _median(work, name: str = "") -> float:
    times, cpu = [], []
    for _ in range(RUNS):
        began, began_cpu = time.perf_counter(), time.process_time()
        work()
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    CPU[name] = statistics.median(cpu)
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
        began = time.perf_counter()
        applied = database.upgrade()
        if applied:
            print(f"migraciones aplicadas en {time.perf_counter() - began:.0f} s: {applied}")
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
        assert CitizenFacts.select().count() == n, "every citizen has its facts"
        load_before = os.getloadavg()
        result = preview(DRAFT, PUBLISHED, ON)  # warm the page cache once
        assert result.draft_total.total == n and not result.draft_uncompiled
        preview(PROFILE_ONLY, PUBLISHED, ON)
        preview(EVERY_FIELD, EVERY_FIELD[1:], ON)
        shown = _median(lambda: preview(DRAFT, PUBLISHED, ON), "vista previa")
        base = _median(_baseline, "línea base")
        worst = _median(lambda: preview(PROFILE_ONLY, PUBLISHED, ON), "solo cuestionario")
        heaviest = _median(lambda: preview(EVERY_FIELD, EVERY_FIELD[1:], ON), "peor caso")
        print(
            f"vista previa (borrador de {len(DRAFT)} condiciones y versión publicada de "
            f"{len(PUBLISHED)}, {len(result.rows)} municipios): mediana de {RUNS}: {shown:.2f} s"
        )
        print(f"línea base (COUNT(*) GROUP BY municipality_id): mediana de {RUNS}: {base:.2f} s")
        print(f"razón vista previa / línea base: {shown / base:.1f}")
        print(
            f"borrador solo con condiciones del cuestionario (antes el peor caso): "
            f"mediana de {RUNS}: {worst:.2f} s, razón {worst / base:.1f}"
        )
        print(
            f"peor caso ({len(EVERY_FIELD)} condiciones, una en cada campo, que casi todos "
            f"cumplen, contra {len(EVERY_FIELD) - 1} publicadas): mediana de {RUNS}: "
            f"{heaviest:.2f} s, "
            f"razón {heaviest / base:.1f}"
        )
        if database.is_sqlite():
            print(
                "CPU de este proceso, mediana (s): "
                + ", ".join(f"{name} {seconds:.2f}" for name, seconds in CPU.items())
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
