"""Every appointments route, for every role: people book, change and cancel
their own bookings only; staff see only the places of their role and agency."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.appointments import bookings
from portal.appointments.models import Booking, BookingStatus, Purpose, Slot
from portal.appointments.slots import local_now
from portal.models import AuditEvent, StaffUser
from tests.appointments.builders import make_office, make_slot
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_delivery_point,
    make_program,
    make_staff,
)


def state_staff(role: str) -> StaffUser:
    staff = make_staff(role)
    StaffUser.update(agency=None).where(StaffUser.id == staff.id).execute()
    return StaffUser.get_by_id(staff.id)


@pytest.fixture
def world(app):
    agency = make_agency()
    program = make_program(agency)
    point = make_delivery_point(program, name="Bodega Norte")
    citizen = make_citizen()
    application = make_application(citizen, program, status="aprobada")
    office = make_office(name="Oficina Centro")
    return {
        "agency": agency,
        "program": program,
        "point": point,
        "citizen": citizen,
        "application": application,
        "office": office,
        "office_slot": make_slot(office, capacity=1),
        "point_slot": make_slot(point=point, capacity=2),
    }


def text(response) -> str:
    return response.get_data(as_text=True)


# People -----------------------------------------------------------------------


def test_my_appointments_lists_offices_and_my_bookings(login, world):
    client = login(world["citizen"])
    page = client.get("/citas")
    assert page.status_code == 200
    assert "Oficina Centro" in text(page)
    assert "No tiene citas vigentes" in text(page)


def test_booking_at_an_office_without_javascript(login, world):
    client = login(world["citizen"])
    office, slot = world["office"], world["office_slot"]
    form = client.get(f"/citas/oficina/{office.id}")
    assert form.status_code == 200
    assert f'value="{slot.id}"' in text(form)
    done = client.post(f"/citas/oficina/{office.id}", data={"horario": str(slot.id)})
    assert done.status_code == 303
    booking = Booking.get()
    assert done.headers["Location"].endswith(f"/citas/{booking.id}")
    page = client.get(f"/citas/{booking.id}")
    assert page.status_code == 200 and "Oficina Centro" in text(page)
    assert Slot.get_by_id(slot.id).booked == 1
    # With a live booking, the office page leads to it.
    again = client.get(f"/citas/oficina/{office.id}")
    assert again.status_code == 303


def test_booking_a_full_slot_says_so_with_409_and_writes_nothing(login, world):
    bookings.book(make_citizen(), world["office_slot"].id, Purpose.VENTANILLA)
    client = login(world["citizen"])
    refused = client.post(
        f"/citas/oficina/{world['office'].id}", data={"horario": str(world["office_slot"].id)}
    )
    assert refused.status_code == 409
    assert "Ese horario ya se llenó" in text(refused)
    assert Booking.select().where(Booking.citizen == world["citizen"].id).count() == 0


def test_booking_a_past_slot_says_so_with_422(login, world):
    past = make_slot(world["office"], day=local_now().date() - dt.timedelta(days=1))
    client = login(world["citizen"])
    refused = client.post(f"/citas/oficina/{world['office'].id}", data={"horario": str(past.id)})
    assert refused.status_code == 422
    assert "Ese horario ya pasó" in text(refused)
    assert Booking.select().count() == 0


@pytest.mark.parametrize("bad", ["", "x", "0", "99999"])
def test_booking_without_a_valid_choice_is_422_on_the_field(login, world, bad):
    client = login(world["citizen"])
    refused = client.post(f"/citas/oficina/{world['office'].id}", data={"horario": bad})
    assert refused.status_code == 422
    assert 'class="error-message"' in text(refused)
    assert Booking.select().count() == 0


def test_a_slot_of_another_office_or_of_a_point_is_refused(login, world):
    elsewhere = make_slot(make_office())
    client = login(world["citizen"])
    for slot in (elsewhere, world["point_slot"]):
        refused = client.post(
            f"/citas/oficina/{world['office'].id}", data={"horario": str(slot.id)}
        )
        assert refused.status_code == 422
        assert "Elija uno de los horarios de la lista" in text(refused)
    assert Booking.select().count() == 0
    assert client.get("/citas/oficina/99999").status_code == 404


def test_a_second_booking_for_the_same_purpose_is_409(login, world):
    client = login(world["citizen"])
    second = make_slot(world["office"], starts=dt.time(12))
    bookings.book(world["citizen"], world["office_slot"].id, Purpose.VENTANILLA)
    refused = client.post(f"/citas/oficina/{world['office'].id}", data={"horario": str(second.id)})
    assert refused.status_code == 409
    assert "ya tiene una cita" in text(refused)


def test_delivery_booking_from_the_approved_application(login, world):
    client = login(world["citizen"])
    folio = world["application"].folio
    detail = client.get(f"/mis-solicitudes/{folio}")
    assert f"/citas/entrega/{folio}" in text(detail)
    form = client.get(f"/citas/entrega/{folio}")
    assert form.status_code == 200 and "Bodega Norte" in text(form)
    done = client.post(f"/citas/entrega/{folio}", data={"horario": str(world["point_slot"].id)})
    assert done.status_code == 303
    booking = Booking.get()
    assert booking.application_id == world["application"].id
    assert f"/citas/{booking.id}" in text(client.get(f"/mis-solicitudes/{folio}"))
    assert client.get(f"/citas/entrega/{folio}").status_code == 303  # to the booking


def test_delivery_booking_is_404_for_an_unapproved_or_anothers_application(login, world):
    client = login(world["citizen"])
    pending = make_application(world["citizen"], make_program(), status="enviada")
    assert client.get(f"/citas/entrega/{pending.folio}").status_code == 404
    theirs = make_application(make_citizen(), world["program"], status="aprobada")
    assert client.get(f"/citas/entrega/{theirs.folio}").status_code == 404
    assert (
        client.post(
            f"/citas/entrega/{theirs.folio}", data={"horario": str(world["point_slot"].id)}
        ).status_code
        == 404
    )
    assert Booking.select().count() == 0


def test_change_and_cancel_my_booking(login, world):
    client = login(world["citizen"])
    booking = bookings.book(world["citizen"], world["office_slot"].id, Purpose.VENTANILLA)
    other = make_slot(world["office"], starts=dt.time(13))
    moved = client.post(f"/citas/{booking.id}/cambiar", data={"horario": str(other.id)})
    assert moved.status_code == 303
    assert Booking.get_by_id(booking.id).slot_id == other.id
    assert Slot.get_by_id(world["office_slot"].id).booked == 0
    gone = client.post(f"/citas/{booking.id}/cancelar")
    assert gone.status_code == 303
    assert Booking.get_by_id(booking.id).status == BookingStatus.CANCELADA
    assert Slot.get_by_id(other.id).booked == 0
    assert "Esta cita está cancelada" in text(client.get(f"/citas/{booking.id}"))


def test_change_to_a_full_slot_is_409_and_keeps_the_old_place(login, world):
    client = login(world["citizen"])
    full = make_slot(world["office"], starts=dt.time(14), capacity=1)
    bookings.book(make_citizen(), full.id, Purpose.VENTANILLA)
    booking = bookings.book(world["citizen"], world["office_slot"].id, Purpose.VENTANILLA)
    refused = client.post(f"/citas/{booking.id}/cambiar", data={"horario": str(full.id)})
    assert refused.status_code == 409
    assert "Ese horario ya se llenó" in text(refused)
    assert Booking.get_by_id(booking.id).slot_id == world["office_slot"].id
    assert client.post(f"/citas/{booking.id}/cambiar", data={"horario": ""}).status_code == 422


def test_another_persons_booking_is_404_on_every_route(login, world):
    theirs = bookings.book(make_citizen(), world["office_slot"].id, Purpose.VENTANILLA)
    other = make_slot(world["office"], starts=dt.time(15))
    client = login(world["citizen"])
    assert client.get(f"/citas/{theirs.id}").status_code == 404
    assert (
        client.post(f"/citas/{theirs.id}/cambiar", data={"horario": str(other.id)}).status_code
        == 404
    )
    assert client.post(f"/citas/{theirs.id}/cancelar").status_code == 404
    assert Booking.get_by_id(theirs.id).status == BookingStatus.ACTIVA
    assert client.get("/citas/424242").status_code == 404


@pytest.mark.parametrize("path", ["/citas", "/citas/oficina/1", "/citas/1"])
def test_citizen_pages_ask_to_sign_in_and_refuse_staff(client, login, world, path):
    assert client.get(path).status_code in (302, 401)
    login(make_staff("revisor"))
    assert client.get(path).status_code == 403


# Staff ------------------------------------------------------------------------


def test_staff_see_only_the_places_of_their_role_and_agency(login, world):
    other_point = make_delivery_point(make_program(make_agency()), name="Punto Ajeno")
    client = login(make_staff("admin_dependencia", agency=world["agency"]))
    page = text(client.get("/oficina/citas"))
    assert "Bodega Norte" in page and "Punto Ajeno" not in page and "Oficina Centro" not in page
    assert client.get(f"/oficina/citas/punto/{other_point.id}").status_code == 404
    assert client.get(f"/oficina/citas/punto/{other_point.id}/horarios").status_code == 404
    assert client.get(f"/oficina/citas/oficina/{world['office'].id}").status_code == 403
    client = login(state_staff("ventanilla_estatal"))
    page = text(client.get("/oficina/citas"))
    assert "Oficina Centro" in page and "Bodega Norte" not in page
    assert client.get(f"/oficina/citas/punto/{world['point'].id}").status_code == 403


@pytest.mark.parametrize("role", ["revisor", "supervisor", "secretaria"])
def test_other_roles_are_refused(login, world, role):
    client = login(make_staff(role, agency=world["agency"]))
    assert client.get("/oficina/citas").status_code == 403
    assert client.get(f"/oficina/citas/punto/{world['point'].id}").status_code == 403


def test_an_agency_admin_opens_a_week_of_slots(login, world):
    client = login(make_staff("admin_dependencia", agency=world["agency"]))
    url = f"/oficina/citas/punto/{world['point'].id}/horarios"
    assert client.get(url).status_code == 200
    first = local_now().date() + dt.timedelta(days=7)
    done = client.post(
        url,
        data={
            "desde": first.isoformat(),
            "dias": "7",
            "inicio": "09:00",
            "hasta": "10:00",
            "duracion": "30",
            "capacidad": "3",
        },
    )
    assert done.status_code == 303
    opened = Slot.select().where((Slot.point == world["point"].id) & (Slot.day >= first))
    assert opened.count() == 10  # five weekdays, two each
    assert AuditEvent.select().where(AuditEvent.action == "citas.horarios").count() == 1


def test_slots_in_the_past_cannot_be_opened(login, world):
    client = login(state_staff("admin_estatal"))
    url = f"/oficina/citas/oficina/{world['office'].id}/horarios"
    before = Slot.select().count()
    refused = client.post(
        url,
        data={
            "desde": (local_now().date() - dt.timedelta(days=1)).isoformat(),
            "dias": "1",
            "inicio": "09:00",
            "hasta": "10:00",
            "duracion": "30",
            "capacidad": "3",
        },
    )
    assert refused.status_code == 422
    assert "Esa fecha ya pasó" in text(refused)
    assert Slot.select().count() == before
    missing = client.post(url, data={"dias": "1"})
    assert missing.status_code == 422
    assert Slot.select().count() == before


def test_only_the_admin_of_the_kind_opens_slots(login, world):
    client = login(make_staff("entrega", agency=world["agency"]))
    assert client.get(f"/oficina/citas/punto/{world['point'].id}/horarios").status_code == 403
    client = login(state_staff("admin_estatal"))
    assert client.get(f"/oficina/citas/punto/{world['point'].id}/horarios").status_code == 403
    assert client.get(f"/oficina/citas/oficina/{world['office'].id}/horarios").status_code == 200
    client = login(make_staff("admin_dependencia", agency=make_agency()))
    assert client.get(f"/oficina/citas/punto/{world['point'].id}/horarios").status_code == 404


def test_the_day_list_shows_name_folio_time_and_marks_attendance(login, world):
    slot = make_slot(point=world["point"], day=local_now().date(), starts=dt.time(0, 0), capacity=2)
    Slot.update(starts=dt.time(0, 0), ends=dt.time(0, 30)).where(Slot.id == slot.id).execute()
    booking = Booking.create(
        slot=slot,
        citizen=world["citizen"],
        purpose=Purpose.ENTREGA,
        application=world["application"],
    )
    Slot.update(booked=1).where(Slot.id == slot.id).execute()
    operator = make_staff("entrega", agency=world["agency"])
    client = login(operator)
    page = client.get(f"/oficina/citas/punto/{world['point'].id}")
    assert page.status_code == 200
    body = text(page)
    assert world["citizen"].given_names in body
    assert world["application"].folio in body and "00:00" in body
    assert world["citizen"].curp not in body
    # Seeing the list is a view of the person's record (they read it in /mis-datos).
    assert AuditEvent.select().where(AuditEvent.action == "expediente.consulta").count() == 1
    marked = client.post(
        f"/oficina/citas/asistencia/{booking.id}", data={"asistencia": "no_asistio"}
    )
    assert marked.status_code == 303
    assert Booking.get_by_id(booking.id).status == BookingStatus.NO_ASISTIO
    assert Slot.get_by_id(slot.id).booked == 0
    bad = client.post(f"/oficina/citas/asistencia/{booking.id}", data={"asistencia": "quizas"})
    assert bad.status_code == 400


def test_another_agency_cannot_mark_attendance(login, world):
    booking = bookings.book(
        world["citizen"],
        world["point_slot"].id,
        Purpose.ENTREGA,
        application=world["application"],
    )
    client = login(make_staff("entrega", agency=make_agency()))
    refused = client.post(
        f"/oficina/citas/asistencia/{booking.id}", data={"asistencia": "atendida"}
    )
    assert refused.status_code == 404
    assert Booking.get_by_id(booking.id).status == BookingStatus.ACTIVA
    assert (
        client.post("/oficina/citas/asistencia/99999", data={"asistencia": "atendida"}).status_code
        == 404
    )


def test_a_bad_day_is_400(login, world):
    client = login(state_staff("ventanilla_estatal"))
    assert client.get(f"/oficina/citas/oficina/{world['office'].id}?fecha=ayer").status_code == 400
    assert client.get("/oficina/citas/lugar/1").status_code == 404


def test_the_counter_books_for_a_person_by_curp(login, world):
    client = login(state_staff("ventanilla_estatal"))
    url = f"/oficina/citas/oficina/{world['office'].id}/reservar"
    done = client.post(
        url, data={"curp": world["citizen"].curp.lower(), "horario": str(world["office_slot"].id)}
    )
    assert done.status_code == 303
    booking = Booking.get()
    assert booking.citizen_id == world["citizen"].id and booking.booked_by_id is not None
    unknown = client.post(url, data={"curp": "XXXX000000HQTRRR00", "horario": "1"})
    assert unknown.status_code == 422
    assert "No hay una persona registrada" in text(unknown)
    full = client.post(
        url, data={"curp": make_citizen().curp, "horario": str(world["office_slot"].id)}
    )
    assert full.status_code == 409
    elsewhere = make_slot(make_office())
    another_office = client.post(
        url, data={"curp": make_citizen().curp, "horario": str(elsewhere.id)}
    )
    assert another_office.status_code == 422
    assert Booking.select().count() == 1


def test_an_agency_books_a_delivery_for_its_beneficiary_only(login, world):
    client = login(make_staff("entrega", agency=world["agency"]))
    url = f"/oficina/citas/punto/{world['point'].id}/reservar"
    stranger = make_citizen()
    refused = client.post(url, data={"curp": stranger.curp, "horario": str(world["point_slot"].id)})
    assert refused.status_code == 422
    assert "No hay una solicitud aprobada" in text(refused)
    done = client.post(
        url, data={"curp": world["citizen"].curp, "horario": str(world["point_slot"].id)}
    )
    assert done.status_code == 303
    assert Booking.get().application_id == world["application"].id


def test_with_htmx_attendance_swaps_only_the_days_list(login, world):
    slot = make_slot(point=world["point"], day=local_now().date(), starts=dt.time(0, 0))
    Slot.update(ends=dt.time(0, 30), booked=1).where(Slot.id == slot.id).execute()
    booking = Booking.create(
        slot=slot,
        citizen=world["citizen"],
        purpose=Purpose.ENTREGA,
        application=world["application"],
    )
    client = login(make_staff("entrega", agency=world["agency"]))
    marked = client.post(
        f"/oficina/citas/asistencia/{booking.id}",
        data={"asistencia": "atendida"},
        headers={"HX-Request": "true"},
    )
    assert marked.status_code == 200
    body = text(marked)
    assert body.lstrip().startswith('<section id="lista-del-dia"')
    assert "Asistencia anotada." in body and "<html" not in body
    assert Booking.get_by_id(booking.id).status == BookingStatus.ATENDIDA


def test_a_future_days_list_offers_no_attendance_buttons(login, world):
    booking = bookings.book(
        world["citizen"], world["point_slot"].id, Purpose.ENTREGA, application=world["application"]
    )
    client = login(make_staff("entrega", agency=world["agency"]))
    day = world["point_slot"].day.isoformat()
    page = text(client.get(f"/oficina/citas/punto/{world['point'].id}?fecha={day}"))
    assert "Con cita" in page and 'value="no_asistio"' not in page
    refused = client.post(
        f"/oficina/citas/asistencia/{booking.id}",
        data={"asistencia": "no_asistio"},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422
    assert "Solo puede marcar la asistencia" in text(refused)
    assert Booking.get_by_id(booking.id).status == BookingStatus.ACTIVA
