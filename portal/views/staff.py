"""What every back-office view shares: who acts, writing to the audit trail, scoping.

Staff objects are always loaded through these helpers, so a query for another
agency's object finds nothing and the view answers 404, as for a missing one.
"""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from .. import audit


def actor() -> audit.Actor:
    staff = current_user._get_current_object()
    return audit.Actor("personal", staff.id, staff.role, staff.agency_id)


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
    return current_user.role == "admin_estatal"


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
