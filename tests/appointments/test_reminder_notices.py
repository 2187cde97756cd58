"""The reminder as the person reads it: in the inbox (Spanish and the
interface's other language), and the queue's tasks that send it and sweep
the no-shows."""

from __future__ import annotations

import datetime as dt

from portal.appointments import bookings, tasks
from portal.appointments.models import Booking, BookingStatus, Purpose
from portal.appointments.slots import local_now
from portal.models import Notice
from tests.appointments.builders import make_office, make_slot
from tests.factories import make_application, make_citizen, make_delivery_point, make_program


def test_the_inbox_shows_the_reminder_with_its_link(login, app):
    citizen = make_citizen()
    slot = make_slot(make_office(name="Oficina Norte"), starts=dt.time(8, 15))
    booking = bookings.book(citizen, slot.id, Purpose.VENTANILLA)
    assert bookings.send_reminders(local_now().date()) == 1
    page = login(citizen).get("/avisos")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Recordatorio: tiene cita mañana" in body and "08:15" in body
    assert f"/citas/{booking.id}" in body


def test_a_delivery_reminder_names_the_application(app):
    program = make_program()
    point = make_delivery_point(program, name="Bodega Sur", address="Calle 1")
    application = make_application(program=program, status="aprobada")
    slot = make_slot(point=point)
    bookings.book(application.citizen, slot.id, Purpose.ENTREGA, application=application)
    bookings.send_reminders(local_now().date())
    notice = Notice.get()
    assert notice.application_id == application.id
    assert notice.facts["folio"] == application.folio
    assert "Bodega Sur (Calle 1)" in notice.body


def test_the_queue_tasks_remind_and_sweep(app):
    office = make_office()
    tomorrow = make_slot(office)
    ended = make_slot(office, day=local_now().date() - dt.timedelta(days=1))
    reminded = bookings.book(make_citizen(), tomorrow.id, Purpose.VENTANILLA)
    late = Booking.create(slot=ended, citizen=make_citizen(), purpose=Purpose.VENTANILLA)
    assert tasks._remind() == 1
    assert tasks._remind() == 0
    assert tasks._sweep() == 1
    assert Booking.get_by_id(late.id).status == BookingStatus.NO_ASISTIO
    assert Booking.get_by_id(reminded.id).reminded_at is not None
