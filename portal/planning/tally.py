"""The budget and progress figures, kept current by the writes that change them.

Why sums kept by the writes: "committed" is what every active enrollment
will still cost over its remaining periods, "spent" what every delivery paid;
computed on a request they would read a million enrollments and six million
deliveries. Instead each write that changes them adds its share, in its own
transaction, to a few rows of :class:`~portal.models.PlanTally` (one per
program, fiscal year, quarter and municipality) and
:class:`~portal.models.DecisionTally`:

* an approval (``workflow.on_approved``) commits the enrollment's benefit
  amount for every period it is due, in the year and quarter of the period;
* a delivery (``handover.on_delivered``) moves the period's amount from
  committed to spent, counts the delivery (on time or not) and, for the
  person's first delivery of that year, one more person served;
* the end of an enrollment (``workflow.on_enrollment_ended``) takes back what
  was still committed for its periods not delivered;
* a decision (``workflow.on_transition`` to approved or rejected) counts the
  days the application took;
* a roll made active (``writing.on_published``) commits its enrollments,
  grouped by start date, amount and municipality (one grouped read of the batch).

A period belongs to the fiscal year and quarter its first day falls in. Each
hook reads at most the enrollment and the deliveries of one application
(bounded by the schedule's length), and its adds are upserts, so concurrent
writers of different programs or quarters never wait for one another.

:func:`recount` computes the same figures from the data from scratch: what
tests compare the kept sums with, and the repair after an upgrade (figures of
enrollments and deliveries made before this table existed). It reads the
whole program and belongs on the command line or the queue, never on a request.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from peewee import JOIN, fn

from portal.applications import workflow
from portal.delivery import handover, periods
from portal.delivery.periods import Period
from portal.models import (
    Application,
    Citizen,
    DecisionTally,
    Delivery,
    Enrollment,
    PlanTally,
    Program,
)
from portal.rolls import writing as roll_writing
from portal.transparency import changes as open_data
from portal.vocabulary import ApplicationStatus as S
from portal.web.database import write
from portal.web.tables import tuples

MAX_DAYS = 366  # decisions that took longer are counted as taking MAX_DAYS
DECIDED = (S.APROBADA, S.RECHAZADA)
COUNTERS = ("committed", "spent", "served", "deliveries", "on_time")


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def cell_of(period: Period) -> tuple[int, int]:
    """The fiscal year and quarter a period belongs to: those of its first day."""
    return period.starts.year, quarter_of(period.starts)


def due_periods(program: Program, started_on: dt.date) -> list[Period]:
    """The periods an enrollment started on ``started_on`` is due while active
    (a program without a schedule: one period, from the start on)."""
    found = periods.program_periods(program)
    if not found:
        return [Period(1, started_on, None)]
    return [p for p in found if p.overlaps(started_on, None)]


def add(program_id: int, year: int, quarter: int, municipality: str, **amounts: int) -> None:
    """Add ``amounts`` to one cell, creating it if need be (one upsert)."""
    amounts = {name: value for name, value in amounts.items() if value}
    if not amounts:
        return
    PlanTally.insert(
        program=program_id, year=year, quarter=quarter, municipality=municipality, **amounts
    ).on_conflict(
        conflict_target=[
            PlanTally.program,
            PlanTally.year,
            PlanTally.quarter,
            PlanTally.municipality,
        ],
        update={getattr(PlanTally, n): getattr(PlanTally, n) + v for n, v in amounts.items()},
    ).execute()


def _commit(
    program: Program,
    started_on: dt.date,
    amount: int | None,
    municipality: str,
    *,
    sign: int,
    people: int = 1,
    skip: Iterable[int] = (),
) -> None:
    if not amount:
        return
    skipped = set(skip)
    # One upsert per quarter, not per period (three monthly periods share a cell).
    by_cell: Counter[tuple[int, int]] = Counter(
        cell_of(p) for p in due_periods(program, started_on) if p.number not in skipped
    )
    for (year, quarter), count in sorted(by_cell.items()):
        add(program.id, year, quarter, municipality, committed=sign * amount * people * count)


def _place(application: Application | None, citizen_id: int) -> str:
    """The municipality a person's figures go to: the application's (kept from
    its submission), else the person's record."""
    if application is not None:
        return application.municipality or ""
    row = Citizen.select(Citizen.municipality).where(Citizen.id == citizen_id).first()
    return (row.municipality_id or "") if row else ""


# The hooks -----------------------------------------------------------------------------


def approved(application: Application) -> None:
    """Commit the new enrollment's periods (inside approve()'s transaction)."""
    enrollment = periods.enrollment_of(application)
    if enrollment is None or not enrollment.active:
        return
    program = Program.get_by_id(enrollment.program_id)
    _commit(
        program,
        enrollment.started_on,
        enrollment.benefit_amount,
        application.municipality or "",
        sign=+1,
    )


def delivered(delivery: Delivery, period: Period, standing: periods.Standing) -> None:
    """A period delivered: from committed to spent (inside the delivery's transaction).

    ``standing`` is the application's as the operator saw it, before this
    delivery: the periods already delivered say whether this is the person's
    first delivery of the year.
    """
    application = Application.get_by_id(delivery.application_id)
    enrollment = standing.enrollment
    year, quarter = cell_of(period)
    earlier = [p for p in standing.periods if p.number in standing.delivered]
    first_of_year = not any(cell_of(p)[0] == year for p in earlier)
    on_time = period.ends is None or delivery.delivered_at.date() <= period.ends
    committed = enrollment.benefit_amount if enrollment is not None and enrollment.active else 0
    add(
        application.program_id,
        year,
        quarter,
        application.municipality or "",
        committed=-(committed or 0),
        spent=delivery.amount or 0,
        deliveries=1,
        on_time=int(on_time),
        served=int(first_of_year),
    )
    open_data.mark_changed(open_data.BUDGET)


def enrollment_ended(enrollment: Enrollment) -> None:
    """Take back what the ended enrollment still had committed."""
    program = Program.get_by_id(enrollment.program_id)
    application = (
        Application.get_or_none(Application.id == enrollment.application_id)
        if enrollment.application_id
        else None
    )
    done = (
        [
            d.period
            for d in Delivery.select(Delivery.period).where(Delivery.application == application.id)
        ]
        if application is not None
        else []
    )
    _commit(
        program,
        enrollment.started_on,
        enrollment.benefit_amount,
        _place(application, enrollment.citizen_id),
        sign=-1,
        skip=done,
    )


def decided(application: Application, from_status: str, to_status: str) -> None:
    """Count a decision by the days it took (inside transition()'s transaction)."""
    # A suspension lifted (suspendida -> aprobada, portal/delivery/recertification.py)
    # is no new decision: the application was decided once, as recount() counts it.
    if to_status not in DECIDED or from_status == S.SUSPENDIDA or application.submitted_at is None:
        return
    moment = application.decided_at or application.updated_at
    count_decision(application.program_id, application.submitted_at, moment)


def count_decision(program_id: int, submitted_at: dt.datetime, decided_at: dt.datetime) -> None:
    days = min(max((decided_at.date() - submitted_at.date()).days, 0), MAX_DAYS)
    day = decided_at.date()
    DecisionTally.insert(
        program=program_id, year=day.year, quarter=quarter_of(day), days=days, decisions=1
    ).on_conflict(
        conflict_target=[
            DecisionTally.program,
            DecisionTally.year,
            DecisionTally.quarter,
            DecisionTally.days,
        ],
        update={DecisionTally.decisions: DecisionTally.decisions + 1},
    ).execute()


def roll_published(batch_id: int, program_id: int) -> None:
    """Commit a roll's enrollments, made active all at once (inside _publish())."""
    program = Program.get_by_id(program_id)
    groups = (
        Enrollment.select(
            Enrollment.started_on,
            Enrollment.benefit_amount,
            Citizen.municipality,
            fn.COUNT(Enrollment.id),
        )
        .join(Citizen, on=(Enrollment.citizen == Citizen.id))
        .where((Enrollment.import_batch == str(batch_id)) & Enrollment.active)
        .group_by(Enrollment.started_on, Enrollment.benefit_amount, Citizen.municipality)
    )
    for started_on, amount, municipality, people in tuples(groups):
        if isinstance(started_on, str):  # SQLite hands back a grouped date as text
            started_on = dt.date.fromisoformat(started_on)
        _commit(program, started_on, amount, municipality or "", sign=+1, people=people)


def register() -> None:
    """Put the hooks in place (once per process, at the import of this module)."""
    if approved not in workflow.on_approved:
        workflow.on_approved.append(approved)
    if decided not in workflow.on_transition:
        workflow.on_transition.append(decided)
    if enrollment_ended not in workflow.on_enrollment_ended:
        workflow.on_enrollment_ended.append(enrollment_ended)
    if delivered not in handover.on_delivered:
        handover.on_delivered.append(delivered)
    if roll_published not in roll_writing.on_published:
        roll_writing.on_published.append(roll_published)


# The figures from scratch ----------------------------------------------------------------


def recount(program: Program) -> dict[str, int]:
    """Compute the program's figures from the data and put them in place of the
    kept ones; returns how many cells were written."""
    cells: dict[tuple[int, int, str], Counter[str]] = defaultdict(Counter)
    schedule = {p.number: p for p in periods.program_periods(program)}

    def period_of(number: int, started_on: dt.date | None = None) -> Period | None:
        if schedule:
            return schedule.get(number)
        return Period(1, started_on, None) if started_on is not None else None

    # Committed: every active enrollment's due periods (its application's
    # municipality, else its person's: as the hooks count it)...
    active = (
        Enrollment.select(
            Enrollment.started_on,
            Enrollment.benefit_amount,
            Application.municipality,
            Citizen.municipality,
            fn.COUNT(Enrollment.id),
        )
        .join(Citizen, on=(Enrollment.citizen == Citizen.id))
        .switch(Enrollment)
        .join(Application, JOIN.LEFT_OUTER, on=(Enrollment.application == Application.id))
        .where((Enrollment.program == program.id) & Enrollment.active)
        .group_by(
            Enrollment.started_on,
            Enrollment.benefit_amount,
            Application.municipality,
            Citizen.municipality,
        )
    )
    for started_on, amount, applied_in, lives_in, people in tuples(active):
        if not amount:
            continue
        if isinstance(started_on, str):
            started_on = dt.date.fromisoformat(started_on)
        municipality = (applied_in if applied_in is not None else lives_in) or ""
        for period in due_periods(program, started_on):
            year, quarter = cell_of(period)
            cells[(year, quarter, municipality)]["committed"] += amount * people
    # ... less what was delivered of them.
    paid = (
        Enrollment.select(
            Delivery.period,
            Enrollment.started_on,
            Application.municipality,
            fn.SUM(Enrollment.benefit_amount),
        )
        .join(Application, on=(Enrollment.application == Application.id))
        .join(Delivery, on=(Delivery.application == Application.id))
        .where((Enrollment.program == program.id) & Enrollment.active)
        .group_by(Delivery.period, Enrollment.started_on, Application.municipality)
    )
    for number, started_on, municipality, amount in tuples(paid):
        if isinstance(started_on, str):
            started_on = dt.date.fromisoformat(started_on)
        paid_for = period_of(number, started_on)
        if paid_for is not None and amount:
            year, quarter = cell_of(paid_for)
            cells[(year, quarter, municipality or "")]["committed"] -= amount
    # Spent, deliveries, punctuality and people served: every delivery of the program.
    first_of_year: dict[tuple[int, int], tuple[int, int, str]] = {}
    rows = (
        Delivery.select(
            Delivery.application,
            Delivery.period,
            Delivery.amount,
            Delivery.delivered_at,
            Application.municipality,
            Application.decided_at,
            Application.created_at,
        )
        .join(Application, on=(Delivery.application == Application.id))
        .where(Application.program == program.id)
        .order_by(Delivery.application, Delivery.period)
    )
    for application_id, number, amount, delivered_at, municipality, decided_at, created in tuples(
        rows
    ):
        delivered_at = _moment(delivered_at)
        start = _moment(decided_at or created).date()
        delivered_for = schedule.get(number) if schedule else Period(1, start, None)
        if delivered_for is None:
            continue
        year, quarter = cell_of(delivered_for)
        key = (year, quarter, municipality or "")
        cells[key]["spent"] += amount or 0
        cells[key]["deliveries"] += 1
        cells[key]["on_time"] += int(
            delivered_for.ends is None or delivered_at.date() <= delivered_for.ends
        )
        first_of_year.setdefault((application_id, year), key)
    for key in first_of_year.values():
        cells[key]["served"] += 1
    # Decisions by the days they took.
    decisions: Counter[tuple[int, int, int]] = Counter()
    decided_rows = Application.select(Application.submitted_at, Application.decided_at).where(
        (Application.program == program.id)
        & Application.decided_at.is_null(False)
        & Application.submitted_at.is_null(False)
    )
    for submitted_at, decided_at in tuples(decided_rows):
        submitted_on, decided_on = _moment(submitted_at).date(), _moment(decided_at).date()
        days = min(max((decided_on - submitted_on).days, 0), MAX_DAYS)
        decisions[(decided_on.year, quarter_of(decided_on), days)] += 1
    with write():
        PlanTally.delete().where(PlanTally.program == program.id).execute()
        DecisionTally.delete().where(DecisionTally.program == program.id).execute()
        for (year, quarter, municipality), counts in cells.items():
            PlanTally.insert(
                program=program.id,
                year=year,
                quarter=quarter,
                municipality=municipality,
                **{name: counts[name] for name in COUNTERS},
            ).execute()
        for (year, quarter, days), n in decisions.items():
            DecisionTally.insert(
                program=program.id, year=year, quarter=quarter, days=days, decisions=n
            ).execute()
        open_data.mark_changed(open_data.BUDGET)
    return {"celdas": len(cells), "decisiones": len(decisions)}


def _moment(value: dt.datetime | str) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


# Every process that builds the app imports this module (portal/web/templating.py
# through portal/planning/budget.py): the hooks are in place before any write.
register()
