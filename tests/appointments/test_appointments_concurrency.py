"""Simultaneous bookings: the database lets exactly as many through as there
are places. Each thread has its own connection, as two web workers would; run
on SQLite by default and on PostgreSQL in the second pass."""

from __future__ import annotations

import datetime as dt

from portal.appointments import bookings
from portal.appointments.models import Booking, BookingStatus, Purpose, Slot
from portal.appointments.slots import AppointmentError
from portal.web.extensions import db
from tests.applications.test_applications_concurrency import run_together
from tests.appointments.builders import make_office, make_slot
from tests.factories import make_citizen

THREADS = 10


def test_two_people_booking_the_last_place_exactly_one_wins(app):
    slot = make_slot(make_office(), capacity=1)
    people = [make_citizen(), make_citizen()]
    db.close()
    outcomes = run_together(app, lambda c: bookings.book(c, slot.id, Purpose.VENTANILLA), people)
    db.connect(reuse_if_open=True)
    won = [o for o in outcomes if isinstance(o, Booking)]
    lost = [o for o in outcomes if isinstance(o, AppointmentError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert lost[0].status == 409
    assert Slot.get_by_id(slot.id).booked == 1
    assert Booking.select().count() == 1


def test_many_people_for_few_places_fill_them_exactly(app):
    slot = make_slot(make_office(), capacity=3)
    people = [make_citizen() for _ in range(THREADS)]
    db.close()
    outcomes = run_together(app, lambda c: bookings.book(c, slot.id, Purpose.VENTANILLA), people)
    db.connect(reuse_if_open=True)
    assert sum(isinstance(o, Booking) for o in outcomes) == 3, outcomes
    assert all(isinstance(o, Booking | AppointmentError) for o in outcomes), outcomes
    assert Slot.get_by_id(slot.id).booked == 3
    assert Booking.select().count() == 3


def test_one_person_booking_from_many_tabs_holds_one_place(app):
    office = make_office()
    slots = [make_slot(office, starts=dt.time(9 + i), capacity=5) for i in range(THREADS)]
    person = make_citizen()
    db.close()
    outcomes = run_together(app, lambda s: bookings.book(person, s.id, Purpose.VENTANILLA), slots)
    db.connect(reuse_if_open=True)
    assert sum(isinstance(o, Booking) for o in outcomes) == 1, outcomes
    assert sum(s.booked for s in Slot.select()) == 1
    assert Booking.select().where(Booking.status == BookingStatus.ACTIVA).count() == 1


def test_changes_racing_for_the_last_place_move_exactly_one(app):
    office = make_office()
    target = make_slot(office, starts=dt.time(16), capacity=1)
    starts = [make_slot(office, starts=dt.time(9 + i), capacity=1) for i in range(4)]
    held = [bookings.book(make_citizen(), s.id, Purpose.VENTANILLA) for s in starts]
    db.close()
    outcomes = run_together(app, lambda b: bookings.change(b, target.id), held)
    db.connect(reuse_if_open=True)
    assert sum(isinstance(o, Booking) for o in outcomes) == 1, outcomes
    assert Slot.get_by_id(target.id).booked == 1
    # Those who lost still hold their old place.
    assert sum(Slot.get_by_id(s.id).booked for s in starts) == 3
