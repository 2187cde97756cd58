"""The demo's planning: every cash program has this year's budget, a goal and
the four indicators, set through the planning domain."""

from __future__ import annotations

import datetime as dt

from portal.catalog.store import load_catalog
from portal.demo import data as demo
from portal.models import AuditEvent, Budget, Goal, Indicator, Program
from tests.catalog_builders import demo_catalog


def test_every_demo_cash_program_has_a_budget_goals_and_indicators(app):
    load_catalog(demo_catalog())
    demo.create_staff()
    year = dt.date.today().year
    assert demo.create_plans() > 0
    cash = list(Program.select().where((Program.benefit_kind == "cash") & Program.active))
    assert cash
    for program in cash:
        budget = Budget.get_or_none((Budget.program == program.id) & (Budget.year == year))
        assert budget is not None and budget.approved > 0, program.slug
        assert Goal.select().where(Goal.program == program.id).exists(), program.slug
        formulas = {i.formula for i in Indicator.select().where(Indicator.program == program.id)}
        assert formulas == {"cobertura", "puntualidad", "costo_por_beneficiario",
                            "decididas_en_plazo"}, program.slug  # fmt: skip
    # Run again (demo-data is idempotent): no second indicator.
    indicators, audited = Indicator.select().count(), AuditEvent.select().count()
    demo.create_plans()
    assert Indicator.select().count() == indicators
    assert AuditEvent.select().count() == audited  # nothing set again, nothing audited
