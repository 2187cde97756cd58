"""The public budget progress (avance presupuestal) for /estadisticas.

Computed by the open-data build on the queue (portal/transparency/builds.py),
never on a request: one row per program with a budget for the year, with the
budget in force, what was spent, the share spent, the people served and the
goal. No personal data; a program that served 1 to 4 people shows neither
that count nor its money (the amount divided by the benefit would give the
count away), like every small count on the public pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.models import Agency, Budget, Program
from portal.planning import progress
from portal.transparency.public import is_small


def budget_rows(today: dt.date) -> list[dict[str, Any]]:
    year = today.year
    with_budget = [b.program_id for b in Budget.select(Budget.program).where(Budget.year == year)]
    if not with_budget:
        return []
    names = {
        p.id: (p.name, p.agency.name)
        for p in Program.select(Program.id, Program.name, Agency.name)
        .join(Agency)
        .where(Program.id.in_(with_budget) & Program.active)
    }
    found = progress.summary(year)
    rows = []
    for line in found.lines:
        if line.program.id not in names:
            continue
        small = is_small(line.served)
        rows.append(
            {
                "programa": line.program.name,
                "dependencia": line.agency.name,
                "anio": year,
                "presupuesto": line.figures.in_force,
                "ejercido": None if small else line.figures.spent,
                "avance_financiero": None if small else line.figures.spent_share,
                "personas_atendidas": None if small else line.served,
                "pocas_personas": small,
                "meta": line.goal,
                "avance_fisico": None if small else line.physical,
            }
        )
    return rows
