"""Programs, approvals and deliveries for the planning tests, through the real
write paths (approval, delivery, end of an enrollment), so the kept figures
are made as in production."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from portal.applications import workflow as apps
from portal.backoffice.audit import Actor
from portal.delivery import handover, periods
from portal.delivery.periods import add_months
from portal.models import Application, DecisionTally, PlanTally, Program
from portal.web.extensions import db
from tests.factories import (
    accept_documents,
    make_application,
    make_citizen,
    make_delivery_point,
    make_program,
    make_staff,
)

AMOUNT = 1000
ID_CHECK = handover.IdCheck("ine", "4821")


def this_month_schedule(months: int = 6, today: dt.date | None = None) -> dict[str, str]:
    """Monthly periods from the first day of this month: today is in period 1."""
    starts = (today or dt.date.today()).replace(day=1)
    ends = add_months(starts, months) - dt.timedelta(days=1)
    return {"starts": starts.isoformat(), "ends": ends.isoformat()}


def monthly_program(agency=None, amount: int = AMOUNT, months: int = 6, **overrides) -> Program:
    return make_program(
        agency,
        benefit_amount=amount,
        benefit_period="mensual",
        benefit_schedule=this_month_schedule(months),
        **overrides,
    )


def approve(program: Program, citizen=None, reviewer=None, **application) -> Application:
    """An application of ``program`` approved by a reviewer of its agency."""
    fields = {"status": "en_revision", **application}
    found = make_application(citizen or make_citizen(), program, **fields)
    reviewer = reviewer or make_staff("revisor", program.agency)
    apps.approve(accept_documents(found), Actor.staff(reviewer), expected_version=found.version)
    return Application.get_by_id(found.id)


def deliver(application: Application, point=None, operator=None):
    """Confirm the period due now at a point of the program."""
    program = Program.get_by_id(application.program_id)
    point = point or make_delivery_point(program)
    operator = operator or make_staff("entrega", program.agency)
    credential = handover.current_credential(application)
    assert credential is not None
    return handover.confirm_delivery(credential, operator, point, ID_CHECK)


def due_by_year(program: Program, amount: int = AMOUNT, today: dt.date | None = None):
    """What approving today commits, by year, from the program's periods."""
    today = today or dt.date.today()
    found: dict[int, int] = {}
    for period in periods.program_periods(program):
        if period.ends is not None and period.ends >= today:
            found[period.starts.year] = found.get(period.starts.year, 0) + amount
    return found


def kept(program: Program) -> dict[tuple, tuple]:
    """The kept figures, cell by cell, without the empty ones."""
    cells = {}
    for row in PlanTally.select().where(PlanTally.program == program.id):
        values = (row.committed, row.spent, row.served, row.deliveries, row.on_time)
        if any(values):
            cells[(row.year, row.quarter, row.municipality)] = values
    return cells


def decisions(program: Program) -> dict[tuple, int]:
    return {
        (row.year, row.quarter, row.days): row.decisions
        for row in DecisionTally.select().where(DecisionTally.program == program.id)
        if row.decisions
    }


def committed_by_year(program: Program) -> dict[int, int]:
    found: dict[int, int] = {}
    for (year, _quarter, _municipality), values in kept(program).items():
        if values[0]:
            found[year] = found.get(year, 0) + values[0]
    return found


@contextmanager
def counted_queries():
    """Every statement the database is sent while the block runs."""
    statements: list[str] = []
    original = db.obj.execute_sql

    def traced(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return original(sql, params, *args, **kwargs)

    db.obj.execute_sql = traced
    try:
        yield statements
    finally:
        del db.obj.execute_sql
