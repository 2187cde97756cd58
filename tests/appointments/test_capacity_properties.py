"""Whatever the sequence of bookings, changes, cancellations, attendance marks
and no-show sweeps, a slot never holds more people than its capacity, and its
counter always equals the live and attended bookings in it (a Hypothesis state
machine over the real domain functions and database)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from peewee import fn

from portal.appointments import bookings
from portal.appointments.models import Booking, BookingStatus, Office, Purpose, Slot
from portal.appointments.slots import AppointmentError
from portal.models import AuditEvent, Citizen, Notice, Outbox, StaffUser
from tests.appointments.builders import make_office, make_slot
from tests.factories import make_citizen, make_staff

DAY = dt.date(2031, 3, 4)
BEFORE = dt.datetime(2031, 3, 3, 12)
ON_THE_DAY = dt.datetime.combine(DAY, dt.time(9, 0))
AFTER = dt.datetime.combine(DAY, dt.time(23, 0))
PEOPLE, SLOTS = 5, 3


def _reset() -> None:
    for model in (Booking, Slot, Office, Notice, Outbox, AuditEvent, Citizen, StaffUser):
        model.delete().execute()


class Bookings(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        _reset()
        office = make_office()
        self.slots = [
            make_slot(office, day=DAY, starts=dt.time(10 + i), capacity=c)
            for i, c in enumerate((1, 2, 3)[:SLOTS])
        ]
        self.people = [make_citizen() for _ in range(PEOPLE)]
        self.staff = make_staff("ventanilla_estatal", agency=None)
        self.now = BEFORE

    def _live(self, person):
        return bookings.live_booking(person.id, Purpose.VENTANILLA)

    @rule(person=st.integers(0, PEOPLE - 1), slot=st.integers(0, SLOTS - 1))
    def book(self, person, slot):
        try:
            bookings.book(
                self.people[person], self.slots[slot].id, Purpose.VENTANILLA, now=self.now
            )
        except AppointmentError:
            pass

    @rule(person=st.integers(0, PEOPLE - 1), slot=st.integers(0, SLOTS - 1))
    def change(self, person, slot):
        live = self._live(self.people[person])
        if live is None:
            return
        try:
            bookings.change(live, self.slots[slot].id, now=self.now)
        except AppointmentError:
            pass

    @rule(person=st.integers(0, PEOPLE - 1))
    def cancel(self, person):
        live = self._live(self.people[person])
        if live is not None:
            bookings.cancel(live)

    @rule(person=st.integers(0, PEOPLE - 1), attended=st.booleans())
    def mark(self, person, attended):
        live = self._live(self.people[person])
        if live is None:
            return
        try:
            bookings.mark(live, attended, self.staff, now=self.now)
        except AppointmentError:
            assert self.now < ON_THE_DAY

    @rule(moment=st.sampled_from([BEFORE, ON_THE_DAY, AFTER]))
    def time_passes(self, moment):
        self.now = max(self.now, moment)

    @rule()
    def sweep(self):
        bookings.sweep_no_shows(self.now)

    @invariant()
    def never_over_capacity_and_counted_right(self):
        holding = dict(
            Booking.select(Booking.slot, fn.COUNT(Booking.id))
            .where(Booking.status.in_([BookingStatus.ACTIVA, BookingStatus.ATENDIDA]))
            .group_by(Booking.slot)
            .tuples()
        )
        for slot in Slot.select():
            assert 0 <= slot.booked <= slot.capacity
            assert slot.booked == holding.get(slot.id, 0)

    @invariant()
    def one_live_booking_per_person(self):
        live = (
            Booking.select(Booking.citizen, fn.COUNT(Booking.id))
            .where(Booking.status == BookingStatus.ACTIVA)
            .group_by(Booking.citizen)
            .tuples()
        )
        assert all(count == 1 for _, count in live)


def test_bookings_never_exceed_capacity_whatever_the_sequence(app):
    run_state_machine_as_test(
        Bookings,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
