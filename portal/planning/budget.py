"""A program's budget for a fiscal year: what was approved, modified, committed
and spent, and the warning on an approval that would commit more than it.

The approved and modified figures are set by the agency's administrator (the
state admin for any agency) through :func:`set_budget`, audited with what they
were before. Committed and spent are never typed in: they are the sums kept
by the writes (portal/planning/tally.py), read here in one grouped query over
at most four quarters times the state's municipalities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from peewee import fn

from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.messages import Message, Refusal, _l
from portal.models import (
    Application,
    AuditEvent,
    Budget,
    PlanTally,
    Program,
    StaffUser,
    utcnow,
)
from portal.planning import tally
from portal.transparency import changes as open_data
from portal.vocabulary import HELD_STATUSES, AuditAction
from portal.web.database import locked, write
from portal.web.tables import tuples
from portal.web.values import money

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_PESOS = 10**13  # ten trillion pesos: more than any state's whole budget


class PlanningError(Refusal, ValueError):
    """Refused planning input; ``field`` names the form field at fault."""

    def __init__(self, message: Message, field: str) -> None:
        super().__init__(message)
        self.field = field


def pesos(amount: int | float | None) -> str:
    """An amount as people read it: $1,234,567 (— when there is none)."""
    return money(None if amount is None else round(amount))


def check_year(year: int, field: str = "anio") -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PlanningError(
            _l(
                "El año fiscal debe estar entre %(first)s y %(last)s.",
                first=FIRST_YEAR,
                last=LAST_YEAR,
            ),  # fmt: skip
            field,
        )
    return year


def check_pesos(amount: int | None, field: str, label: Message) -> None:
    if amount is None:
        return
    if amount < 0:
        raise PlanningError(_l("%(field)s no puede ser negativo.", field=label), field)
    if amount > MAX_PESOS:
        raise PlanningError(_l("%(field)s es demasiado grande.", field=label), field)


@dataclass(frozen=True)
class Figures:
    """A program's budget and what it has committed and spent in one year."""

    program_id: int
    year: int
    approved: int | None  # None: no budget set for the year
    modified: int | None
    committed: int
    spent: int

    @property
    def in_force(self) -> int | None:
        return self.modified if self.modified is not None else self.approved

    @property
    def available(self) -> int | None:
        """What is left to commit: the budget in force less committed and spent."""
        if self.in_force is None:
            return None
        return self.in_force - self.committed - self.spent

    @property
    def spent_share(self) -> float | None:
        """Spent as a percentage of the budget in force (the financial progress)."""
        if not self.in_force:
            return None
        return round(100 * self.spent / self.in_force, 1)


def figures_of(program_id: int, year: int) -> Figures:
    return figures_for([program_id], year)[program_id]


def figures_for(program_ids: Iterable[int], year: int) -> dict[int, Figures]:
    """The figures of several programs (an agency's, or all): two grouped reads."""
    ids = list(program_ids)
    sums: dict[int, tuple[int, int]] = {}
    if ids:
        query = (
            PlanTally.select(
                PlanTally.program, fn.SUM(PlanTally.committed), fn.SUM(PlanTally.spent)
            )
            .where(PlanTally.program.in_(ids) & (PlanTally.year == year))
            .group_by(PlanTally.program)
        )
        sums = {pid: (int(c or 0), int(s or 0)) for pid, c, s in tuples(query)}
    budgets = (
        {
            b.program_id: b
            for b in Budget.select().where(Budget.program.in_(ids) & (Budget.year == year))
        }
        if ids
        else {}
    )
    found: dict[int, Figures] = {}
    for pid in ids:
        budget = budgets.get(pid)
        committed, spent = sums.get(pid, (0, 0))
        found[pid] = Figures(
            pid,
            year,
            budget.approved if budget else None,
            budget.modified if budget else None,
            committed,
            spent,
        )
    return found


def budget_of(program: Program, year: int) -> Budget | None:
    return Budget.get_or_none((Budget.program == program.id) & (Budget.year == year))


def set_budget(
    program: Program,
    year: int,
    approved: int | None,
    modified: int | None,
    staff: StaffUser,
    request_id: str = "",
) -> Budget:
    """Set the approved and (optionally) modified budget of ``program`` for ``year``.

    Refused, with nothing written, when a figure is missing, negative or
    absurd, or when the budget in force would be below what is already spent.
    """
    check_year(year)
    if approved is None:
        raise PlanningError(_l("Escriba el presupuesto aprobado, en pesos."), "aprobado")
    check_pesos(approved, "aprobado", _l("El presupuesto aprobado"))
    check_pesos(modified, "modificado", _l("El presupuesto modificado"))
    with write():
        before = locked(
            Budget.select().where((Budget.program == program.id) & (Budget.year == year))
        ).first()
        spent = figures_of(program.id, year).spent
        in_force, field = (
            (modified, "modificado") if modified is not None else (approved, "aprobado")
        )
        if in_force < spent:
            raise PlanningError(
                _l(
                    "El presupuesto %(which)s (%(amount)s) es menor que lo ya ejercido en "
                    "%(year)s (%(spent)s).",
                    which=_l("modificado") if field == "modificado" else _l("aprobado"),
                    amount=pesos(in_force),
                    year=year,
                    spent=pesos(spent),
                ),
                field,
            )
        if before is not None and (before.approved, before.modified) == (approved, modified):
            return before  # the same figures again: nothing changes, nothing to audit
        Budget.insert(
            program=program.id,
            year=year,
            approved=approved,
            modified=modified,
            updated_by=staff.id,
            updated_at=utcnow(),
        ).on_conflict(
            conflict_target=[Budget.program, Budget.year],
            preserve=[Budget.approved, Budget.modified, Budget.updated_by, Budget.updated_at],
        ).execute()
        audit.record(
            AuditAction.BUDGET_SET,
            Actor.staff(staff),
            object_type="presupuesto",
            object_id=f"{program.slug}/{year}",
            details={
                "aprobado": approved,
                "modificado": modified,
                "antes": [before.approved, before.modified] if before else None,
            },
            request_id=request_id,
        )
        open_data.mark_changed(open_data.BUDGET)
    saved = budget_of(program, year)
    assert saved is not None  # written just above
    return saved


def budget_history(program: Program, year: int, limit: int = 20) -> list[AuditEvent]:
    """The last changes of this budget, from the audit trail (newest first)."""
    return list(
        AuditEvent.select()
        .where(
            (AuditEvent.action == AuditAction.BUDGET_SET)
            & (AuditEvent.object_type == "presupuesto")
            & (AuditEvent.object_id == f"{program.slug}/{year}")
        )
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )


# The warning on approval ------------------------------------------------------------


def approval_cost(program: Program, on: dt.date) -> dict[int, int]:
    """What approving on ``on`` commits, by fiscal year (the periods still due)."""
    if not program.benefit_amount:
        return {}
    cost: dict[int, int] = {}
    for period in tally.due_periods(program, on):
        year = tally.cell_of(period)[0]
        cost[year] = cost.get(year, 0) + program.benefit_amount
    return cost


def approval_warning(
    application: Application, on: dt.date | None = None, program: Program | None = None
) -> Message | None:
    """A warning for the reviewer when approving would commit more than this
    year's budget in force; None when it fits or no budget was set.

    Reads the program, its budget and its figures: a few rows.
    """
    if application.status not in HELD_STATUSES:
        return None
    on = on or dt.date.today()
    if program is None:
        program = Program.get_by_id(application.program_id)
    cost = approval_cost(program, on).get(on.year, 0)
    if not cost:
        return None
    figures = figures_of(program.id, on.year)
    available = figures.available
    if available is None or cost <= available:
        return None
    return _l(
        "Aprobar esta solicitud compromete %(cost)s del presupuesto de %(year)s, y solo "
        "quedan %(available)s sin comprometer de %(budget)s. Puede aprobarla, pero el "
        "programa rebasará su presupuesto: avise a la administración de la dependencia.",
        cost=pesos(cost),
        year=on.year,
        available=pesos(max(available, 0)),
        budget=pesos(figures.in_force),
    )
