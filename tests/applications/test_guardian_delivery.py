"""An approved child's credential and delivery appointment, reached by the
parent or guardian who applied for the child (portal/applications/guardian.py).

The guardian of that application and the child's own account reach them;
another citizen and staff get 404 or are refused. Booking for the child
makes the child's booking, audited as the guardian's act; its notices reach
the guardian, as the application's do.
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal.appointments import bookings
from portal.appointments.models import Booking, BookingStatus, Purpose
from portal.appointments.slots import AppointmentError
from portal.delivery import handover as delivery
from portal.eligibility.household import born_years_ago
from portal.models import AuditEvent, Notice
from portal.vocabulary import AuditAction
from tests.appointments.builders import make_office, make_slot, tomorrow
from tests.conftest import sign_in_as
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_delivery_point,
    make_program,
    make_staff,
    valid_curp,
)
from tests.support.html import html

TODAY = dt.date.today()


@pytest.fixture
def world(app):
    agency = make_agency(slug="sedesoq")
    program = make_program(agency)
    point = make_delivery_point(program, name="Bodega Norte")
    guardian = make_citizen(birth_date=dt.date(1988, 2, 3))
    born = born_years_ago(8, TODAY)
    child = make_citizen(
        curp=valid_curp(born, "H"), birth_date=born, sex="H", given_names="Luis", origin="tutor"
    )
    application = make_application(
        child, program, status="aprobada", guardian=guardian, guardian_relation="hija_hijo"
    )
    delivery.issue_credential(application)
    return {
        "agency": agency,
        "guardian": guardian,
        "child": child,
        "application": application,
        "slot": make_slot(point=point, capacity=2),
        "other_slot": make_slot(point=point, capacity=2, starts=dt.time(12, 0)),
    }


def client_for(app, person):
    client = app.test_client()
    sign_in_as(client, person)
    return client


def book(client, world):
    folio = world["application"].folio
    return client.post(f"/citas/entrega/{folio}", data={"horario": str(world["slot"].id)})


# The credential ------------------------------------------------------------


def test_the_guardian_opens_the_childs_credential_and_its_image(app, world):
    client = client_for(app, world["guardian"])
    folio = world["application"].folio
    page = html(client.get(f"/mis-solicitudes/{folio}/credencial"))
    assert page.select_one("section.credential svg") is not None
    assert "Esta solicitud es de Luis" in page.find(id="para-quien").get_text()
    image = client.get(f"/mis-solicitudes/{folio}/credencial.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    detail = html(client.get(f"/mis-solicitudes/{folio}"))
    assert detail.select_one("section.credential svg") is not None


def test_the_childs_own_account_still_opens_the_credential(app, world):
    client = client_for(app, world["child"])
    folio = world["application"].folio
    assert client.get(f"/mis-solicitudes/{folio}/credencial").status_code == 200
    assert client.get(f"/mis-solicitudes/{folio}/credencial.png").status_code == 200


@pytest.mark.parametrize("suffix", ["credencial", "credencial.png"])
def test_another_citizen_gets_404_for_the_childs_credential(app, world, suffix):
    client = client_for(app, make_citizen())
    assert client.get(f"/mis-solicitudes/{world['application'].folio}/{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", ["credencial", "credencial.png"])
def test_staff_are_refused_the_citizens_credential_page(app, world, suffix):
    client = client_for(app, make_staff("revisor", make_agency(slug="educacion")))
    response = client.get(f"/mis-solicitudes/{world['application'].folio}/{suffix}")
    assert response.status_code in (403, 404)


def test_the_guardian_of_another_childs_application_gets_404(app, world):
    other = make_application(
        make_citizen(birth_date=born_years_ago(5, TODAY)),
        make_program(world["agency"]),
        status="aprobada",
        guardian=make_citizen(),
        guardian_relation="hija_hijo",
    )
    delivery.issue_credential(other)
    client = client_for(app, world["guardian"])
    assert client.get(f"/mis-solicitudes/{other.folio}/credencial").status_code == 404


# The delivery appointment --------------------------------------------------


def test_the_guardian_books_the_childs_delivery_and_hears_of_it(app, world):
    client = client_for(app, world["guardian"])
    folio = world["application"].folio
    detail = client.get(f"/mis-solicitudes/{folio}").get_data(as_text=True)
    assert f"/citas/entrega/{folio}" in detail
    form = client.get(f"/citas/entrega/{folio}")
    assert form.status_code == 200 and "Bodega Norte" in form.get_data(as_text=True)
    response = book(client, world)
    assert response.status_code == 303
    booking = Booking.get()
    assert (booking.citizen_id, booking.application_id) == (
        world["child"].id,
        world["application"].id,
    )
    made = AuditEvent.get(AuditEvent.action == AuditAction.BOOKING_MADE)
    assert (made.actor_kind, made.actor_id) == ("ciudadano", world["guardian"].id)
    listing = html(client.get("/citas"))
    assert "para Luis" in listing.find(id="mis-citas").get_text()
    page = html(client.get(f"/citas/{booking.id}"))
    assert page.find(id="para-quien") is not None
    # The reminder of the day before goes to the guardian, as the application's notices.
    assert bookings.send_reminders(tomorrow() - dt.timedelta(days=1)) == 1
    assert Notice.get(Notice.kind == "cita").citizen_id == world["guardian"].id


def test_the_guardian_changes_and_cancels_the_childs_booking(app, world):
    client = client_for(app, world["guardian"])
    book(client, world)
    booking = Booking.get()
    moved = client.post(
        f"/citas/{booking.id}/cambiar", data={"horario": str(world["other_slot"].id)}
    )
    assert moved.status_code == 303
    assert Booking.get_by_id(booking.id).slot_id == world["other_slot"].id
    assert client.post(f"/citas/{booking.id}/cancelar").status_code == 303
    assert Booking.get_by_id(booking.id).status == BookingStatus.CANCELADA
    actors = [
        (e.action, e.actor_id)
        for e in AuditEvent.select().where(AuditEvent.object_type == "cita").order_by(AuditEvent.id)
    ]
    assert actors == [
        (AuditAction.BOOKING_MADE, world["guardian"].id),
        (AuditAction.BOOKING_CHANGE, world["guardian"].id),
        (AuditAction.BOOKING_CANCEL, world["guardian"].id),
    ]


def test_the_childs_own_account_sees_the_booking_the_guardian_made(app, world):
    book(client_for(app, world["guardian"]), world)
    booking = Booking.get()
    assert client_for(app, world["child"]).get(f"/citas/{booking.id}").status_code == 200


def test_another_citizen_can_neither_book_nor_open_the_childs_booking(app, world):
    stranger = client_for(app, make_citizen())
    assert book(stranger, world).status_code == 404
    assert Booking.select().count() == 0
    book(client_for(app, world["guardian"]), world)
    booking = Booking.get()
    assert stranger.get(f"/citas/{booking.id}").status_code == 404
    assert (
        stranger.post(
            f"/citas/{booking.id}/cambiar", data={"horario": str(world["other_slot"].id)}
        ).status_code
        == 404
    )
    assert stranger.post(f"/citas/{booking.id}/cancelar").status_code == 404
    assert Booking.get_by_id(booking.id).status == BookingStatus.ACTIVA
    assert "Bodega" not in stranger.get("/citas").get_data(as_text=True)


def test_staff_of_another_agency_are_refused_the_citizens_pages(app, world):
    staff = client_for(app, make_staff("entrega", make_agency(slug="educacion")))
    assert book(staff, world).status_code in (403, 404)
    assert Booking.select().count() == 0


def test_a_bad_slot_is_refused_on_the_field_and_nothing_is_written(app, world):
    client = client_for(app, world["guardian"])
    folio = world["application"].folio
    office_slot = make_slot(make_office())
    for value in ("", "abc", str(office_slot.id), "999999"):
        response = client.post(f"/citas/entrega/{folio}", data={"horario": value})
        assert response.status_code == 422, value
        assert html(response).find(id="horario-error") is not None
    assert Booking.select().count() == 0


def test_the_domain_refuses_a_guardian_who_did_not_make_the_application(world):
    with pytest.raises(AppointmentError):
        bookings.book(
            world["child"],
            world["slot"].id,
            Purpose.ENTREGA,
            application=world["application"],
            guardian=make_citizen(),
        )
    with pytest.raises(AppointmentError):
        bookings.book(
            world["guardian"],
            make_slot(make_office()).id,
            Purpose.VENTANILLA,
            guardian=world["guardian"],
        )
    assert Booking.select().count() == 0
