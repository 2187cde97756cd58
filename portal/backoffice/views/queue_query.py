"""The reviewer's queue as prepared statements: what it shows, counts and picks next.

The queue is read on indexes in queue order (migrations/0014_queue.py): one
branch per program and status on (program, status, submitted_at), or
(municipality, program, status, submitted_at) when a municipality is chosen;
when there are too many programs (a state admin, a large agency), one branch
per status on (status, submitted_at), with the programs and municipality
checked on each row read ("+ 0" and "|| ''" keep the planner off indexes that
cannot give queue order). Each branch reads about as many index entries as
the page shows, whatever the size of the table.

All branches go in one statement (``UNION ALL`` of each branch's first rows,
merged here), and the counts per status in another: each statement's text
is built once per shape (how many programs and statuses, which filters), see
:class:`portal.web.tables.Prepared`. Building the ten to fifteen statements
of a page each time took more of the page's time than running them.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, NamedTuple

from peewee import SQL, Cast, Expression, Select, fn

from portal.models import Application
from portal.vocabulary import ApplicationStatus as S
from portal.web.tables import Prepared, Slot

# Staff see an application once the person has sent it.
SUBMITTED = Application.submitted_at.is_null(False) & (Application.status != S.BORRADOR)
# Statements per page at most when the queue is read program by program.
MAX_BRANCHES = 40


class Row(NamedTuple):
    """A queue row as the list pages it: its id and place in queue order."""

    id: int
    submitted_at: Any


@dataclass(frozen=True)
class Queue:
    """The queue under its filters. ``programs`` None: every program."""

    programs: tuple[int, ...] | None
    statuses: tuple[str, ...]
    municipality: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    flagged: bool = False
    # Picking the next case for ``picker`` (a staff id): not held by someone
    # else, not filed at the counter by them, not the case ``skip``.
    picker: int | None = None
    skip: int | None = None

    @property
    def empty(self) -> bool:
        return self.programs is not None and not self.programs

    @property
    def per_program(self) -> bool:
        return self.programs is not None and len(self.programs) * len(self.statuses) <= MAX_BRANCHES

    def values(self, **more: Any) -> dict[str, Any]:
        found: dict[str, Any] = {"statuses": list(self.statuses), **more}
        if self.programs is not None:
            found["programs"] = list(self.programs)
        for name in ("municipality", "since", "until", "picker", "skip"):
            if getattr(self, name):
                found[name] = getattr(self, name)
        return found

    def shape(self, **more: Any) -> tuple:
        return (
            self.per_program,
            None if self.programs is None else len(self.programs),
            len(self.statuses),
            bool(self.municipality),
            self.since is not None,
            self.until is not None,
            self.flagged,
            self.picker is not None,
            self.skip is not None,
            tuple(sorted(more.items())),
        )


def _condition(shape: tuple) -> Expression:
    _per, _programs, _statuses, _town, since, until, flagged, picker, skip, _more = shape
    condition = SUBMITTED
    if since:
        condition &= Application.submitted_at >= Slot("since")
    if until:
        condition &= Application.submitted_at < Slot("until")
    if flagged:
        condition &= Application.flagged == True  # noqa: E712
    if picker:
        condition &= Application.assigned_to.is_null() | (Application.assigned_to == Slot("picker"))
        # Cases this person filed at the counter are for someone else to decide.
        condition &= Application.assisted_by.is_null() | (Application.assisted_by != Slot("picker"))
    if skip:
        condition &= Application.id != Slot("skip")
    return condition


def _branch_conditions(shape: tuple) -> list[Expression]:
    """One condition per branch (see the module docstring)."""
    per_program, programs, statuses, town, *_rest = shape
    if per_program:
        by_town = [Application.municipality == Slot("municipality")] if town else []
        return [
            reduce(
                operator.and_,
                [
                    *by_town,
                    Application.program == Slot("programs", p),
                    Application.status == Slot("statuses", s),
                ],
            )
            for p in range(programs)
            for s in range(statuses)
        ]
    extra: list[Expression] = []
    if programs is not None:
        extra.append((Application.program + 0).in_(Slot.many("programs", programs)))
    if town:
        extra.append(Application.municipality.concat("") == Slot("municipality"))
    return [
        reduce(operator.and_, [*extra, Application.status == Slot("statuses", s)])
        for s in range(statuses)
    ]


def _past(descending: bool) -> Expression:
    """Rows past the position (at, after): a range on the index, the id only
    breaking ties."""
    first, tie = Application.submitted_at, Application.id
    at, row_id = Slot("at"), Slot("after")
    if descending:
        return (first <= at) & ((first < at) | (tie < row_id))
    return (first >= at) & ((first > at) | (tie > row_id))


def _build_rows(shape: tuple, **_lengths: int) -> Any:
    more = dict(shape[-1])
    condition = _condition(shape)
    if more["positioned"]:
        condition &= _past(more["descending"])
    order: tuple[Any, ...] = (
        (Application.submitted_at.desc(), Application.id.desc())
        if more["descending"]
        else (Application.submitted_at, Application.id)
    )
    parts = [
        Select([branch.alias(f"b{k}")], [SQL("*")])
        for k, branch in enumerate(
            Application.select(Application.id, Application.submitted_at)
            .where(condition & part)
            .order_by(*order)
            .limit(Slot("size"))
            for part in _branch_conditions(shape)
        )
    ]
    return reduce(operator.add, parts).tuples()


_ROWS = Prepared(_build_rows)


def rows(queue: Queue, position: tuple | None, *, descending: bool, size: int) -> list[Row]:
    """Up to ``size`` rows past ``position`` (submitted_at, id) in queue order."""
    if queue.empty:
        return []
    more = {"positioned": position is not None, "descending": descending}
    values = queue.values(size=size)
    if position is not None:
        values |= {"at": position[0], "after": position[1]}
    # Each branch gives its first rows in order; merged here (a few hundred
    # tuples at most), so the database sorts nothing.
    found = sorted(
        ((submitted, row_id) for row_id, submitted in _ROWS(queue.shape(**more), **values)),
        reverse=descending,
    )
    return [Row(row_id, submitted) for submitted, row_id in found[:size]]


def _build_counts(shape: tuple, **_lengths: int) -> Any:
    """Per status, its rows under the filters counted up to a limit."""
    per_program, programs, statuses, town, *_rest = shape
    condition = _condition(shape)
    if per_program:
        condition &= Application.program.in_(Slot.many("programs", programs))
        if town:
            condition &= Application.municipality == Slot("municipality")
    else:
        if programs is not None:
            condition &= (Application.program + 0).in_(Slot.many("programs", programs))
        if town:
            condition &= Application.municipality.concat("") == Slot("municipality")
    parts = [
        Select(
            [
                Application.select(SQL("1"))
                .where(condition & (Application.status == Slot("statuses", s)))
                .limit(Slot("limit"))
                .alias(f"c{s}")
            ],
            [Cast(Slot("statuses", s), "varchar(20)"), fn.COUNT(SQL("*"))],
        )
        for s in range(statuses)
    ]
    return reduce(operator.add, parts).tuples()


_COUNTS = Prepared(_build_counts)


def bounded_counts(queue: Queue, limit: int) -> dict[str, int]:
    """Rows per status under the filters, each counted up to ``limit`` rows
    (the page says "más de" beyond), on the indexes the pages read."""
    if queue.empty:
        return dict.fromkeys(queue.statuses, 0)
    found = _COUNTS(queue.shape(counts=True), **queue.values(limit=limit))
    return {status: count for status, count in found}


def statuses_and_programs(statuses: Sequence[str], programs: Sequence[int] | None) -> Queue:
    """The unfiltered queue of ``statuses`` over ``programs``."""
    return Queue(programs=None if programs is None else tuple(programs), statuses=tuple(statuses))
