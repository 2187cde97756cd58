"""The delivery calendar: the agency sets the date and place of each period,
for everyone or for one municipality's turn, and the people concerned are told.

:func:`set_date` is the one function that writes a :class:`DeliveryDate`: it
checks the period against the program's schedule, the day against the period,
the point against the program, and the municipality against the catalog, and
writes the row and its audit entry in one transaction. The notices go out from
the queue (``portal/delivery/tasks.py``): :func:`announce` when a date or
place is set or changes, :func:`send_reminders` a few days before the day,
each through ``portal/applications/notices.py``. Both read the people
concerned with one query per date, off the request path.

What a person's page reads is :func:`date_for`: at most two single-row lookups
(their municipality's turn, then the program's date for everyone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from peewee import JOIN, fn

from portal.applications import notices
from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.delivery import periods
from portal.eligibility.questions import MONTHS
from portal.messages import Refusal, _l
from portal.models import (
    Application,
    Delivery,
    DeliveryDate,
    DeliveryPoint,
    Enrollment,
    Municipality,
    Program,
    StaffUser,
    utcnow,
)
from portal.vocabulary import ApplicationStatus, AuditAction
from portal.web.database import locked, write

# The reminder goes out this many days before the day.
REMINDER_DAYS = 2
MAX_HOURS = 60

# Called with (date id, "nueva" or "cambio") after set_date() commits: the
# queue task that tells the people concerned (portal/delivery/tasks.py).
announcers: list[Callable[[int, str], None]] = []


class CalendarError(Refusal, ValueError):
    """A date that cannot be set; ``field`` names the form field at fault."""

    def __init__(self, message, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Saved:
    date: DeliveryDate
    kind: str  # "nueva", "cambio", or "igual" when nothing changed


def spanish_date(day: dt.date) -> str:
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"


def set_date(
    program: Program,
    period: int,
    day: dt.date,
    point_id: int,
    staff: StaffUser,
    *,
    municipality: str = "",
    hours: str = "",
    request_id: str = "",
) -> Saved:
    """Set (or change) the date and place of ``period`` for ``municipality``'s
    turn ("" for everyone without one). Raises :class:`CalendarError` naming
    the field; nothing is written then."""
    hours = hours.strip()
    municipality = municipality.strip()
    found = next((p for p in periods.program_periods(program) if p.number == period), None)
    if found is None:
        raise CalendarError(
            _l("El periodo %(number)s no está en el calendario del programa.", number=period),
            "periodo",
        )
    assert found.ends is not None  # a scheduled period always ends
    if not found.starts <= day <= found.ends:
        raise CalendarError(
            _l(
                "La fecha debe caer dentro del periodo %(number)s: del %(starts)s al %(ends)s.",
                number=period,
                starts=spanish_date(found.starts),
                ends=spanish_date(found.ends),
            ),
            "fecha",
        )
    point = DeliveryPoint.get_or_none(
        (DeliveryPoint.id == point_id) & (DeliveryPoint.program == program.id)
    )
    if point is None or not point.active:
        raise CalendarError(_l("Elija un punto de entrega de este programa."), "punto")
    if municipality and not Municipality.select().where(Municipality.code == municipality).exists():
        raise CalendarError(_l("Ese municipio no está en el catálogo."), "municipio")
    if len(hours) > MAX_HOURS:
        raise CalendarError(
            _l("El horario admite a lo más %(n)s caracteres.", n=MAX_HOURS), "horario"
        )
    with write():
        existing = locked(
            DeliveryDate.select().where(
                (DeliveryDate.program == program.id)
                & (DeliveryDate.period == period)
                & (DeliveryDate.municipality == municipality)
            )
        ).first()
        now = utcnow()
        if existing is None:
            date = DeliveryDate.create(
                program=program,
                period=period,
                municipality=municipality,
                day=day,
                hours=hours,
                point=point,
                entered_by=staff,
                created_at=now,
                updated_at=now,
            )
            kind = "nueva"
        elif (existing.day, existing.point_id, existing.hours) == (day, point.id, hours):
            return Saved(existing, "igual")
        else:
            # A new day needs a new reminder; the same day keeps the one sent.
            reminded = existing.reminded_at if existing.day == day else None
            DeliveryDate.update(
                day=day,
                hours=hours,
                point=point,
                entered_by=staff,
                updated_at=now,
                reminded_at=reminded,
            ).where(DeliveryDate.id == existing.id).execute()
            date = DeliveryDate.get_by_id(existing.id)
            kind = "cambio"
        audit.record(
            AuditAction.DELIVERY_DATE_SET,
            Actor.staff(staff),
            object_type="programa",
            object_id=program.slug,
            details={
                "periodo": period,
                "municipio": municipality,
                "fecha": day.isoformat(),
                "punto": point.id,
                "cambio": kind,
            },
            request_id=request_id,
        )
    for announcer in announcers:
        announcer(date.id, kind)
    return Saved(date, kind)


def date_for(application: Application, period: int) -> DeliveryDate | None:
    """The date and place in force for the application's turn of ``period``."""
    rows = (
        DeliveryDate.select(DeliveryDate, DeliveryPoint)
        .join(DeliveryPoint)
        .where(
            (DeliveryDate.program == application.program_id)
            & (DeliveryDate.period == period)
            & (DeliveryDate.municipality.in_(["", application.municipality or ""]))
        )
        .order_by(DeliveryDate.municipality.desc())
        .limit(1)
    )
    return rows.first()


def _concerned(date: DeliveryDate) -> list[Application]:
    """The approved applications whose turn of ``date.period`` is ``date``, with
    that period due and not delivered."""
    found = next(
        (p for p in periods.program_periods(date.program) if p.number == date.period), None
    )
    if found is None:
        return []
    query = (
        Application.select(Application)
        .join(Enrollment, on=(Enrollment.application == Application.id))
        .switch(Application)
        .join(
            Delivery,
            JOIN.LEFT_OUTER,
            on=((Delivery.application == Application.id) & (Delivery.period == date.period)),
        )
        .where(
            (Application.program == date.program_id)
            & (Application.status == ApplicationStatus.APROBADA)
            & Enrollment.active
            & (Enrollment.started_on <= found.ends)
            & Delivery.id.is_null()
        )
    )
    if date.municipality:
        query = query.where(Application.municipality == date.municipality)
    else:
        own_turns = DeliveryDate.select(DeliveryDate.municipality).where(
            (DeliveryDate.program == date.program_id)
            & (DeliveryDate.period == date.period)
            & (DeliveryDate.municipality != "")
        )
        query = query.where(Application.municipality.not_in(own_turns))
    return list(query.order_by(Application.id))


def _where_and_when(date: DeliveryDate) -> dict[str, object]:
    """The facts of a date's notice (portal/applications/notice_texts.py)."""
    point = date.point
    return {
        "period": date.period,
        "day": date.day.isoformat(),
        "hours": date.hours,
        "point": point.name,
        "address": point.address,
    }


def announce(date_id: int, kind: str) -> int:
    """Tell everyone concerned that the date or place of their period was set
    or changed; returns how many were told."""
    date = DeliveryDate.get_or_none(DeliveryDate.id == date_id)
    if date is None:
        return 0
    moment = "cambio" if kind == "cambio" else "nueva"
    when = _where_and_when(date)
    with write():
        concerned = _concerned(date)
        for application in concerned:
            notices.delivery_date_notice(application, moment, when)
    notices.wake()
    return len(concerned)


def send_reminders(today: dt.date | None = None) -> int:
    """Remind the people concerned of every date ``REMINDER_DAYS`` ahead (or
    less), once per date: each date is claimed with a conditional update."""
    today = today or dt.date.today()
    due = DeliveryDate.select(DeliveryDate.id).where(
        DeliveryDate.reminded_at.is_null()
        & (DeliveryDate.day >= today)
        & (DeliveryDate.day <= today + dt.timedelta(days=REMINDER_DAYS))
    )
    told = 0
    for row in list(due):
        with write():
            claimed = (
                DeliveryDate.update(reminded_at=utcnow())
                .where((DeliveryDate.id == row.id) & DeliveryDate.reminded_at.is_null())
                .execute()
            )
            if claimed != 1:
                continue
            date = DeliveryDate.get_by_id(row.id)
            when = _where_and_when(date)
            concerned = _concerned(date)
            for application in concerned:
                notices.delivery_date_notice(application, "recordatorio", when)
            told += len(concerned)
    notices.wake()
    return told


def calendar_of(program: Program) -> dict[int, list[DeliveryDate]]:
    """Every date set for the program, by period (the agency's calendar page)."""
    rows = (
        DeliveryDate.select(DeliveryDate, DeliveryPoint)
        .join(DeliveryPoint)
        .where(DeliveryDate.program == program.id)
        .order_by(DeliveryDate.period, DeliveryDate.municipality)
    )
    found: dict[int, list[DeliveryDate]] = {}
    for row in rows:
        found.setdefault(row.period, []).append(row)
    return found


def programs_with_schedule(agency_id: int) -> list[Program]:
    return list(
        Program.select()
        .where(
            (Program.agency == agency_id)
            & Program.active
            & (fn.COALESCE(Program.benefit_schedule, "{}") != "{}")
        )
        .order_by(Program.name)
    )
