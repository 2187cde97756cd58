"""Benchmark: evaluate one complete profile against a national-size catalog.

CONEVAL's inventory holds about 6,700 social programs and actions, so the
generated catalog has 6,700 programs spread over the 32 states, each limited
to its state and carrying the kinds of rules real operating rules use. The
figure that matters is the time per profile (target: at most 5 ms), measured
in-process after compiling the catalog once. As a baseline, the same run
times a naive interpreter that re-derives the profile and dispatches on the
operator name for every condition of every program.

    .venv/bin/python bench/eligibility.py

It also times what ``flask eligibility check`` does per profile (evaluate and
write one JSON line for the 6,700 programs) against a plain loop over the
rules that writes the same JSON, and prints the ratio measured in the same run.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.catalog.schema import Call, Condition, Program, catalog_from_dict, program_from_dict
from portal.eligibility.engine import (
    ALREADY_RECEIVES,
    CANNOT_COMBINE,
    Result,
    Status,
    compile_catalog,
    evaluate,
)
from portal.eligibility.profile import ANSWERED_FIELDS, derive, sources_of

PROGRAMS = 6_700
STATES = tuple(f"{n:02d}" for n in range(1, 33))
ON = date(2026, 6, 15)
SEED = 20260615

EMPLOYMENTS = ("empleo_formal", "empleo_informal", "desempleo", "estudiante", "hogar", "jubilado")

# Rules as they appear in operating rules, each with its Spanish reason.
RULES: tuple[tuple[str, str, Any, str], ...] = (
    ("age", "between", [18, 64], "Es para personas de 18 a 64 años."),
    ("age", "gte", 65, "Es para personas de 65 años o más."),
    ("age", "gte", 60, "Es para personas de 60 años o más."),
    ("age", "lte", 29, "Es para personas de 29 años o menos."),
    ("age", "between", [12, 29], "Es para jóvenes de 12 a 29 años."),
    ("age", "gte", 18, "Es para personas mayores de edad."),
    ("sex", "eq", "M", "Es para mujeres."),
    ("sex", "in", ["M", "X"], "Es para mujeres y personas no binarias."),
    ("income_per_capita", "lt", 1500, "Es para hogares con ingreso menor a $1,500 por persona."),
    ("income_per_capita", "lt", 2500, "Es para hogares con ingreso menor a $2,500 por persona."),
    ("income_per_capita", "lt", 3000, "Es para hogares con ingreso menor a $3,000 por persona."),
    ("income_per_capita", "lte", 5000, "Es para hogares con ingreso de hasta $5,000 por persona."),
    ("household_size", "gte", 4, "Es para hogares de 4 personas o más."),
    ("household_income_monthly", "lt", 12000, "Es para hogares con ingreso menor a $12,000."),
    ("children_ages", "any_lt", 4, "Es para familias con una niña o niño menor de 4 años."),
    ("children_ages", "any_lt", 6, "Es para familias con una niña o niño menor de 6 años."),
    ("children_ages", "any_gte", 6, "Es para familias con hijas o hijos en edad escolar."),
    ("employment", "in", ["empleo_informal", "desempleo"], "Es para personas sin empleo formal."),
    ("employment", "eq", "desempleo", "Es para personas sin empleo."),
    ("employment", "in", ["empleo_formal", "empleo_informal", "estudiante"],
     "Es para personas que trabajan o estudian."),
    ("employment", "not_in", ["jubilado"], "No es para personas jubiladas."),
    ("student_level", "eq", "licenciatura", "Es para estudiantes de licenciatura."),
    ("student_level", "in", ["secundaria", "preparatoria"],
     "Es para estudiantes de secundaria o preparatoria."),
    ("student_level", "ne", "ninguno", "Es para personas que estudian."),
    ("disability", "is_true", None, "Es para personas con discapacidad."),
    ("indigenous", "is_true", None, "Es para personas de pueblos indígenas."),
    ("pregnant", "is_true", None, "Es para personas embarazadas."),
    ("birth_date", "lt", "1961-01-01", "Es para personas nacidas antes de 1961."),
)  # fmt: skip

PROFILE: Mapping[str, Any] = {
    "birth_date": date(1992, 3, 14),
    "sex": "M",
    "municipality": "22014",
    "household_size": 4,
    "household_income_monthly": 9000,
    "children_ages": (2, 6),
    "student_level": "ninguno",
    "employment": "empleo_informal",
    "disability": False,
    "indigenous": False,
    "pregnant": False,
    "enrolled": ("p22-0003", "p22-0010"),
}


def generate_programs(count: int = PROGRAMS, seed: int = SEED) -> list[Program]:
    """A deterministic national catalog, built through the real validator."""
    rng = random.Random(seed)
    programs = []
    for n in range(count):
        state = STATES[n % len(STATES)]
        number = n // len(STATES)
        conditions = [
            {"field": "state", "op": "eq", "value": state,
             "reason": f"Es para personas que viven en el estado {state}."},
        ]  # fmt: skip
        for field, op, value, reason in rng.sample(RULES, rng.randint(1, 4)):
            conditions.append({"field": field, "op": op, "reason": reason} | _value(op, value))
        if rng.random() < 0.15:  # some programs serve only a few municipalities
            towns = sorted(rng.sample(range(1, 60), rng.randint(1, 5)))
            conditions.append(
                {
                    "field": "municipality",
                    "op": "in",
                    "value": [f"{state}{t:03d}" for t in towns],
                    "reason": "Es para algunos municipios del estado.",
                }
            )
        data = {
            "slug": f"p{state}-{number:04d}",
            "name": f"Programa {number} del estado {state}",
            "agency": f"agencia-{state}",
            "summary": "Apoyo generado para la prueba de rendimiento.",
            "population": "Personas del estado que cumplen las reglas.",
            "benefit": {"kind": "cash", "amount": rng.choice([500, 1000, 1500, 3000]),
                        "period": rng.choice(["mensual", "bimestral", "unico"])},
            "requirements": [{"slug": "identificacion", "name": "Identificación oficial",
                              "formats": ["pdf", "jpg", "png"]}],
            "calls": [{"opens": "2026-01-01", "closes": "2026-12-31",
                       "quota": rng.choice([500, 1000, 5000])}],
            "eligibility": conditions,
        }  # fmt: skip
        if number % 10 < 3:  # a third of the programs share an exclusion group per state
            data["exclusion_group"] = f"grupo-{state}-{number % 10}"
        programs.append(program_from_dict(data, agencies={f"agencia-{state}"}))
    return programs


def random_profiles(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """Complete profiles of people all over the country, for a steady-state figure."""
    rng = random.Random(seed)
    profiles = []
    for _ in range(count):
        state = rng.choice(STATES)
        profiles.append(
            {
                "birth_date": date(rng.randint(1935, 2008), rng.randint(1, 12), rng.randint(1, 28)),
                "sex": rng.choice("HMX"),
                "municipality": f"{state}{rng.randint(1, 60):03d}",
                "household_size": rng.randint(1, 8),
                "household_income_monthly": rng.randrange(0, 40_000, 500),
                "children_ages": tuple(
                    sorted(rng.randint(0, 17) for _ in range(rng.randint(0, 3)))
                ),
                "student_level": rng.choice(
                    ("ninguno", "secundaria", "preparatoria", "licenciatura", "posgrado")
                ),
                "employment": rng.choice(EMPLOYMENTS),
                "disability": rng.random() < 0.06,
                "indigenous": rng.random() < 0.1,
                "pregnant": rng.random() < 0.03,
                "enrolled": tuple(
                    f"p{state}-{rng.randrange(PROGRAMS // len(STATES)):04d}"
                    for _ in range(rng.randint(0, 2))
                ),
            }
        )
    return profiles


def _value(op: str, value: Any) -> dict[str, Any]:
    return {} if op in ("is_true", "is_false") else {"value": value}


def naive_evaluate(
    profile: Mapping[str, Any],
    programs: Sequence[Program],
    on: date,
    *,
    state_code: str = "22",
    quota_used: Mapping[str, int] | None = None,
) -> list[Result]:
    """The obvious interpreter: same answers as portal.eligibility.engine.evaluate, no compilation."""
    used = quota_used or {}
    enrolled = profile.get("enrolled") or ()
    by_slug = {p.slug: p for p in programs}
    results = []
    for program in programs:
        reasons = []
        if program.slug in enrolled:
            reasons.append(ALREADY_RECEIVES)
        for slug in enrolled:
            other = by_slug.get(slug)
            if (
                other is not None
                and other.slug != program.slug
                and program.exclusion_group
                and other.exclusion_group == program.exclusion_group
            ):
                reasons.append(CANNOT_COMBINE.format(name=other.name))
        missing: set[str] = set()
        for condition in program.eligibility:
            values = derive(profile, on, state_code)
            value = values.get(condition.field)
            if condition.field not in values or value is None:
                sources = sources_of(condition.field)
                unknown = {s for s in sources if s in profile and profile[s] is None}
                missing |= unknown or {s for s in sources if s not in profile}
            elif not _holds(condition, value):
                reasons.append(condition.reason)
        reasons = list(dict.fromkeys(reasons))
        if reasons:
            status, missing = Status.NOT_ELIGIBLE, set()
        elif missing:
            status = Status.MAYBE
        else:
            status = Status.ELIGIBLE
        call, call_open = _current_call(program.calls, on)
        quota_full = bool(
            call_open and call.quota is not None and used.get(program.slug, 0) >= call.quota
        )
        results.append(
            Result(
                program.slug,
                status,
                tuple(reasons),
                tuple(f for f in ANSWERED_FIELDS if f in missing),
                call_open,
                call,
                quota_full,
            )
        )
    return results


def plain_check_line(profile: Mapping[str, Any], programs: Sequence[Program], on: date) -> str:
    """The JSON line of ``flask eligibility check`` by a plain loop over the rules.

    What one would write without the engine: derive the profile once, then for
    each program test each condition and build its dictionary, and encode the list.
    """
    values = derive(profile, on, "22")
    enrolled = profile.get("enrolled") or ()
    by_slug = {p.slug: p for p in programs}
    out = []
    for program in programs:
        reasons = [ALREADY_RECEIVES] if program.slug in enrolled else []
        for slug in enrolled:
            other = by_slug.get(slug)
            if (
                other is not None
                and other.slug != program.slug
                and program.exclusion_group
                and other.exclusion_group == program.exclusion_group
            ):
                reasons.append(CANNOT_COMBINE.format(name=other.name))
        missing: set[str] = set()
        for condition in program.eligibility:
            value = values.get(condition.field)
            if value is None:
                sources = sources_of(condition.field)
                unknown = {s for s in sources if s in profile and profile[s] is None}
                missing |= unknown or {s for s in sources if s not in profile}
            elif not _holds(condition, value):
                reasons.append(condition.reason)
        reasons = list(dict.fromkeys(reasons))
        if reasons:
            status, missing = Status.NOT_ELIGIBLE, set()
        else:
            status = Status.MAYBE if missing else Status.ELIGIBLE
        _call, call_open = _current_call(program.calls, on)
        out.append(
            {
                "program": program.slug,
                "status": str(status),
                "reasons": reasons,
                "missing": [f for f in ANSWERED_FIELDS if f in missing],
                "call_open": call_open,
            }
        )
    return json.dumps(out, ensure_ascii=False)


def dicts_check_line(profile: Mapping[str, Any], compiled: Any, on: date) -> str:
    """How ``flask eligibility check`` wrote a line before: a dictionary per result."""
    return json.dumps([r.to_dict() for r in compiled.evaluate(profile, on)], ensure_ascii=False)


def check_command(programs: Sequence[Program], stream: list[dict[str, Any]]) -> None:
    """Per profile: the command's line (engine.evaluate_json), the dictionaries it
    built before, and the plain loop, over the same profiles in the same run."""
    compiled = compile_catalog(programs)
    warm_up, measured = stream[:500], stream[500:]
    for profile in warm_up:  # a command run over many people reaches this steady state
        compiled.evaluate_json(profile, ON)
    for profile in [PROFILE, *measured[:20]]:
        line = compiled.evaluate_json(profile, ON)
        assert line == plain_check_line(profile, programs, ON), "plain loop disagrees"
        assert line == dicts_check_line(profile, compiled, ON), "dictionaries disagree"
    figures = {}
    for label, run in (
        ("plain loop over the rules, json.dumps", lambda p: plain_check_line(p, programs, ON)),
        ("engine + a dictionary per result", lambda p: dicts_check_line(p, compiled, ON)),
        ("engine.evaluate_json (the command)", lambda p: compiled.evaluate_json(p, ON)),
    ):
        sample = measured[:300]
        figures[label] = [_timings_ms(lambda p=p, run=run: run(p), 1)[0] for p in sample]
        _report(f"check line: {label}", figures[label])
    plain = statistics.median(figures["plain loop over the rules, json.dumps"])
    for label, times in figures.items():
        print(f"  {label}: {plain / statistics.median(times):.2f}x the plain loop's speed")
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


def catalog_validation(programs: Sequence[Program]) -> None:
    """``catalog load`` of the 6,700 programs: the validator, and its duplicate-slug
    check against the pairwise check it replaced, timed in the same run."""
    agencies = sorted({p.agency for p in programs})
    data = {
        "agencies": [{"slug": a, "name": f"Agencia {a}"} for a in agencies],
        "programs": [p.to_dict() for p in programs],
    }
    start = time.perf_counter()
    catalog = catalog_from_dict(data)
    validate_s = time.perf_counter() - start
    slugs = [p.slug for p in catalog.programs]

    start = time.perf_counter()
    seen: list[str] = []
    for slug in slugs:  # what catalog_from_dict did before issue 21
        assert not any(other == slug for other in seen)
        seen.append(slug)
    pairwise_s = time.perf_counter() - start
    start = time.perf_counter()
    seen_set: set[str] = set()
    for slug in slugs:  # what it does now
        assert slug not in seen_set
        seen_set.add(slug)
    set_s = time.perf_counter() - start
    comparisons = len(slugs) * (len(slugs) - 1) // 2
    print(f"catalog_from_dict of {len(catalog.programs):,} programs: {validate_s:.2f} s")
    print(f"  pairwise slug check (before): {pairwise_s:.2f} s, {comparisons:,} comparisons")
    print(f"  set slug check (now): {set_s * 1000:.2f} ms, {pairwise_s / set_s:,.0f}x faster")
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _holds(condition: Condition, value: Any) -> bool:
    op, limit = condition.op, condition.value
    if op == "eq":
        return value == limit
    if op == "ne":
        return value != limit
    if op == "in":
        return value in limit
    if op == "not_in":
        return value not in limit
    if op == "lt":
        return value < limit
    if op == "lte":
        return value <= limit
    if op == "gt":
        return value > limit
    if op == "gte":
        return value >= limit
    if op == "between":
        return limit[0] <= value <= limit[1]
    if op == "any_lt":
        return any(age < limit for age in value)
    if op == "any_gte":
        return any(age >= limit for age in value)
    if op == "is_true":
        return value is True
    if op == "is_false":
        return value is False
    raise ValueError(op)


def _current_call(calls: Sequence[Call], on: date) -> tuple[Call | None, bool]:
    upcoming = [c for c in calls if c.closes >= on]
    if not upcoming:
        return None, False
    first = min(upcoming, key=lambda c: c.opens)
    return first, first.opens <= on


def _timings_ms(run: Any, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        run()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def main() -> None:
    programs = generate_programs()
    conditions = sum(len(p.eligibility) for p in programs)
    stream = random_profiles(1_500)

    start = time.perf_counter_ns()
    compiled = compile_catalog(programs)
    compile_ms = (time.perf_counter_ns() - start) / 1e6
    # The first profile finds no remembered verdicts: every program is judged in Python.
    cold_ms = _timings_ms(lambda: evaluate(PROFILE, compiled, ON), repeat=1)[0]
    repeated = _timings_ms(lambda: evaluate(PROFILE, compiled, ON), repeat=300)
    # Different people: each evaluation still meets combinations not seen before.
    warm_up, measured = stream[:500], stream[500:]
    for profile in warm_up:
        evaluate(profile, compiled, ON)
    different = [_timings_ms(lambda p=p: evaluate(p, compiled, ON), 1)[0] for p in measured]
    naive = _timings_ms(lambda: naive_evaluate(PROFILE, programs, ON), repeat=10)

    for profile in [PROFILE, *stream[:5]]:
        assert evaluate(profile, compiled, ON) == naive_evaluate(profile, programs, ON), (
            "engine and baseline disagree"
        )
    results = evaluate(PROFILE, compiled, ON)
    counts = {s: sum(r.status == s for r in results) for s in Status}

    print(f"Python {platform.python_version()} on {platform.machine()}, {_cpus()} CPUs")
    print(f"programs: {len(programs):,} over {len(STATES)} states")
    print(f"conditions: {conditions:,} ({compiled.distinct_tests:,} distinct tests)")
    print(f"compile: {compile_ms:.1f} ms (once per catalog)")
    print("results for the profile: " + ", ".join(f"{counts[s]:,} {s}" for s in Status))
    print(f"first profile after compiling (nothing remembered): {cold_ms:.1f} ms")
    _report("one profile, repeated", repeated)
    _report("different profiles, one each", different)
    _report("naive baseline, one profile", naive)
    ratio = statistics.median(naive) / statistics.median(different)
    print(f"speed-up over naive: {ratio:.0f}x (median of different profiles)")
    worst = max(statistics.median(repeated), statistics.median(different))
    print(f"target <= 5 ms per profile (median): {'met' if worst <= 5 else 'NOT MET'}")
    print()
    print("flask eligibility check, per profile (a JSON line for every program):")
    check_command(programs, stream)
    print()
    print("catalog load, validation:")
    catalog_validation(programs)


def _report(label: str, times: list[float]) -> None:
    print(
        f"{label}: mean {statistics.fmean(times):.2f} ms, median {statistics.median(times):.2f} ms, "
        f"p95 {_p95(times):.2f} ms ({len(times)} runs)"
    )


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    main()
