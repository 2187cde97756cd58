"""Benefit periods: what an enrollment is due, period by period, and what was delivered.

A program's schedule (``benefit.schedule`` in the catalog, stored in
``Program.benefit_schedule``) is cut into numbered periods: every month, two
months... of ``benefit.period`` from ``starts`` to ``ends``, or one period per
listed date. An enrollment is due every period that overlaps it: from the one
its approval falls in until the one it ends in. A program with no schedule has
one period, from the approval on (the single delivery it always had).

Which periods were delivered is kept by :class:`~portal.models.Delivery` rows,
one per application and period (a unique pair: the database refuses a second
delivery of the same period, see ``portal/delivery/handover.py``). Everything
here reads at most one enrollment and the deliveries of one application, both
bounded by the schedule's length (``schema.MAX_PERIODS``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from portal.catalog.schema import PERIOD_MONTHS, Schedule, schedule_from_json
from portal.citizens import record_export
from portal.models import Application, Citizen, Delivery, Enrollment, Program
from portal.vocabulary import BENEFICIARY_STATUSES, ApplicationStatus

# What each line of a person's history says about its period.
DELIVERED = "entregado"
DUE = "por_entregar"  # started and not yet delivered
UPCOMING = "proximo"
STATUS_LABELS = {DELIVERED: "Entregado", DUE: "Por entregar", UPCOMING: "Próximo"}


@dataclass(frozen=True)
class Period:
    """One benefit period: number 1, 2, ... of the program's schedule."""

    number: int
    starts: dt.date
    ends: dt.date | None  # None: a program without a schedule, open from the approval on

    def overlaps(self, first: dt.date, last: dt.date | None) -> bool:
        return (self.ends is None or self.ends >= first) and (last is None or self.starts <= last)

    def has_started(self, today: dt.date) -> bool:
        return self.starts <= today


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` months on; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule_periods(schedule: Schedule, period: str | None) -> list[Period]:
    """Cut a validated schedule into its numbered periods."""
    one_day = dt.timedelta(days=1)
    if schedule.dates:
        ends = [later - one_day for later in schedule.dates[1:]] + [schedule.ends]
        return [
            Period(number, starts, last)
            for number, (starts, last) in enumerate(zip(schedule.dates, ends, strict=True), 1)
        ]
    months = PERIOD_MONTHS.get(period or "")
    if months is None:  # unico, or a benefit in kind: the whole schedule is one period
        return [Period(1, schedule.starts, schedule.ends)]
    periods: list[Period] = []
    starts = schedule.starts
    while starts <= schedule.ends:
        following = add_months(schedule.starts, months * len(periods) + months)
        periods.append(Period(len(periods) + 1, starts, min(following - one_day, schedule.ends)))
        starts = following
    return periods


def program_periods(program: Program) -> list[Period]:
    """The program's periods; empty when it has no schedule."""
    schedule = schedule_from_json(program.benefit_schedule)
    if schedule is None:
        return []
    return schedule_periods(schedule, program.benefit_period)


def enrollment_periods(enrollment: Enrollment, program: Program) -> list[Period]:
    """The periods ``enrollment`` is due: those overlapping it, keeping their numbers."""
    periods = program_periods(program)
    if not periods:
        return [Period(1, enrollment.started_on, None)]
    return [p for p in periods if p.overlaps(enrollment.started_on, enrollment.ended_on)]


def enrollment_of(application: Application) -> Enrollment | None:
    """The application's enrollment (its latest, should it have had more than one)."""
    return (
        Enrollment.select()
        .where(Enrollment.application == application.id)
        .order_by(Enrollment.id.desc())
        .first()
    )


def deliveries_of(application: Application) -> dict[int, Delivery]:
    """The application's deliveries by period number."""
    rows = Delivery.select().where(Delivery.application == application.id).order_by(Delivery.period)
    return {row.period: row for row in rows}


@dataclass(frozen=True)
class Line:
    """One period of a person's payment and delivery history."""

    period: Period
    amount: int | None
    delivery: Delivery | None
    status: str  # DELIVERED, DUE or UPCOMING

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Standing:
    """Where an application stands across its periods, for the scan and the pages."""

    periods: list[Period]
    delivered: dict[int, Delivery]
    enrollment: Enrollment | None
    today: dt.date

    @property
    def due(self) -> Period | None:
        """The period to deliver now: the earliest started one not delivered yet
        (a person who could not come for one period may still collect it)."""
        for period in self.periods:
            if period.has_started(self.today) and period.number not in self.delivered:
                return period
        return None

    @property
    def next(self) -> Period | None:
        """The first period not started yet."""
        return next((p for p in self.periods if not p.has_started(self.today)), None)

    @property
    def last_delivery(self) -> Delivery | None:
        return self.delivered[max(self.delivered)] if self.delivered else None

    @property
    def complete(self) -> bool:
        """Every period due was delivered."""
        return bool(self.periods) and all(p.number in self.delivered for p in self.periods)

    def is_last(self, period: Period) -> bool:
        """Delivering ``period`` completes the enrollment's benefit."""
        remaining = {p.number for p in self.periods} - set(self.delivered)
        return remaining == {period.number}

    @property
    def lines(self) -> list[Line]:
        amount = self.enrollment.benefit_amount if self.enrollment else None
        lines = []
        for period in self.periods:
            delivery = self.delivered.get(period.number)
            if delivery is not None:
                status = DELIVERED
            elif period.has_started(self.today):
                status = DUE
            else:
                status = UPCOMING
            paid = delivery.amount if delivery is not None else amount
            lines.append(Line(period, paid, delivery, status))
        return lines


def standing(application: Application, today: dt.date | None = None) -> Standing:
    """The application's periods and deliveries (two bounded reads)."""
    today = today or dt.date.today()
    enrollment = enrollment_of(application)
    delivered = deliveries_of(application)
    if enrollment is None:
        # An application approved without an enrollment row (older data): the
        # single delivery it always had, from its decision on.
        decided = application.decided_at or application.created_at
        periods: list[Period] = [Period(1, decided.date(), None)]
    else:
        periods = enrollment_periods(enrollment, Program.get_by_id(enrollment.program_id))
    return Standing(periods, delivered, enrollment, today)


def history_rows(lines: Iterable[Line]) -> list[dict[str, object]]:
    """The history as plain rows (the /mis-datos export)."""
    return [
        {
            "periodo": line.period.number,
            "desde": line.period.starts.isoformat(),
            "hasta": line.period.ends.isoformat() if line.period.ends else "",
            "monto": line.amount,
            "estado": line.status_label,
            "clave": line.status,
            "entregado_el": line.delivery.delivered_at.date().isoformat() if line.delivery else "",
            "lugar": line.delivery.point.name if line.delivery else "",
        }
        for line in lines
    ]


def shown_standing(application: Application) -> Standing | None:
    """The standing a page shows: for an approved or delivered application, or
    one cancelled after some deliveries; None for the others (no reads)."""
    if application.status in (*BENEFICIARY_STATUSES, ApplicationStatus.SUSPENDIDA):
        return standing(application)
    if application.status == ApplicationStatus.CANCELADA:
        found = standing(application)
        return found if found.delivered else None
    return None


def payment_history(citizen: Citizen) -> list[dict[str, object]]:
    """Every period of the person's benefits, for their /mis-datos export."""
    rows: list[dict[str, object]] = []
    applications = (
        Application.select(Application, Program)
        .join(Program)
        .where(
            (Application.citizen == citizen.id)
            & Application.status.in_(
                (*BENEFICIARY_STATUSES, ApplicationStatus.SUSPENDIDA, ApplicationStatus.CANCELADA)
            )
        )
        .order_by(Application.id)
    )
    for application in applications:
        found = shown_standing(application)
        if found is None:
            continue
        for row in history_rows(found.lines):
            rows.append({"folio": application.folio, "programa": application.program.name, **row})
    return rows


record_export.more_sections["payment_history"] = payment_history
