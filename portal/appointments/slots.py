"""Places and their slots: where people can book (an office of the state or a
delivery point of a program) and the times staff open there.

Staff open a run of slots at once (:func:`open_slots`): from a first day, for a
number of days, every ``length`` minutes between a daily start and end, each
with the same capacity. A slot that already exists at that place and time is
left as it is (the unique index of place, day and start), so opening the same
week twice changes nothing. Slots are in the state's wall-clock time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import IntegrityError

from portal.appointments.models import Office, Purpose, Slot
from portal.backoffice import audit
from portal.catalog.models import DeliveryPoint, Program
from portal.messages import Refusal, _l
from portal.vocabulary import AuditAction
from portal.web.database import write
from portal.web.formatting import STATE_ZONE

MAX_CAPACITY = 500
MAX_DAYS = 14
MIN_LENGTH, MAX_LENGTH = 5, 240
# At most this many slots in one run (14 days of 10-minute slots from 8 to 18 is 840).
MAX_SLOTS = 1000
# People see this many days ahead when they choose a time, and this many times at most.
BOOKING_HORIZON_DAYS = 30
SHOWN_SLOTS = 300

OFFICE, POINT = "oficina", "punto"


class AppointmentError(Refusal):
    """A refused booking or slot: the form field it concerns, the message and the
    HTTP status the web answers with (409: taken or full; 422: the input)."""

    def __init__(self, field: str, message, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def local_now() -> dt.datetime:
    """Now on the state's wall clock, naive, as slots are stored."""
    return dt.datetime.now(STATE_ZONE).replace(tzinfo=None)


@dataclass(frozen=True)
class Place:
    """Where a slot is: ``kind`` OFFICE (an :class:`Office`) or POINT (a delivery point)."""

    kind: str
    row: Office | DeliveryPoint

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def address(self) -> str:
        return self.row.address

    @property
    def program_id(self) -> int | None:
        """The program of a delivery point (None for a state office)."""
        return self.row.program_id if isinstance(self.row, DeliveryPoint) else None

    @property
    def purpose(self) -> str:
        return Purpose.VENTANILLA if self.kind == OFFICE else Purpose.ENTREGA

    @property
    def agency_id(self) -> int | None:
        """The agency that runs the point's program (None for a state office)."""
        if not isinstance(self.row, DeliveryPoint):
            return None
        return Program.get_by_id(self.row.program_id).agency_id

    def where(self):
        """The condition on :class:`Slot` for this place's slots."""
        return (Slot.office == self.id) if self.kind == OFFICE else (Slot.point == self.id)

    @classmethod
    def of_slot(cls, slot: Slot) -> Place:
        if slot.office_id is not None:
            return cls(OFFICE, Office.get_by_id(slot.office_id))
        return cls(POINT, DeliveryPoint.get_by_id(slot.point_id))


def find_place(kind: str, place_id: int) -> Place | None:
    """An active office or delivery point, or None."""
    if kind == OFFICE:
        office = Office.get_or_none((Office.id == place_id) & Office.active)
        return Place(OFFICE, office) if office else None
    if kind == POINT:
        point = DeliveryPoint.get_or_none((DeliveryPoint.id == place_id) & DeliveryPoint.active)
        return Place(POINT, point) if point else None
    return None


def starts_at(slot: Slot) -> dt.datetime:
    return dt.datetime.combine(slot.day, slot.starts)


def is_past(slot: Slot, now: dt.datetime | None = None) -> bool:
    """A slot that has begun can no longer be booked."""
    return starts_at(slot) <= (now or local_now())


@dataclass(frozen=True)
class Run:
    """A run of slots to open: see :func:`open_slots`."""

    first_day: dt.date
    days: int
    starts: dt.time
    ends: dt.time
    length: int  # minutes
    capacity: int
    weekends: bool = False

    def times(self) -> list[tuple[dt.date, dt.time, dt.time]]:
        found = []
        for offset in range(self.days):
            day = self.first_day + dt.timedelta(days=offset)
            if not self.weekends and day.weekday() >= 5:
                continue
            moment = dt.datetime.combine(day, self.starts)
            last = dt.datetime.combine(day, self.ends)
            step = dt.timedelta(minutes=self.length)
            while moment + step <= last:
                found.append((day, moment.time(), (moment + step).time()))
                moment += step
        return found


def check_run(run: Run, now: dt.datetime) -> list[tuple[dt.date, dt.time, dt.time]]:
    """The run's times, or :class:`AppointmentError` naming the field at fault."""
    if run.first_day < now.date():
        raise AppointmentError(
            "desde", _l("Esa fecha ya pasó: elija hoy o un día que no haya pasado.")
        )
    if not 1 <= run.days <= MAX_DAYS:
        raise AppointmentError("dias", _l("Elija de 1 a %(most)s días.", most=MAX_DAYS))
    if not 1 <= run.capacity <= MAX_CAPACITY:
        raise AppointmentError(
            "capacidad", _l("El cupo va de 1 a %(most)s personas.", most=MAX_CAPACITY)
        )
    if not MIN_LENGTH <= run.length <= MAX_LENGTH:
        raise AppointmentError(
            "duracion",
            _l(
                "Cada horario dura de %(least)s a %(most)s minutos.",
                least=MIN_LENGTH,
                most=MAX_LENGTH,
            ),
        )
    if run.starts >= run.ends:
        raise AppointmentError("hasta", _l("La hora de fin debe ser después de la de inicio."))
    times = [t for t in run.times() if dt.datetime.combine(t[0], t[1]) > now]
    if not times:
        raise AppointmentError(
            "hasta",
            _l("Con esas horas no queda ningún horario por venir: revise los días y las horas."),
        )
    if len(times) > MAX_SLOTS:
        raise AppointmentError(
            "duracion", _l("Son demasiados horarios a la vez: abra menos días o más largos.")
        )
    return times


def open_slots(
    place: Place, run: Run, staff, *, now: dt.datetime | None = None, request_id: str = ""
) -> int:
    """Open the run's slots at ``place`` (past times are never opened); returns how
    many were new. Audited."""
    now = now or local_now()
    times = check_run(run, now)
    column = "office" if place.kind == OFFICE else "point"
    rows = [
        {
            "purpose": place.purpose,
            column: place.id,
            "day": day,
            "starts": starts,
            "ends": ends,
            "capacity": run.capacity,
            "created_by": staff.id,
        }
        for day, starts, ends in times
    ]
    with write():
        existing = {
            (s.day, s.starts)
            for s in Slot.select(Slot.day, Slot.starts).where(
                place.where()
                & (Slot.day >= run.first_day)
                & (Slot.day <= run.first_day + dt.timedelta(days=run.days))
            )
        }
        new = [r for r in rows if (r["day"], r["starts"]) not in existing]
        try:
            for start in range(0, len(new), 200):
                Slot.insert_many(new[start : start + 200]).execute()
        except IntegrityError as error:  # another run of the same place at the same moment
            raise AppointmentError(
                "desde",
                _l("Otra persona abrió horarios aquí al mismo tiempo: vuelva a intentarlo."),
                409,
            ) from error
        if not new:  # the same run again: nothing to record
            return 0
        audit.record(
            AuditAction.SLOTS_OPEN,
            audit.Actor.staff(staff),
            object_type=place.kind,
            object_id=place.id,
            details={
                "horarios": len(new),
                "cupo": run.capacity,
                "desde": run.first_day.isoformat(),
            },
            request_id=request_id,
        )
    return len(new)


def bookable(
    place: Place, *, now: dt.datetime | None = None, exclude: int | None = None
) -> list[Slot]:
    """The place's coming slots with a free place, soonest first (bounded: the
    horizon and ``SHOWN_SLOTS``; served by the place, day and start index)."""
    now = now or local_now()
    query = (
        Slot.select()
        .where(
            place.where()
            & (Slot.day >= now.date())
            & (Slot.day <= now.date() + dt.timedelta(days=BOOKING_HORIZON_DAYS))
            & (Slot.booked < Slot.capacity)
        )
        .order_by(Slot.day, Slot.starts)
        .limit(SHOWN_SLOTS)
    )
    return [s for s in query if not is_past(s, now) and s.id != exclude]


def upcoming(place: Place, *, now: dt.datetime | None = None) -> list[Slot]:
    """The place's slots from today on, full or not (the staff's page)."""
    now = now or local_now()
    return list(
        Slot.select()
        .where(place.where() & (Slot.day >= now.date()))
        .order_by(Slot.day, Slot.starts)
        .limit(SHOWN_SLOTS)
    )
