"""The data version of the public outputs, kept current by the writes that change it.

A writer that changes what the statistics or the open data show calls
:func:`mark_changed` inside its own transaction, so the change and its mark
commit (or roll back) together. The mark is one insert into
``open_data_change``: concurrent writers never queue on a shared counter row,
which on PostgreSQL would serialize every submission of every call on one row
lock. The queue's builder (portal/transparency/builds.py) rebuilds what the
marks name and deletes exactly the marks it has seen.

This module imports only the models, so that the writers below
``transparency`` in the dependency order (applications, delivery, rolls) can
call it without importing the public pages.
"""

from __future__ import annotations

from portal.transparency.models import OpenDataChange
from portal.web.tables import utcnow

BENEFICIARIES = "beneficiarios"  # active enrollments: summaries, tables, published rolls
APPLICATIONS = "solicitudes"  # application counts on the statistics page
BUDGET = "presupuesto"  # budgets and their progress (portal/planning/)
KINDS = (BENEFICIARIES, APPLICATIONS, BUDGET)


def mark_changed(kind: str, program_id: int | None = None) -> None:
    """Record, in the caller's transaction, that ``kind`` data changed.

    ``program_id`` names the program whose published roll changed; without it
    every roll is rebuilt.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown open-data kind: {kind!r}")
    OpenDataChange.insert(kind=kind, program_id=program_id, changed_at=utcnow()).execute()
