"""The physical-financial progress report (avance físico-financiero) of a program
and year, quarter by quarter: people served against the goal, money spent
against the budget, the indicators' values; and the state-wide summary of
every program across agencies.

Everything here reads the kept figures (portal/planning/tally.py): at most
four quarters times the state's municipalities of :class:`PlanTally` and four
quarters times MAX_DAYS of :class:`DecisionTally` per program, whatever the
number of enrollments and deliveries behind them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from peewee import fn

from portal.messages import _l
from portal.models import Agency, DecisionTally, Goal, Indicator, PlanTally, Program
from portal.planning import budget as budgets
from portal.planning import goals as mir
from portal.planning.budget import Figures
from portal.web.tables import tuples

QUARTERS = (1, 2, 3, 4)
QUARTER_LABELS = {1: _l("Enero a marzo"), 2: _l("Abril a junio"), 3: _l("Julio a septiembre"),
                  4: _l("Octubre a diciembre")}  # fmt: skip


def quarter_starts(year: int, quarter: int) -> dt.date:
    return dt.date(year, 3 * quarter - 2, 1)


def share(part: int | float, whole: int | float | None) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Quarter:
    """One quarter of the report, every figure from the start of the year to its end."""

    number: int
    started: bool  # the quarter has begun (later ones have no figures yet)
    served: int
    goal: int | None
    spent: int
    budget: int | None
    committed: int  # still due for the periods of the year up to this quarter
    deliveries: int
    on_time: int
    values: list[tuple[Indicator, float | None, bool]]  # (indicator, value, measured now)

    @property
    def physical(self) -> float | None:
        return share(self.served, self.goal)

    @property
    def financial(self) -> float | None:
        return share(self.spent, self.budget)


@dataclass(frozen=True)
class Report:
    program: Program
    year: int
    figures: Figures
    goal: int | None
    goals: dict[str, int]
    quarters: list[Quarter]
    served_by_municipality: dict[str, int]
    indicators: list[Indicator]


def report(program: Program, year: int, today: dt.date | None = None) -> Report:
    today = today or dt.date.today()
    figures = budgets.figures_of(program.id, year)
    goals = mir.goals_of(program, year)
    goal = mir.program_goal(goals)
    indicators = mir.indicators_of(program, year)
    by_quarter: dict[int, Counter[str]] = {q: Counter() for q in QUARTERS}
    query = (
        PlanTally.select(
            PlanTally.quarter,
            fn.SUM(PlanTally.committed),
            fn.SUM(PlanTally.spent),
            fn.SUM(PlanTally.served),
            fn.SUM(PlanTally.deliveries),
            fn.SUM(PlanTally.on_time),
        )
        .where((PlanTally.program == program.id) & (PlanTally.year == year))
        .group_by(PlanTally.quarter)
    )
    for quarter, committed, spent, served, deliveries, on_time in tuples(query):
        by_quarter[quarter].update(
            committed=int(committed or 0), spent=int(spent or 0), served=int(served or 0),
            deliveries=int(deliveries or 0), on_time=int(on_time or 0),
        )  # fmt: skip
    served_by_municipality = {
        municipality: int(n or 0)
        for municipality, n in tuples(
            PlanTally.select(PlanTally.municipality, fn.SUM(PlanTally.served))
            .where((PlanTally.program == program.id) & (PlanTally.year == year))
            .group_by(PlanTally.municipality)
        )
        if n
    }
    decided: dict[int, Counter[int]] = {q: Counter() for q in QUARTERS}
    for quarter, days, n in tuples(
        DecisionTally.select(
            DecisionTally.quarter, DecisionTally.days, DecisionTally.decisions
        ).where((DecisionTally.program == program.id) & (DecisionTally.year == year))
    ):
        decided[quarter][days] += n
    deadlines = {i.days for i in indicators if i.days is not None}
    quarters = []
    running: Counter[str] = Counter()
    decided_running: Counter[int] = Counter()
    committed_total = sum(by_quarter[q]["committed"] for q in QUARTERS)
    for q in QUARTERS:
        running.update(by_quarter[q])
        decided_running.update(decided[q])
        started = quarter_starts(year, q) <= today
        to_date = mir.ToDate(
            served=running["served"],
            spent=running["spent"],
            deliveries=running["deliveries"],
            on_time=running["on_time"],
            decided=sum(decided_running.values()),
            decided_within={
                n: sum(c for days, c in decided_running.items() if days <= n) for n in deadlines
            },
        )
        values = [
            (i, mir.value(i, to_date, goal) if started else None, mir.measured_at(i, q))
            for i in indicators
        ]
        quarters.append(
            Quarter(
                number=q,
                started=started,
                served=to_date.served,
                goal=goal,
                spent=to_date.spent,
                budget=figures.in_force,
                committed=committed_total,
                deliveries=to_date.deliveries,
                on_time=to_date.on_time,
                values=values,
            )
        )
    return Report(program, year, figures, goal, goals, quarters, served_by_municipality,
                  indicators)  # fmt: skip


# Downloads ---------------------------------------------------------------------------


def report_header(found: Report) -> list[str]:
    return [
        "programa",
        "anio",
        "trimestre",
        "personas_atendidas",
        "meta_personas",
        "avance_fisico_pct",
        "ejercido",
        "presupuesto_vigente",
        "avance_financiero_pct",
        "comprometido",
        "entregas",
        "entregas_a_tiempo",
        *(f"indicador: {i.name}" for i in found.indicators),
    ]


def report_rows(found: Report) -> Iterator[list[object]]:
    """One row per quarter begun (figures from the start of the year)."""
    for q in found.quarters:
        if not q.started:
            continue
        yield [
            found.program.name,
            found.year,
            q.number,
            q.served,
            q.goal if q.goal is not None else "",
            q.physical if q.physical is not None else "",
            q.spent,
            q.budget if q.budget is not None else "",
            q.financial if q.financial is not None else "",
            q.committed,
            q.deliveries,
            q.on_time,
            *(v if v is not None and measured else "" for _i, v, measured in q.values),
        ]


# The state-wide view -------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    program: Program
    agency: Agency
    figures: Figures
    served: int
    goal: int | None

    @property
    def physical(self) -> float | None:
        return share(self.served, self.goal)


@dataclass(frozen=True)
class Summary:
    year: int
    lines: list[Line]

    def agencies(self) -> list[tuple[Agency, list[Line]]]:
        grouped: dict[int, tuple[Agency, list[Line]]] = {}
        for line in self.lines:
            grouped.setdefault(line.agency.id, (line.agency, []))[1].append(line)
        return list(grouped.values())

    @staticmethod
    def total(lines: list[Line]) -> dict[str, int]:
        return {
            "budget": sum(line.figures.in_force or 0 for line in lines),
            "committed": sum(line.figures.committed for line in lines),
            "spent": sum(line.figures.spent for line in lines),
            "served": sum(line.served for line in lines),
        }


def summary(year: int, agency_id: int | None = None) -> Summary:
    """Every active program's figures for ``year`` (one agency's, or all): a
    handful of grouped reads, one row per program."""
    query = Program.select(Program, Agency).join(Agency).where(Program.active)
    if agency_id is not None:
        query = query.where(Program.agency == agency_id)
    programs = list(query.order_by(Agency.name, Program.name))
    ids = [p.id for p in programs]
    figures = budgets.figures_for(ids, year)
    served: dict[int, int] = {}
    if ids:
        served = {
            pid: int(n or 0)
            for pid, n in tuples(
                PlanTally.select(PlanTally.program, fn.SUM(PlanTally.served))
                .where(PlanTally.program.in_(ids) & (PlanTally.year == year))
                .group_by(PlanTally.program)
            )
        }
    goals = goals_for(ids, year)
    lines = [
        Line(p, p.agency, figures[p.id], served.get(p.id, 0), goals.get(p.id)) for p in programs
    ]
    return Summary(year, lines)


def goals_for(program_ids: list[int], year: int) -> dict[int, int]:
    found: dict[int, dict[str, int]] = {}
    if program_ids:
        for row in Goal.select(Goal.program, Goal.municipality, Goal.people).where(
            Goal.program.in_(program_ids) & (Goal.year == year)
        ):
            found.setdefault(row.program_id, {})[row.municipality] = row.people
    return {pid: goal for pid, g in found.items() if (goal := mir.program_goal(g)) is not None}


def summary_header() -> list[str]:
    return ["dependencia", "programa", "anio", "presupuesto_aprobado", "presupuesto_modificado",
            "comprometido", "ejercido", "disponible", "avance_financiero_pct",
            "personas_atendidas", "meta_personas", "avance_fisico_pct"]  # fmt: skip


def summary_rows(found: Summary) -> Iterator[list[object]]:
    for line in found.lines:
        f = line.figures
        yield [
            line.agency.name, line.program.name, found.year,
            "" if f.approved is None else f.approved, "" if f.modified is None else f.modified,
            f.committed, f.spent, "" if f.available is None else f.available,
            "" if f.spent_share is None else f.spent_share,
            line.served, "" if line.goal is None else line.goal,
            "" if line.physical is None else line.physical,
        ]  # fmt: skip
