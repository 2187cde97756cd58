"""Bookings: taking, changing, giving up and using a place in a slot.

Every write here is one transaction that takes or frees places with a
conditional update of the slot's counter (``booked = booked + 1 WHERE booked <
capacity``): of two people taking the last place, the update of one changes no
row, and that person is told the slot is full. Nothing else is written then.
A person holds one live booking per purpose: the partial unique index
``booking_one_live_per_purpose`` settles two tabs booking at once.

Who may book what:

* at an office (counter service): any person, for themselves, or staff of the
  state counter for them;
* at a delivery point: the holder of an approved application of the point's
  program, the parent or guardian who applied for them as a child
  (portal/applications/guardian.py; the booking is the child's), or the
  agency's staff for them.
"""

from __future__ import annotations

import datetime as dt

from peewee import JOIN, IntegrityError

from portal.applications import notices
from portal.appointments.models import Booking, BookingStatus, Office, Purpose, Slot
from portal.appointments.slots import OFFICE, AppointmentError, Place, is_past, local_now
from portal.backoffice import audit
from portal.catalog.models import DeliveryPoint
from portal.messages import _l
from portal.models import Application, Citizen, utcnow
from portal.vocabulary import ApplicationStatus, AuditAction
from portal.web.database import write
from portal.web.tables import Prepared
from portal.web.tables import Slot as Param

OBJECT = "cita"
# A booking still live this long after its slot ended is marked as a no-show.
NO_SHOW_GRACE = dt.timedelta(minutes=30)
SWEEP_BATCH = 500

FULL = _l("Ese horario ya se llenó. Elija otro horario.")
PAST = _l("Ese horario ya pasó. Elija un horario que no haya pasado.")
UNKNOWN = _l("Elija uno de los horarios de la lista.")
ALREADY = _l("Usted ya tiene una cita para esto. Puede cambiarla o cancelarla en «Mis citas».")
NOT_LIVE = _l("Esta cita ya no está vigente: no se puede cambiar.")


def _actor(citizen: Citizen | int, staff, by: Citizen | int | None = None) -> audit.Actor:
    """Staff, or the person acting: ``by`` (a guardian for their child) or ``citizen``."""
    if staff is not None:
        return audit.Actor.staff(staff)
    return audit.Actor.citizen(by if by is not None else citizen)


def _slot_for(slot_id: object, purpose: str, application: Application | None) -> Slot:
    """The slot a form names, if it may be booked for ``purpose`` (and, for a
    delivery, at a point of the application's program)."""
    try:
        slot = Slot.get_or_none(Slot.id == int(str(slot_id)))
    except ValueError:
        slot = None
    if slot is None or slot.purpose != purpose:
        raise AppointmentError("horario", UNKNOWN)
    if purpose == Purpose.ENTREGA:
        point = DeliveryPoint.get_or_none(
            (DeliveryPoint.id == slot.point_id) & DeliveryPoint.active
        )
        if application is None or point is None or point.program_id != application.program_id:
            raise AppointmentError("horario", UNKNOWN)
    elif not Office.get_or_none((Office.id == slot.office_id) & Office.active):
        raise AppointmentError("horario", UNKNOWN)
    return slot


def may_book_delivery(application: Application) -> bool:
    """An approved application whose program has an active delivery point."""
    return (
        application.status == ApplicationStatus.APROBADA
        and DeliveryPoint.select()
        .where((DeliveryPoint.program == application.program_id) & DeliveryPoint.active)
        .exists()
    )


def _take(slot: Slot) -> None:
    """Take one place of ``slot`` inside the caller's transaction, or refuse."""
    taken = (
        Slot.update(booked=Slot.booked + 1)
        .where((Slot.id == slot.id) & (Slot.booked < Slot.capacity))
        .execute()
    )
    if taken != 1:
        raise AppointmentError("horario", FULL, 409)


def _free(slot_id: int) -> None:
    Slot.update(booked=Slot.booked - 1).where((Slot.id == slot_id) & (Slot.booked > 0)).execute()


def live_booking(citizen_id: int, purpose: str) -> Booking | None:
    return Booking.get_or_none(
        (Booking.citizen == citizen_id)
        & (Booking.purpose == purpose)
        & (Booking.status == BookingStatus.ACTIVA)
    )


def book(
    citizen: Citizen,
    slot_id: object,
    purpose: str,
    *,
    application: Application | None = None,
    staff=None,
    guardian: Citizen | None = None,
    at: Place | None = None,
    now: dt.datetime | None = None,
    request_id: str = "",
) -> Booking:
    """Book a place in the slot ``slot_id`` for ``citizen`` (by staff when ``staff``
    is given, by the guardian who applied for them when ``guardian``; only at
    the place ``at`` when given), or raise :class:`AppointmentError`; nothing
    is written then."""
    now = now or local_now()
    if guardian is not None and (
        purpose != Purpose.ENTREGA or application is None or application.guardian_id != guardian.id
    ):
        raise AppointmentError("horario", UNKNOWN)
    if purpose == Purpose.ENTREGA and (
        application is None
        or application.citizen_id != citizen.id
        or not may_book_delivery(application)
    ):
        raise AppointmentError(
            "horario", _l("Podrá elegir su cita de entrega cuando su solicitud esté aprobada.")
        )
    slot = _slot_for(slot_id, purpose, application)
    if at is not None and at.id != (slot.office_id if at.kind == OFFICE else slot.point_id):
        raise AppointmentError("horario", UNKNOWN)
    if is_past(slot, now):
        raise AppointmentError("horario", PAST, 422)
    try:
        with write():
            if live_booking(citizen.id, purpose) is not None:
                raise AppointmentError("horario", ALREADY, 409)
            _take(slot)
            booking = Booking.create(
                slot=slot.id,
                citizen=citizen.id,
                purpose=purpose,
                application=application.id if application is not None else None,
                booked_by=staff.id if staff is not None else None,
            )
            audit.record(
                AuditAction.BOOKING_MADE,
                _actor(citizen, staff, guardian),
                object_type=OBJECT,
                object_id=booking.id,
                details={"horario": slot.id, "motivo": purpose},
                request_id=request_id,
            )
    except IntegrityError as error:  # the same person booking from two tabs at once
        raise AppointmentError("horario", ALREADY, 409) from error
    return booking


def change(
    booking: Booking,
    slot_id: object,
    *,
    staff=None,
    by: int | None = None,
    now: dt.datetime | None = None,
    request_id: str = "",
) -> Booking:
    """Move a live booking to another slot: the new place is taken and the old
    one freed in one transaction (when the new slot is full, nothing moves).
    ``by``: the person moving it, when not its holder (their guardian)."""
    now = now or local_now()
    if booking.status != BookingStatus.ACTIVA:
        raise AppointmentError("horario", NOT_LIVE, 409)
    application = Application.get_by_id(booking.application_id) if booking.application_id else None
    slot = _slot_for(slot_id, booking.purpose, application)
    if slot.id == booking.slot_id:
        raise AppointmentError("horario", _l("Ese es el horario que ya tiene. Elija otro."))
    if is_past(slot, now):
        raise AppointmentError("horario", PAST, 422)
    old = booking.slot_id
    with write():
        _take(slot)
        moved = (
            Booking.update(slot=slot.id, changed_at=utcnow(), reminded_at=None)
            .where(
                (Booking.id == booking.id)
                & (Booking.slot == old)
                & (Booking.status == BookingStatus.ACTIVA)
            )
            .execute()
        )
        if moved != 1:  # changed or cancelled meanwhile, from another tab
            raise AppointmentError("horario", NOT_LIVE, 409)
        _free(old)
        audit.record(
            AuditAction.BOOKING_CHANGE,
            _actor(booking.citizen_id, staff, by),
            object_type=OBJECT,
            object_id=booking.id,
            details={"antes": old, "ahora": slot.id},
            request_id=request_id,
        )
    return Booking.get_by_id(booking.id)


def _end(booking: Booking, status: str, action: str, actor: audit.Actor, request_id: str) -> bool:
    """Move a live booking to ``status`` once; the place is freed unless the person came."""
    with write():
        ended = (
            Booking.update(status=status, changed_at=utcnow())
            .where((Booking.id == booking.id) & (Booking.status == BookingStatus.ACTIVA))
            .execute()
        )
        if ended != 1:
            return False
        if status != BookingStatus.ATENDIDA:
            _free(booking.slot_id)
        audit.record(
            action,
            actor,
            object_type=OBJECT,
            object_id=booking.id,
            details={"horario": booking.slot_id},
            request_id=request_id,
        )
    return True


def cancel(booking: Booking, *, staff=None, by: int | None = None, request_id: str = "") -> bool:
    """Give up a live booking and free its place; False if it was no longer live.
    ``by``: the person giving it up, when not its holder (their guardian)."""
    return _end(
        booking,
        BookingStatus.CANCELADA,
        AuditAction.BOOKING_CANCEL,
        _actor(booking.citizen_id, staff, by),
        request_id,
    )


def mark(
    booking: Booking,
    attended: bool,
    staff,
    *,
    now: dt.datetime | None = None,
    request_id: str = "",
) -> bool:
    """Staff say whether the person came; a no-show frees the place. Only on or
    after the slot's day."""
    now = now or local_now()
    slot = Slot.get_by_id(booking.slot_id)
    if slot.day > now.date():
        raise AppointmentError(
            "asistencia", _l("Solo puede marcar la asistencia el día de la cita o después."), 409
        )
    if attended:
        return _end(
            booking,
            BookingStatus.ATENDIDA,
            AuditAction.BOOKING_ATTENDED,
            audit.Actor.staff(staff),
            request_id,
        )
    return _end(
        booking,
        BookingStatus.NO_ASISTIO,
        AuditAction.BOOKING_NO_SHOW,
        audit.Actor.staff(staff),
        request_id,
    )


def sweep_no_shows(now: dt.datetime | None = None, grace: dt.timedelta = NO_SHOW_GRACE) -> int:
    """Mark as no-shows the live bookings whose slot ended more than ``grace``
    ago, freeing their places (the queue's task, portal/appointments/tasks.py)."""
    now = now or local_now()
    cutoff = now - grace
    found = 0
    while True:
        rows = list(
            Booking.select(Booking.id, Booking.slot)
            .join(Slot, on=(Booking.slot == Slot.id))
            .where(
                (Booking.status == BookingStatus.ACTIVA)
                & (
                    (Slot.day < cutoff.date())
                    | ((Slot.day == cutoff.date()) & (Slot.ends <= cutoff.time()))
                )
            )
            .order_by(Booking.id)
            .limit(SWEEP_BATCH)
        )
        for row in rows:
            if _end(row, BookingStatus.NO_ASISTIO, AuditAction.BOOKING_NO_SHOW, audit.SYSTEM, ""):
                found += 1
        if len(rows) < SWEEP_BATCH:
            return found


def when_and_where(slot: Slot) -> dict[str, str]:
    """What a notice says of the slot: day (ISO), times, place and address."""
    place = Place.of_slot(slot)
    return {
        "day": slot.day.isoformat(),
        "starts": slot.starts.strftime("%H:%M"),
        "ends": slot.ends.strftime("%H:%M"),
        "place": place.name,
        "address": place.address,
    }


def send_reminders(today: dt.date | None = None) -> int:
    """Remind every live booking of tomorrow, once: each booking is claimed with a
    conditional update of ``reminded_at`` in the transaction that writes its
    notice, so running the task twice sends nothing twice."""
    today = today or local_now().date()
    tomorrow = today + dt.timedelta(days=1)
    due = (
        Booking.select(Booking.id)
        .join(Slot, on=(Booking.slot == Slot.id))
        .where(
            (Slot.day == tomorrow)
            & (Booking.status == BookingStatus.ACTIVA)
            & Booking.reminded_at.is_null()
        )
        .order_by(Booking.id)
    )
    told = 0
    for row in list(due):
        with write():
            claimed = (
                Booking.update(reminded_at=utcnow())
                .where(
                    (Booking.id == row.id)
                    & (Booking.status == BookingStatus.ACTIVA)
                    & Booking.reminded_at.is_null()
                )
                .execute()
            )
            if claimed != 1:
                continue
            booking = Booking.get_by_id(row.id)
            notices.appointment_notice(booking, "recordatorio", when_and_where(booking.slot))
            told += 1
    notices.wake()
    return told


def of_citizen(citizen_id: int) -> list[Booking]:
    """The person's live bookings with their slots (at most one per purpose)."""
    return list(
        Booking.select(Booking, Slot)
        .join(Slot, on=(Booking.slot == Slot.id))
        .where((Booking.citizen == citizen_id) & (Booking.status == BookingStatus.ACTIVA))
        .order_by(Slot.day, Slot.starts)
    )


def of_follower(citizen_id: int) -> list[Booking]:
    """:func:`of_citizen` and the live delivery bookings of the children's
    applications the person made as guardian (each read by an index)."""
    of_children = (
        Booking.select(Booking, Slot)
        .join(Slot, on=(Booking.slot == Slot.id))
        .join_from(Booking, Application, on=(Booking.application == Application.id))
        .where((Application.guardian == citizen_id) & (Booking.status == BookingStatus.ACTIVA))
    )
    return sorted(
        [*of_citizen(citizen_id), *of_children], key=lambda b: (b.slot.day, b.slot.starts)
    )


# Every approved person's application page asks: prepared once (building the
# joined statement was a sixth of that page's time).
_BOOKING_FOR = Prepared(
    lambda: (
        Booking.select(Booking, Slot)
        .join(Slot, on=(Booking.slot == Slot.id))
        .where(
            (Booking.application == Param("application")) & (Booking.status == BookingStatus.ACTIVA)
        )
        .limit(1)
    )
)


def for_application(application: Application) -> Booking | None:
    """The live delivery booking made for ``application``, if any."""
    return next(iter(_BOOKING_FOR(application=application.id)), None)


def day_list(place: Place, day: dt.date) -> list[Booking]:
    """Everyone booked at ``place`` on ``day`` (live, attended or no-show), by time."""
    return list(
        Booking.select(Booking, Slot, Citizen, Application)
        .join(Slot, on=(Booking.slot == Slot.id))
        .switch(Booking)
        .join(Citizen, on=(Booking.citizen == Citizen.id))
        .switch(Booking)
        .join(Application, on=(Booking.application == Application.id), join_type=JOIN.LEFT_OUTER)
        .where(place.where() & (Slot.day == day) & (Booking.status != BookingStatus.CANCELADA))
        .order_by(Slot.starts, Booking.id)
    )
