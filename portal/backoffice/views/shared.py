"""What every back-office view shares: who acts, writing to the audit trail, scoping.

Staff objects are always loaded through these helpers, so a query for another
agency's object finds nothing and the view answers 404, as for a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, g, request
from flask_login import current_user

from portal.backoffice import audit
from portal.vocabulary import Role
from portal.web.params import bounded_int

# Deeper pages than this are empty anyway; the bound keeps OFFSET in range.
MAX_PAGE = 100_000


def actor() -> audit.Actor:
    return audit.Actor.staff(current_user._get_current_object())


def record(action: str, *, object_type: str, object_id: object, outcome: str = "ok", details=None):
    """Audit one staff action, tagged with this request's id."""
    return audit.record(
        action,
        actor(),
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        details=details,
        request_id=g.get("request_id", ""),
    )


def is_state_admin() -> bool:
    return current_user.role == Role.ADMIN_ESTATAL


def agency_scope(query, agency_field):
    """``query`` limited to the current staff member's agency (state admins see all)."""
    if is_state_admin():
        return query
    return query.where(agency_field == current_user.agency_id)


def get_or_404(query):
    row = query.first()
    if row is None:
        refuse(404)
    return row


def refuse(code: int = 403):
    """Refuse; the error handler logs who was refused where (views/errors.py)."""
    abort(code)


@dataclass(frozen=True)
class Page:
    """One page of a filtered back-office list, for templates/components/pagination.html."""

    number: int
    rows: list
    has_next: bool
    args: dict[str, str]  # the request's filters, carried by the page links


def page_of(query: Any, size: int) -> Page:
    """Page ``?pagina=`` of ``query``, ``size`` rows; an empty page for None
    (filters that did not validate). One row more than shown tells whether
    there is a next page, without counting the whole list."""
    number = bounded_int(request.args.get("pagina"), 1, high=MAX_PAGE)
    rows = [] if query is None else list(query.offset((number - 1) * size).limit(size + 1))
    args = {k: v for k, v in request.args.items() if k != "pagina" and v}
    return Page(number, rows[:size], len(rows) > size, args)
