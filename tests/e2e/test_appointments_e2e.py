"""Appointments in Chromium: a person books counter service at an office,
changes the time and cancels (with JavaScript on, axe on every page); without
JavaScript a beneficiary books the delivery from the application page and a
full slot is refused with its message; the operator sees the day's list and
marks a no-show, which frees the place."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from portal.appointments import bookings
from portal.appointments.models import Booking, BookingStatus, Purpose, Slot
from portal.appointments.slots import local_now
from portal.models import StaffUser
from portal.web.extensions import db
from tests.appointments.builders import make_office, make_slot
from tests.factories import make_application, make_citizen, make_delivery_world, make_staff

from .conftest import assert_accessible, portal_of_its_own
from .test_delivery_e2e import signed_in


@pytest.fixture(scope="module")
def appointments_server(tmp_path_factory):
    """A portal of its own, with none of the demo data."""
    with portal_of_its_own(tmp_path_factory.mktemp("citas-e2e")) as (app, address):
        db.connect(reuse_if_open=True)
        yield app, address


def _day(offset: int) -> dt.date:
    return local_now().date() + dt.timedelta(days=offset)


def test_a_person_books_changes_and_cancels_counter_service(browser, appointments_server):
    _, base_url = appointments_server
    office = make_office(name="Oficina de Atención Centro")
    first = make_slot(office, day=_day(2), starts=dt.time(9, 0), capacity=2)
    second = make_slot(office, day=_day(3), starts=dt.time(11, 30), capacity=2)
    citizen = make_citizen(given_names="Lucía")

    page = signed_in(browser, base_url, citizen).new_page()
    page.goto("/")
    page.get_by_role("link", name="Pida una cita en una oficina").first.click()
    expect(page.locator("h1")).to_have_text("Mis citas")
    assert_accessible(page)
    page.get_by_role("link", name="Oficina de Atención Centro").click()
    expect(page.locator("h1")).to_have_text("Cita en Oficina de Atención Centro")
    assert_accessible(page)
    # Sent without a choice: the message is on the field.
    page.get_by_role("button", name="Reservar mi cita").click()
    expect(page.locator(".error-summary")).to_contain_text("Elija un horario de la lista.")
    assert_accessible(page)
    page.select_option("#horario", str(first.id))
    page.get_by_role("button", name="Reservar mi cita").click()
    expect(page.locator(".notice-ok")).to_contain_text("su cita quedó reservada")
    expect(page.locator("main")).to_contain_text("de 09:00 a 09:30")
    assert_accessible(page)

    page.select_option("#horario", str(second.id))
    page.get_by_role("button", name="Cambiar mi cita").click()
    expect(page.locator(".notice-ok")).to_contain_text("cambiamos su cita")
    expect(page.locator("main")).to_contain_text("de 11:30 a 12:00")
    assert_accessible(page)
    assert (Slot.get_by_id(first.id).booked, Slot.get_by_id(second.id).booked) == (0, 1)

    page.get_by_role("button", name="Cancelar mi cita").click()
    expect(page.locator("h1")).to_have_text("Mis citas")
    expect(page.locator(".notice-ok")).to_contain_text("Cancelamos su cita")
    expect(page.locator("main")).to_contain_text("No tiene citas vigentes.")
    assert_accessible(page)
    assert Slot.get_by_id(second.id).booked == 0


def test_without_javascript_a_beneficiary_books_the_delivery_and_a_full_slot_is_refused(
    browser, appointments_server
):
    _, base_url = appointments_server
    world = make_delivery_world(name="Apoyo Alimentario")
    point, application = world["point"], world["application"]
    last_place = make_slot(point=point, day=_day(4), starts=dt.time(10), capacity=1)
    roomy = make_slot(point=point, day=_day(5), starts=dt.time(12), capacity=3)

    context = signed_in(browser, base_url, world["citizen"], javascript=False)
    page = context.new_page()
    page.goto(f"/mis-solicitudes/{application.folio}")
    page.get_by_role("link", name="Elegir día y hora para recoger su apoyo").click()
    expect(page.locator("h1")).to_have_text("Cita para recoger su apoyo")
    page.select_option("#horario", str(last_place.id))
    # Someone else takes the last place while the form is open.
    other = make_application(program=world["program"], status="aprobada")
    bookings.book(other.citizen, last_place.id, Purpose.ENTREGA, application=other)
    page.get_by_role("button", name="Reservar mi cita").click()
    expect(page.locator(".error-summary")).to_contain_text("Ese horario ya se llenó")
    assert Booking.select().where(Booking.citizen == world["citizen"].id).count() == 0
    page.select_option("#horario", str(roomy.id))
    page.get_by_role("button", name="Reservar mi cita").click()
    expect(page.locator(".notice-ok")).to_contain_text("su cita quedó reservada")
    expect(page.locator("main")).to_contain_text(application.folio)
    context.close()

    # axe needs JavaScript: the same pages, checked with it on.
    checked = signed_in(browser, base_url, world["citizen"]).new_page()
    checked.goto(f"/mis-solicitudes/{application.folio}")
    expect(checked.locator("main")).to_contain_text("Su cita para recoger el apoyo")
    assert_accessible(checked)


def test_the_operator_marks_a_no_show_and_the_place_is_freed(browser, appointments_server):
    _, base_url = appointments_server
    world = make_delivery_world(name="Apoyo Escolar")
    slot = make_slot(point=world["point"], day=_day(0), starts=dt.time(0, 0), capacity=2)
    booking = Booking.create(
        slot=slot,
        citizen=world["citizen"],
        purpose=Purpose.ENTREGA,
        application=world["application"],
    )
    Slot.update(booked=1).where(Slot.id == slot.id).execute()
    operator = world["operator"]

    page = signed_in(browser, base_url, operator, javascript=False).new_page()
    page.goto("/oficina/citas")
    page.get_by_role("link", name="Citas de hoy").first.click()
    table = page.locator("#citas")
    expect(table).to_contain_text(world["citizen"].given_names)
    expect(table).to_contain_text(world["application"].folio)
    table.get_by_role("button", name="No vino").click()
    expect(page.locator(".notice-ok")).to_contain_text("Asistencia anotada")
    assert Booking.get_by_id(booking.id).status == BookingStatus.NO_ASISTIO
    assert Slot.get_by_id(slot.id).booked == 0

    # With JavaScript, the buttons swap the day's list in place (htmx).
    other = make_application(program=world["program"], status="aprobada")
    came = Booking.create(
        slot=slot, citizen=other.citizen, purpose=Purpose.ENTREGA, application=other
    )
    Slot.update(booked=1).where(Slot.id == slot.id).execute()
    admin = make_staff("admin_dependencia", agency=world["agency"])
    checked = signed_in(browser, base_url, admin).new_page()
    checked.goto(f"/oficina/citas/punto/{world['point'].id}")
    assert_accessible(checked)
    address = checked.url
    checked.locator("#citas").get_by_role("button", name="Vino").first.click()
    expect(checked.locator("#lista-del-dia .notice-ok")).to_have_text("Asistencia anotada.")
    assert checked.url == address
    assert Booking.get_by_id(came.id).status == BookingStatus.ATENDIDA
    assert Slot.get_by_id(slot.id).booked == 1
    assert_accessible(checked)
    checked.goto(f"/oficina/citas/punto/{world['point'].id}/horarios")
    checked.fill("#desde", _day(7).isoformat())
    checked.get_by_role("button", name="Abrir los horarios").click()
    expect(checked.locator(".notice-ok")).to_contain_text("Abrimos")
    assert_accessible(checked)


def test_the_state_counter_books_for_a_person_without_javascript(browser, appointments_server):
    _, base_url = appointments_server
    office = make_office(name="Oficina de Atención Sur")
    slot = make_slot(office, day=_day(2), starts=dt.time(13, 0), capacity=1)
    person = make_citizen(given_names="Rosa")
    clerk = make_staff("ventanilla_estatal")
    StaffUser.update(agency=None).where(StaffUser.id == clerk.id).execute()

    page = signed_in(browser, base_url, clerk, javascript=False).new_page()
    page.goto("/oficina/citas")
    row = page.locator("#lugares tr", has_text="Oficina de Atención Sur")
    row.get_by_role("link", name="Citas de hoy").click()
    expect(page.locator("h1")).to_have_text("Citas en Oficina de Atención Sur")
    page.get_by_label("CURP de la persona").fill(person.curp)
    page.select_option("#horario", str(slot.id))
    page.get_by_role("button", name="Reservar la cita").click()
    expect(page.locator(".notice-ok")).to_contain_text("Cita reservada para la persona")
    expect(page.locator("#citas")).to_contain_text("Rosa")
    assert Booking.get(Booking.citizen == person.id).booked_by_id == clerk.id

    checked = signed_in(browser, base_url, clerk).new_page()
    checked.goto(f"/oficina/citas/oficina/{office.id}?fecha={_day(2).isoformat()}")
    expect(checked.locator("#citas")).to_contain_text("Rosa")
    assert_accessible(checked)
    checked.goto("/oficina/citas")
    assert_accessible(checked)
