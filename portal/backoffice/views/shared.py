"""What every back-office view shares: who acts, writing to the audit trail, scoping.

Staff objects are always loaded through these helpers, so a query for another
agency's object finds nothing and the view answers 404, as for a missing one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import abort, g, request
from flask_login import current_user

from portal.backoffice import audit
from portal.vocabulary import SERVE_EVERY_AGENCY, Role

# Deeper pages than this are empty anyway; the bound keeps OFFSET in range.


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


def serves_every_agency() -> bool:
    """The state counter (and state admins) serve every agency's programs at
    the counter; an agency's counter staff serve only their own."""
    return current_user.role in SERVE_EVERY_AGENCY


def counter_scope(query, agency_field):
    """``query`` limited to what the current staff member may serve at the
    counter (:func:`serves_every_agency`). Only the counter's pages use it:
    review and decision stay with :func:`agency_scope`, so the state counter
    files an application that the owning agency's queue decides."""
    if serves_every_agency():
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
    """One page of a back-office list, for templates/web/components/pagination.html.

    Lists are paged by position (keyset), never by OFFSET: a link names the
    row to continue after (``?despues=``) or to stop before (``?antes=``), so
    reading the thousandth page costs what reading the first does.
    """

    rows: list
    after: int | None  # the id of the row to continue after, when there is a next page
    before: int | None  # the id of the row to stop before, when there is a previous page
    args: dict[str, str]  # the request's filters, carried by the page links


POSITION_ARGS = ("despues", "antes", "pagina")


def filter_args() -> dict[str, str]:
    """The request's filters, without its position in the list."""
    return {k: v for k, v in request.args.items() if k not in POSITION_ARGS and v}


def position_arg(name: str) -> int | None:
    """``?despues=`` or ``?antes=`` as a row id; anything else is no position
    (a hand-edited address starts again at the first page rather than fail)."""
    value = request.args.get(name, "")
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def seek(
    branches: Sequence[Any],
    order: Sequence[Any],
    position: tuple | None,
    *,
    descending: bool,
    size: int,
) -> list:
    """Up to ``size`` rows past ``position`` in ``order`` (ascending, or
    ``descending``), from the union of ``branches``.

    Each branch is a query that one index reads in ``order`` (an equality on
    its leading columns): asked for ``size`` rows past the position, it reads
    about ``size`` index entries whatever the size of the table, and the
    branches' rows are merged here. ``order`` is one column or a (value, id)
    pair, never NULL; its columns must be among the selected ones.
    """
    rows: list = []
    for query in branches:
        if position is not None:
            query = query.where(_past(order, position, descending))
        direction = [c.desc() for c in order] if descending else list(order)
        rows.extend(query.order_by(*direction).limit(size))
    rows.sort(key=lambda row: row_key(order, row), reverse=descending)
    return rows[:size]


def row_key(order: Sequence[Any], row: Any) -> tuple:
    return tuple(getattr(row, column.name) for column in order)


def _past(order: Sequence[Any], position: tuple, descending: bool):
    """The rows past ``position``, written so that both engines read it as a
    range on the index (the second term of a pair only breaks ties)."""
    if len(order) == 1:
        (column,), (value,) = order, position
        return column < value if descending else column > value
    (first, tie), (at, row_id) = order, position
    if descending:
        return (first <= at) & ((first < at) | (tie < row_id))
    return (first >= at) & ((first > at) | (tie > row_id))


# Rows past a position (None: from the start), in a direction, up to a number.
Fetch = Callable[[tuple | None, bool, int], list]


def seeker(branches: Sequence[Any], order: Sequence[Any]) -> Fetch:
    """:func:`seek` over ``branches`` as a :data:`Fetch` for :func:`keyset_page`."""

    def fetch(position: tuple | None, descending: bool, size: int) -> list:
        return seek(branches, order, position, descending=descending, size=size)

    return fetch


def keyset_page(
    fetch: Fetch | None,
    locate: Callable[[int], tuple | None],
    size: int,
    *,
    descending: bool = False,
) -> Page:
    """The page of a list that ``?despues=`` / ``?antes=`` point to.

    Both name a row by its id; ``locate(id)`` gives that row's position in
    the list's order (None when it names no row of this list: the first page
    is shown), and ``fetch`` the rows past a position (see :func:`seeker`).
    An empty page for ``fetch`` None (filters that did not validate). One row
    more than shown tells whether there is a page beyond, without counting.
    """
    args = filter_args()
    if fetch is None:
        return Page([], None, None, args)
    before_id, after_id = position_arg("antes"), position_arg("despues")
    if before_id is not None and (position := locate(before_id)) is not None:
        rows = fetch(position, not descending, size + 1)
        if len(rows) > size:
            shown = rows[:size][::-1]
            return Page(shown, shown[-1].id, shown[0].id, args)
        # Fewer rows before it than a page holds: that is the first page.
    position = locate(after_id) if after_id is not None else None
    rows = fetch(position, descending, size + 1)
    if position is not None and not rows:
        # Nothing after it any more (decided meanwhile): back to the start.
        position = None
        rows = fetch(None, descending, size + 1)
    shown = rows[:size]
    return Page(
        shown,
        shown[-1].id if len(rows) > size else None,
        shown[0].id if position is not None and shown else None,
        args,
    )
