"""Booking, changing, cancelling and marking attendance: the domain's rules."""

from __future__ import annotations

import datetime as dt

import pytest
from peewee import IntegrityError

from portal.appointments import bookings
from portal.appointments.models import Booking, BookingStatus, Purpose, Slot
from portal.appointments.slots import AppointmentError, local_now
from portal.models import AuditEvent, Notice, Outbox
from tests.appointments.builders import make_office, make_slot, tomorrow
from tests.factories import (
    make_application,
    make_citizen,
    make_delivery_point,
    make_program,
    make_staff,
)


def booked(slot: Slot) -> int:
    return Slot.get_by_id(slot.id).booked


def test_booking_takes_a_place_and_is_audited_without_personal_data(app):
    slot = make_slot(make_office())
    citizen = make_citizen()
    booking = bookings.book(citizen, slot.id, Purpose.VENTANILLA)
    assert booking.status == BookingStatus.ACTIVA
    assert booked(slot) == 1
    entry = AuditEvent.get(AuditEvent.action == "cita.reservada")
    assert entry.object_id == str(booking.id)
    assert citizen.curp not in str(entry.details)


def test_a_full_slot_is_refused_with_409_and_nothing_is_written(app):
    slot = make_slot(make_office(), capacity=1)
    bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA)
    before = Booking.select().count()
    with pytest.raises(AppointmentError) as refused:
        bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA)
    assert refused.value.status == 409
    assert "se llenó" in refused.value.message
    assert Booking.select().count() == before
    assert booked(slot) == 1


def test_a_past_slot_is_refused_with_422(app):
    yesterday = local_now().date() - dt.timedelta(days=1)
    slot = make_slot(make_office(), day=yesterday)
    with pytest.raises(AppointmentError) as refused:
        bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA)
    assert refused.value.status == 422
    assert "ya pasó" in refused.value.message
    assert booked(slot) == 0 and Booking.select().count() == 0


def test_a_slot_that_began_today_is_past(app):
    slot = make_slot(make_office(), day=tomorrow(), starts=dt.time(10))
    just_after = dt.datetime.combine(tomorrow(), dt.time(10, 1))
    with pytest.raises(AppointmentError):
        bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA, now=just_after)


def test_one_live_booking_per_person_and_purpose(app):
    office = make_office()
    first, second = make_slot(office), make_slot(office, starts=dt.time(11))
    citizen = make_citizen()
    bookings.book(citizen, first.id, Purpose.VENTANILLA)
    with pytest.raises(AppointmentError) as refused:
        bookings.book(citizen, second.id, Purpose.VENTANILLA)
    assert refused.value.status == 409
    assert booked(second) == 0


def test_the_database_refuses_a_second_live_booking_by_itself(app):
    office = make_office()
    citizen = make_citizen()
    slot = make_slot(office)
    Booking.create(slot=slot, citizen=citizen, purpose=Purpose.VENTANILLA)
    with pytest.raises(IntegrityError):
        Booking.create(slot=slot, citizen=citizen, purpose=Purpose.VENTANILLA)


def test_the_counter_never_passes_capacity_in_the_database(app):
    slot = make_slot(make_office(), capacity=1)
    with pytest.raises(IntegrityError):
        Slot.update(booked=2).where(Slot.id == slot.id).execute()


@pytest.mark.parametrize("bad", ["", "abc", "999999", "-1", "1.5"])
def test_bad_slot_ids_are_refused(app, bad):
    with pytest.raises(AppointmentError) as refused:
        bookings.book(make_citizen(), bad, Purpose.VENTANILLA)
    assert refused.value.status == 422
    assert Booking.select().count() == 0


def test_an_office_slot_cannot_be_booked_as_a_delivery_or_the_other_way(app):
    program = make_program()
    point = make_delivery_point(program)
    citizen = make_citizen()
    application = make_application(citizen, program, status="aprobada")
    office_slot = make_slot(make_office())
    point_slot = make_slot(point=point)
    with pytest.raises(AppointmentError):
        bookings.book(citizen, office_slot.id, Purpose.ENTREGA, application=application)
    with pytest.raises(AppointmentError):
        bookings.book(citizen, point_slot.id, Purpose.VENTANILLA)


def test_a_delivery_booking_needs_an_approved_application_of_the_points_program(app):
    program = make_program()
    point = make_delivery_point(program)
    other_point = make_delivery_point(make_program())
    citizen = make_citizen()
    pending = make_application(citizen, program, status="enviada")
    slot = make_slot(point=point)
    with pytest.raises(AppointmentError):
        bookings.book(citizen, slot.id, Purpose.ENTREGA, application=pending)
    approved = make_application(make_citizen(), program, status="aprobada")
    with pytest.raises(AppointmentError):  # someone else's application
        bookings.book(citizen, slot.id, Purpose.ENTREGA, application=approved)
    with pytest.raises(AppointmentError):  # another program's point
        bookings.book(
            approved.citizen, make_slot(point=other_point).id, Purpose.ENTREGA, application=approved
        )
    booking = bookings.book(approved.citizen, slot.id, Purpose.ENTREGA, application=approved)
    assert booking.application_id == approved.id
    found = bookings.for_application(approved)
    assert found.id == booking.id
    assert "slot" in found.__rel__ and found.slot.day == slot.day  # read with it, not after
    bookings.cancel(booking)  # a cancelled booking is no longer the application's
    assert bookings.for_application(approved) is None


def test_change_takes_the_new_place_and_frees_the_old_one(app):
    office = make_office()
    old, new = make_slot(office), make_slot(office, starts=dt.time(12))
    booking = bookings.book(make_citizen(), old.id, Purpose.VENTANILLA)
    moved = bookings.change(booking, new.id)
    assert moved.slot_id == new.id
    assert (booked(old), booked(new)) == (0, 1)


def test_change_to_a_full_slot_moves_nothing(app):
    office = make_office()
    old, full = make_slot(office), make_slot(office, starts=dt.time(12), capacity=1)
    bookings.book(make_citizen(), full.id, Purpose.VENTANILLA)
    booking = bookings.book(make_citizen(), old.id, Purpose.VENTANILLA)
    with pytest.raises(AppointmentError) as refused:
        bookings.change(booking, full.id)
    assert refused.value.status == 409
    assert Booking.get_by_id(booking.id).slot_id == old.id
    assert (booked(old), booked(full)) == (1, 1)


def test_change_to_the_same_slot_or_a_past_one_or_of_a_dead_booking_is_refused(app):
    office = make_office()
    slot = make_slot(office)
    past = make_slot(office, day=local_now().date() - dt.timedelta(days=2))
    booking = bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA)
    with pytest.raises(AppointmentError):
        bookings.change(booking, slot.id)
    with pytest.raises(AppointmentError):
        bookings.change(booking, past.id)
    bookings.cancel(booking)
    with pytest.raises(AppointmentError) as refused:
        bookings.change(Booking.get_by_id(booking.id), make_slot(office, starts=dt.time(15)).id)
    assert refused.value.status == 409


def test_cancel_frees_the_place_once(app):
    slot = make_slot(make_office(), capacity=1)
    booking = bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA)
    assert bookings.cancel(booking) is True
    assert bookings.cancel(booking) is False
    assert booked(slot) == 0
    # The place is free again for someone else, and the person may book again.
    bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA)
    assert booked(slot) == 1


def test_marking_a_no_show_frees_the_place_and_attended_keeps_it(app):
    office = make_office()
    staff = make_staff("ventanilla_estatal", agency=None)
    slot = make_slot(office, capacity=3)
    came = bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA)
    absent = bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA)
    on_the_day = dt.datetime.combine(slot.day, dt.time(12))
    assert bookings.mark(came, True, staff, now=on_the_day)
    assert bookings.mark(absent, False, staff, now=on_the_day)
    assert not bookings.mark(absent, True, staff, now=on_the_day)  # once
    assert booked(slot) == 1
    assert Booking.get_by_id(came.id).status == BookingStatus.ATENDIDA
    assert Booking.get_by_id(absent.id).status == BookingStatus.NO_ASISTIO
    assert AuditEvent.select().where(AuditEvent.action == "cita.no_asistio").count() == 1


def test_attendance_cannot_be_marked_before_the_day(app):
    slot = make_slot(make_office())
    booking = bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA)
    staff = make_staff("ventanilla_estatal", agency=None)
    with pytest.raises(AppointmentError):
        bookings.mark(booking, False, staff)
    assert booked(slot) == 1


def test_the_sweep_marks_no_shows_after_the_grace_and_frees_their_places(app):
    office = make_office()
    slot = make_slot(office, starts=dt.time(10), minutes=30)
    later = make_slot(office, starts=dt.time(16))
    booking = bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA)
    waiting = bookings.book(make_citizen(), later.id, Purpose.VENTANILLA)
    within_grace = dt.datetime.combine(slot.day, dt.time(10, 50))
    assert bookings.sweep_no_shows(within_grace) == 0
    after_grace = dt.datetime.combine(slot.day, dt.time(11, 1))
    assert bookings.sweep_no_shows(after_grace) == 1
    assert bookings.sweep_no_shows(after_grace) == 0  # idempotent
    assert Booking.get_by_id(booking.id).status == BookingStatus.NO_ASISTIO
    assert Booking.get_by_id(waiting.id).status == BookingStatus.ACTIVA
    assert (booked(slot), booked(later)) == (0, 1)


def test_reminders_go_once_to_tomorrows_bookings(app):
    office = make_office(name="Oficina Centro", address="Av. 5 de Mayo 75")
    today = local_now().date()
    slot = make_slot(office, day=today + dt.timedelta(days=1), starts=dt.time(9, 30))
    later = make_slot(office, day=today + dt.timedelta(days=3))
    citizen = make_citizen(notify_channel="email")
    booking = bookings.book(citizen, slot.id, Purpose.VENTANILLA)
    bookings.book(make_citizen(), later.id, Purpose.VENTANILLA)
    cancelled = bookings.book(make_citizen(), slot.id, Purpose.VENTANILLA)
    bookings.cancel(cancelled)
    assert bookings.send_reminders(today) == 1
    assert bookings.send_reminders(today) == 0  # twice: nothing sent twice
    notice = Notice.get(Notice.citizen == citizen.id)
    assert notice.kind == "cita"
    assert "09:30" in notice.body and "Oficina Centro" in notice.body
    assert notice.link == f"/citas/{booking.id}"
    assert [o.channel for o in Outbox.select().where(Outbox.notice == notice.id)] == ["email"]
    assert Notice.select().count() == 1


def test_a_changed_booking_is_reminded_again_for_its_new_day(app):
    office = make_office()
    today = local_now().date()
    first = make_slot(office, day=today + dt.timedelta(days=1))
    booking = bookings.book(make_citizen(), first.id, Purpose.VENTANILLA)
    assert bookings.send_reminders(today) == 1
    second = make_slot(office, day=today + dt.timedelta(days=2))
    bookings.change(booking, second.id)
    assert bookings.send_reminders(today + dt.timedelta(days=1)) == 1
