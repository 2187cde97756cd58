"""Goals and indicators of a program's results matrix (Matriz de Indicadores para
Resultados, MIR), and their values quarter by quarter.

A goal is the number of people a program means to reach in a year, for the
whole program or for one municipality. An indicator picks one formula of
:data:`FORMULAS`, the only ones the data can compute, each measured from the
start of the year to the end of a quarter:

* ``cobertura``: people served / the program's goal, in percent;
* ``puntualidad``: deliveries made by the last day of their period / deliveries, in percent;
* ``costo_por_beneficiario``: pesos spent / people served;
* ``decididas_en_plazo``: applications decided within N days of their
  submission / applications decided, in percent.

Its frequency says at which quarters it is measured: every quarter
(trimestral), the second and fourth (semestral), the fourth (anual).
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import IntegrityError

from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.messages import Message, _l
from portal.models import Goal, Indicator, Municipality, Program, StaffUser, utcnow
from portal.models.planning import FORMULAS as FORMULA_CODES
from portal.models.planning import FREQUENCIES as FREQUENCY_CODES
from portal.planning.budget import PlanningError, check_year
from portal.vocabulary import AuditAction
from portal.web.database import write

FORMULAS: dict[str, Message] = {
    "cobertura": _l("Cobertura: personas atendidas entre la meta"),
    "puntualidad": _l("Puntualidad: entregas a tiempo entre entregas"),
    "costo_por_beneficiario": _l("Costo por persona beneficiaria: gasto entre personas atendidas"),
    "decididas_en_plazo": _l("Solicitudes resueltas en N días o menos entre solicitudes resueltas"),
}
FREQUENCIES: dict[str, Message] = {
    "trimestral": _l("Trimestral"),
    "semestral": _l("Semestral"),
    "anual": _l("Anual"),
}
# The quarters at which each frequency measures.
MEASURED_AT = {"trimestral": (1, 2, 3, 4), "semestral": (2, 4), "anual": (4,)}
UNITS = {
    "cobertura": "%",
    "puntualidad": "%",
    "costo_por_beneficiario": "$",
    "decididas_en_plazo": "%",
}
MAX_PEOPLE = 50_000_000
MAX_NAME = 200
MAX_DAYS = 365
MAX_VALUE = 10**9
NAME_TAKEN = _l("Ya hay un indicador con ese nombre este año.")

assert set(FORMULAS) == set(FORMULA_CODES) and set(FREQUENCIES) == set(FREQUENCY_CODES)


def set_goal(
    program: Program,
    year: int,
    people: int | None,
    staff: StaffUser,
    *,
    municipality: str = "",
    request_id: str = "",
) -> Goal:
    """Set how many people ``program`` means to reach in ``year`` (in one
    municipality, or the whole program with ``municipality`` empty)."""
    check_year(year)
    if people is None or people <= 0:
        raise PlanningError(_l("La meta debe ser de al menos una persona."), "personas")
    if people > MAX_PEOPLE:
        raise PlanningError(_l("La meta es más grande que la población del estado."), "personas")
    if municipality and not Municipality.select().where(Municipality.code == municipality).exists():
        raise PlanningError(_l("Elija un municipio de la lista."), "municipio")
    with write():
        before = Goal.get_or_none(
            (Goal.program == program.id) & (Goal.year == year) & (Goal.municipality == municipality)
        )
        if before is not None and before.people == people:
            return before  # the same goal again: nothing changes, nothing to audit
        Goal.insert(
            program=program.id,
            year=year,
            municipality=municipality,
            people=people,
            updated_by=staff.id,
            updated_at=utcnow(),
        ).on_conflict(
            conflict_target=[Goal.program, Goal.year, Goal.municipality],
            preserve=[Goal.people, Goal.updated_by, Goal.updated_at],
        ).execute()
        audit.record(
            AuditAction.GOAL_SET,
            Actor.staff(staff),
            object_type="meta",
            object_id=f"{program.slug}/{year}",
            details={"personas": people, "municipio": municipality},
            request_id=request_id,
        )
    return Goal.get(
        (Goal.program == program.id) & (Goal.year == year) & (Goal.municipality == municipality)
    )


def goals_of(program: Program, year: int) -> dict[str, int]:
    """The year's goals by municipality ("" for the whole program)."""
    rows = Goal.select(Goal.municipality, Goal.people).where(
        (Goal.program == program.id) & (Goal.year == year)
    )
    return {row.municipality: row.people for row in rows}


def program_goal(goals: dict[str, int]) -> int | None:
    """The goal of the whole program: its own, else the sum of its municipalities'."""
    if "" in goals:
        return goals[""]
    return sum(goals.values()) or None


def add_indicator(
    program: Program,
    year: int,
    staff: StaffUser,
    *,
    name: str,
    formula: str,
    frequency: str,
    target: float | None,
    baseline: float | None = None,
    days: int | None = None,
    request_id: str = "",
) -> Indicator:
    """Add an indicator to the program's matrix for ``year``; refused with the
    field at fault (and nothing written) for a formula outside the supported
    set, a missing N of days, a negative or missing target, a repeated name."""
    check_year(year)
    name = (name or "").strip()
    if not name:
        raise PlanningError(_l("Escriba el nombre del indicador."), "nombre")
    if len(name) > MAX_NAME:
        raise PlanningError(_l("El nombre admite a lo más %(n)s caracteres.", n=MAX_NAME), "nombre")
    if formula not in FORMULAS:
        raise PlanningError(_l("Elija una de las fórmulas que el portal sabe calcular."), "formula")
    if frequency not in FREQUENCIES:
        raise PlanningError(_l("Elija la frecuencia de medición."), "frecuencia")
    if formula == "decididas_en_plazo":
        if days is None or not 1 <= days <= MAX_DAYS:
            raise PlanningError(_l("Escriba el plazo en días, de 1 a %(n)s.", n=MAX_DAYS), "dias")
    else:
        days = None
    if target is None:
        raise PlanningError(_l("Escriba la meta del indicador."), "objetivo")
    for value, field in ((target, "objetivo"), (baseline, "linea_base")):
        if value is not None and not 0 <= value <= MAX_VALUE:
            raise PlanningError(_l("Escriba un número entre 0 y mil millones."), field)
    try:
        return _create_indicator(program, year, staff, name, formula, frequency, target,
                                 baseline, days, request_id)  # fmt: skip
    except IntegrityError:  # the same name added at the same moment: the unique index
        raise PlanningError(NAME_TAKEN, "nombre") from None


def _create_indicator(
    program: Program,
    year: int,
    staff: StaffUser,
    name: str,
    formula: str,
    frequency: str,
    target: float,
    baseline: float | None,
    days: int | None,
    request_id: str,
) -> Indicator:
    with write():
        if (
            Indicator.select()
            .where(
                (Indicator.program == program.id)
                & (Indicator.year == year)
                & (Indicator.name == name)
            )
            .exists()
        ):
            raise PlanningError(NAME_TAKEN, "nombre")
        indicator = Indicator.create(
            program=program.id,
            year=year,
            name=name,
            formula=formula,
            frequency=frequency,
            days=days,
            baseline=baseline,
            target=target,
            created_by=staff.id,
        )
        audit.record(
            AuditAction.INDICATOR_ADD,
            Actor.staff(staff),
            object_type="indicador",
            object_id=f"{program.slug}/{year}",
            details={"formula": formula, "frecuencia": frequency, "indicador": indicator.id},
            request_id=request_id,
        )
    return indicator


def indicators_of(program: Program, year: int) -> list[Indicator]:
    return list(
        Indicator.select()
        .where((Indicator.program == program.id) & (Indicator.year == year))
        .order_by(Indicator.id)
    )


@dataclass(frozen=True)
class ToDate:
    """What the figures say from the start of the year to the end of a quarter."""

    served: int
    spent: int
    deliveries: int
    on_time: int
    decided: int
    decided_within: dict[int, int]  # N days -> decisions made within N days


def value(indicator: Indicator, to_date: ToDate, goal: int | None) -> float | None:
    """The indicator's value on ``to_date``; None when it cannot be computed
    (no goal, nobody served, nothing delivered or decided yet)."""
    formula = indicator.formula
    if formula == "cobertura":
        return round(100 * to_date.served / goal, 1) if goal else None
    if formula == "puntualidad":
        return round(100 * to_date.on_time / to_date.deliveries, 1) if to_date.deliveries else None
    if formula == "costo_por_beneficiario":
        return round(to_date.spent / to_date.served, 2) if to_date.served else None
    if formula == "decididas_en_plazo":
        if not to_date.decided or indicator.days is None:
            return None
        within = to_date.decided_within.get(indicator.days, 0)
        return round(100 * within / to_date.decided, 1)
    raise ValueError(f"unknown formula {formula!r}")


def measured_at(indicator: Indicator, quarter: int) -> bool:
    return quarter in MEASURED_AT[indicator.frequency]


def shown_value(indicator: Indicator, amount: float | None) -> str:
    """A value as the report shows it: 87.5 %, $1,500.00, or —."""
    if amount is None:
        return "—"
    if UNITS[indicator.formula] == "$":
        return f"${amount:,.2f}"
    return f"{amount:,.1f} %"
