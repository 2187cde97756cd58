"""Appointments on the web (docs/appointments.md).

People (``/citas``): their bookings, counter service at one of the state's
offices, a delivery appointment for an approved application, change and
cancel. Staff (``/oficina/citas``): the places their role serves, opening
slots, the day's list with attendance, and booking for a person at the counter.

Who sees which place: an agency's staff (``admin_dependencia``, ``entrega``)
only the delivery points of their agency's programs; the state's staff
(``admin_estatal``, ``ventanilla_estatal``) only the offices. Anything else is
404, as is another person's booking. Every page works as plain forms.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.applications.views import own_application
from portal.appointments import bookings
from portal.appointments import slots as slot_rules
from portal.appointments.forms import (
    AttendanceForm,
    CancelForm,
    ChooseForm,
    CounterBookingForm,
    SlotsForm,
)
from portal.appointments.models import Booking, BookingStatus, Office, Purpose, Slot
from portal.appointments.slots import OFFICE, POINT, AppointmentError, Place
from portal.backoffice import audit
from portal.catalog.models import DeliveryPoint, Program
from portal.citizens import curp as curp_rules
from portal.messages import gettext as _
from portal.models import Application, Citizen
from portal.vocabulary import ApplicationStatus, Role, ViewReason
from portal.web.auth import citizen_required, staff_required
from portal.web.htmx import render, wants_fragment
from portal.web.values import long_date

bp = Blueprint("appointments", __name__, url_prefix="/citas")
office = Blueprint("appointments_office", __name__, url_prefix="/oficina/citas")

POINT_ROLES = (Role.ADMIN_DEPENDENCIA, Role.ENTREGA)
OFFICE_ROLES = (Role.ADMIN_ESTATAL, Role.VENTANILLA_ESTATAL)
SLOT_ADMINS = (Role.ADMIN_DEPENDENCIA, Role.ADMIN_ESTATAL)


def slot_label(slot: Slot, place_name: str | None = None) -> str:
    text = _(
        "%(day)s, de %(starts)s a %(ends)s (%(free)s lugares libres)",
        day=long_date(slot.day),
        starts=slot.starts.strftime("%H:%M"),
        ends=slot.ends.strftime("%H:%M"),
        free=slot.free,
    )
    return f"{place_name}: {text}" if place_name else text


def _choices(form: ChooseForm, places: list[Place], exclude: int | None = None) -> None:
    many = len(places) > 1
    form.horario.choices = [SelectChoice("", _("Elija el día y la hora"))] + [
        SelectChoice(str(s.id), slot_label(s, place.name if many else None))
        for place in places
        for s in slot_rules.bookable(place, exclude=exclude)
    ]


def _refused(form: ChooseForm, error: AppointmentError) -> int:
    getattr(form, error.field, form.horario).errors = [error.message]
    return error.status


# People -----------------------------------------------------------------------


def _own_booking(booking_id: int) -> Booking:
    """The person's booking, or their child's delivery booking when they made
    the child's application as guardian; anyone else's is 404."""
    booking = Booking.get_or_none(Booking.id == booking_id)
    if booking is None or (
        booking.citizen_id != current_user.id
        and not (
            booking.application_id
            and Application.select()
            .where(
                (Application.id == booking.application_id)
                & (Application.guardian == current_user.id)
            )
            .exists()
        )
    ):
        abort(404)
    return booking


def _acting_for(booking: Booking) -> int | None:
    """The guardian acting on their child's booking (None: its holder acts)."""
    return current_user.id if booking.citizen_id != current_user.id else None


def _delivery_places(application: Application) -> list[Place]:
    return [
        Place(POINT, p)
        for p in DeliveryPoint.select()
        .where((DeliveryPoint.program == application.program_id) & DeliveryPoint.active)
        .order_by(DeliveryPoint.position, DeliveryPoint.id)
    ]


def _places_of(booking: Booking) -> list[Place]:
    if booking.purpose == Purpose.ENTREGA:
        return _delivery_places(Application.get_by_id(booking.application_id))
    return [Place.of_slot(booking.slot)]


@bp.get("")
@citizen_required
def index():
    offices = Office.select().where(Office.active).order_by(Office.name)
    mine = bookings.of_follower(current_user.id)
    return render(
        "appointments/index.html",
        mine=mine,
        offices=list(offices),
        places={b.id: Place.of_slot(b.slot) for b in mine},
    )


def _book_page(form, places, heading, action, status=200):
    return render(
        "appointments/book.html", form=form, places=places, heading=heading, action=action
    ), status


def _office_or_404(office_id: int) -> Place:
    place = slot_rules.find_place(OFFICE, office_id)
    if place is None:
        abort(404)
    return place


@bp.route("/oficina/<int:office_id>", methods=["GET", "POST"])
@citizen_required
def book_office(office_id: int):
    place = _office_or_404(office_id)
    live = bookings.live_booking(current_user.id, Purpose.VENTANILLA)
    if live is not None and request.method == "GET":
        flash(_("Usted ya tiene una cita en una oficina: puede cambiarla aquí."), "info")
        return redirect(url_for("appointments.detail", booking_id=live.id), code=303)
    form = ChooseForm() if request.method == "POST" else ChooseForm(formdata=None)
    _choices(form, [place])
    heading = _("Cita en %(office)s", office=place.name)
    action = url_for("appointments.book_office", office_id=office_id)
    if request.method == "GET":
        return _book_page(form, [place], heading, action)
    if not form.validate():
        return _book_page(form, [place], heading, action, 422)
    try:
        booking = bookings.book(
            current_user._get_current_object(),
            form.horario.data,
            Purpose.VENTANILLA,
            at=place,
            request_id=g.get("request_id", ""),
        )
    except AppointmentError as error:
        status = _refused(form, error)
        _choices(form, [place])
        return _book_page(form, [place], heading, action, status)
    flash(_("Listo: su cita quedó reservada."), "ok")
    return redirect(url_for("appointments.detail", booking_id=booking.id), code=303)


@bp.route("/entrega/<folio>", methods=["GET", "POST"])
@citizen_required
def book_delivery(folio: str):
    application = own_application(folio)
    if not bookings.may_book_delivery(application):
        abort(404)
    live = bookings.for_application(application)
    if live is not None:
        return redirect(url_for("appointments.detail", booking_id=live.id), code=303)
    places = _delivery_places(application)
    form = ChooseForm() if request.method == "POST" else ChooseForm(formdata=None)
    _choices(form, places)
    heading = _("Cita para recoger su apoyo")
    action = url_for("appointments.book_delivery", folio=folio)
    if request.method == "GET":
        return _book_page(form, places, heading, action)
    if not form.validate():
        return _book_page(form, places, heading, action, 422)
    # A child's application made by the guardian signed in: the booking is the child's.
    by_guardian = application.citizen_id != current_user.id
    try:
        booking = bookings.book(
            Citizen.get_by_id(application.citizen_id)
            if by_guardian
            else current_user._get_current_object(),
            form.horario.data,
            Purpose.ENTREGA,
            application=application,
            guardian=current_user._get_current_object() if by_guardian else None,
            request_id=g.get("request_id", ""),
        )
    except AppointmentError as error:
        status = _refused(form, error)
        _choices(form, places)
        return _book_page(form, places, heading, action, status)
    flash(_("Listo: su cita quedó reservada."), "ok")
    return redirect(url_for("appointments.detail", booking_id=booking.id), code=303)


def _detail_page(booking: Booking, form: ChooseForm | None = None, status: int = 200):
    places = _places_of(booking)
    if form is None:
        form = ChooseForm(formdata=None)
    _choices(form, places, exclude=booking.slot_id)
    application = Application.get_by_id(booking.application_id) if booking.application_id else None
    return render(
        "appointments/booking.html",
        booking=booking,
        place=Place.of_slot(booking.slot),
        application=application,
        form=form,
        cancel_form=CancelForm(formdata=None),
    ), status


@bp.get("/<int:booking_id>")
@citizen_required
def detail(booking_id: int):
    return _detail_page(_own_booking(booking_id))


@bp.post("/<int:booking_id>/cambiar")
@citizen_required
def change(booking_id: int):
    booking = _own_booking(booking_id)
    form = ChooseForm()
    if not form.validate():
        return _detail_page(booking, form, 422)
    try:
        bookings.change(
            booking,
            form.horario.data,
            by=_acting_for(booking),
            request_id=g.get("request_id", ""),
        )
    except AppointmentError as error:
        status = _refused(form, error)
        return _detail_page(Booking.get_by_id(booking.id), form, status)
    flash(_("Listo: cambiamos su cita."), "ok")
    return redirect(url_for("appointments.detail", booking_id=booking.id), code=303)


@bp.post("/<int:booking_id>/cancelar")
@citizen_required
def cancel(booking_id: int):
    booking = _own_booking(booking_id)
    form = CancelForm()
    if not form.validate():
        abort(400)
    if bookings.cancel(booking, by=_acting_for(booking), request_id=g.get("request_id", "")):
        flash(_("Cancelamos su cita. El lugar queda libre para otra persona."), "ok")
    else:
        flash(_("Esa cita ya no estaba vigente."), "info")
    return redirect(url_for("appointments.index"), code=303)


# Staff ------------------------------------------------------------------------


def _staff_place(kind: str, place_id: int) -> Place:
    """A place the signed-in staff member serves, or 404."""
    place = slot_rules.find_place(kind, place_id)
    if place is None:
        abort(404)
    if kind == OFFICE and current_user.role in OFFICE_ROLES:
        return place
    if (
        kind == POINT
        and current_user.role in POINT_ROLES
        and place.agency_id == current_user.agency_id
    ):
        return place
    abort(404)


def _points_of_agency(agency_id: int) -> list[Place]:
    return [
        Place(POINT, p)
        for p in DeliveryPoint.select(DeliveryPoint, Program)
        .join(Program)
        .where((Program.agency == agency_id) & Program.active & DeliveryPoint.active)
        .order_by(Program.name, DeliveryPoint.position, DeliveryPoint.id)
    ]


@office.get("", endpoint="index")
@staff_required(*POINT_ROLES, *OFFICE_ROLES)
def places():
    if current_user.role in OFFICE_ROLES:
        places = [
            Place(OFFICE, o) for o in Office.select().where(Office.active).order_by(Office.name)
        ]
    else:
        places = _points_of_agency(current_user.agency_id)
    return render(
        "appointments/office_index.html",
        places=[(p, _day_url(p), _slots_url(p)) for p in places],
        may_open_slots=current_user.role in SLOT_ADMINS,
    )


def _slots_page(place: Place, form: SlotsForm, status: int = 200):
    return render(
        "appointments/office_slots.html",
        place=place,
        form=form,
        upcoming=slot_rules.upcoming(place),
        action=_slots_url(place),
        day_url=_day_url(place),
    ), status


def _open_slots(kind: str, place_id: int):
    place = _staff_place(kind, place_id)
    if request.method == "GET":
        form = SlotsForm(formdata=None)
        form.desde.data = slot_rules.local_now().date() + dt.timedelta(days=1)
        form.inicio.data, form.hasta.data = dt.time(9), dt.time(14)
        return _slots_page(place, form)
    form = SlotsForm()
    if not form.validate():
        return _slots_page(place, form, 422)
    run = slot_rules.Run(
        first_day=form.desde.data,
        days=form.dias.data,
        starts=form.inicio.data,
        ends=form.hasta.data,
        length=form.duracion.data,
        capacity=form.capacidad.data,
        weekends=form.fines.data,
    )
    try:
        made = slot_rules.open_slots(
            place, run, current_user._get_current_object(), request_id=g.get("request_id", "")
        )
    except AppointmentError as error:
        getattr(form, error.field).errors = [error.message]
        return _slots_page(place, form, error.status)
    flash(_("Abrimos %(count)s horarios nuevos.", count=made), "ok")
    return redirect(_slots_url(place), code=303)


# Points and offices have views of their own, so that the roles each one lets
# in are said on the view (the staff menu and the narrow-screen walk read them).
@office.route("/punto/<int:place_id>/horarios", methods=["GET", "POST"])
@staff_required(Role.ADMIN_DEPENDENCIA)
def point_slots(place_id: int):
    return _open_slots(POINT, place_id)


@office.route("/oficina/<int:place_id>/horarios", methods=["GET", "POST"])
@staff_required(Role.ADMIN_ESTATAL)
def office_slots(place_id: int):
    return _open_slots(OFFICE, place_id)


def _day_url(place: Place, day: dt.date | None = None) -> str:
    endpoint = (
        "appointments_office.office_day"
        if place.kind == OFFICE
        else "appointments_office.point_day"
    )
    return url_for(endpoint, place_id=place.id, fecha=day.isoformat() if day else None)


def _slots_url(place: Place) -> str:
    endpoint = (
        "appointments_office.office_slots"
        if place.kind == OFFICE
        else "appointments_office.point_slots"
    )
    return url_for(endpoint, place_id=place.id)


def _day_from_query() -> dt.date:
    raw = request.args.get("fecha", "")
    if not raw:
        return slot_rules.local_now().date()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        abort(400)


def _day_page(
    place: Place,
    day: dt.date,
    counter_form=None,
    status: int = 200,
    *,
    block: str | None = None,
    marked: str = "",
    problem: str = "",
):
    """The day's list; with ``block`` "day_list", only the list for htmx (the
    attendance buttons swap it in place)."""
    rows = bookings.day_list(place, day)
    if rows:
        reason = ViewReason.VENTANILLA if place.kind == OFFICE else ViewReason.ENTREGA
        audit.record_views(
            current_user, [b.citizen_id for b in rows], reason, g.get("request_id", "")
        )
    if counter_form is None:
        counter_form = CounterBookingForm(formdata=None)
    _choices(counter_form, [place])
    return render(
        "appointments/office_day.html",
        block=block,
        marked=marked,
        problem=problem,
        may_mark=day <= slot_rules.local_now().date(),
        place=place,
        day=day,
        rows=rows,
        attendance_form=AttendanceForm(formdata=None),
        counter_form=counter_form,
        day_url=_day_url(place),
        previous_url=_day_url(place, day - dt.timedelta(days=1)),
        following_url=_day_url(place, day + dt.timedelta(days=1)),
    ), status


@office.get("/punto/<int:place_id>")
@staff_required(*POINT_ROLES)
def point_day(place_id: int):
    return _day_page(_staff_place(POINT, place_id), _day_from_query())


@office.get("/oficina/<int:place_id>")
@staff_required(*OFFICE_ROLES)
def office_day(place_id: int):
    return _day_page(_staff_place(OFFICE, place_id), _day_from_query())


@office.post("/asistencia/<int:booking_id>")
@staff_required(*POINT_ROLES, *OFFICE_ROLES)
def attendance(booking_id: int):
    booking = Booking.get_or_none(Booking.id == booking_id)
    if booking is None:
        abort(404)
    slot = Slot.get_by_id(booking.slot_id)
    place = Place.of_slot(slot)
    _staff_place(place.kind, place.id)
    form = AttendanceForm()
    if not form.validate():
        abort(400)
    back = _day_url(place, slot.day)
    try:
        done = bookings.mark(
            booking,
            form.asistencia.data == BookingStatus.ATENDIDA,
            current_user._get_current_object(),
            request_id=g.get("request_id", ""),
        )
    except AppointmentError as error:
        if wants_fragment():  # the page's htmx config swaps a 422 in place
            return _day_page(place, slot.day, status=422, block="day_list", problem=error.message)
        flash(error.message, "error")
        return redirect(back, code=303)
    said = _("Asistencia anotada.") if done else _("Esa cita ya estaba anotada.")
    if wants_fragment():
        return _day_page(place, slot.day, block="day_list", marked=said)
    flash(said, "ok")
    return redirect(back, code=303)


def _person_for(place: Place, raw_curp: str) -> tuple[Citizen, Application | None] | None:
    curp = curp_rules.normalize(raw_curp)
    citizen = Citizen.get_or_none(Citizen.curp == curp)
    if citizen is None:
        return None
    if place.kind == OFFICE:
        return citizen, None
    application = (
        Application.select()
        .where(
            (Application.citizen == citizen.id)
            & (Application.program == place.program_id)
            & (Application.status == ApplicationStatus.APROBADA)
        )
        .first()
    )
    return (citizen, application) if application else None


@office.post("/<kind>/<int:place_id>/reservar")
@staff_required(*POINT_ROLES, *OFFICE_ROLES)
def book_for_person(kind: str, place_id: int):
    place = _staff_place(kind, place_id)
    form = CounterBookingForm()
    day_shown = _day_from_query()
    if not form.validate():
        return _day_page(place, day_shown, form, 422)
    found = _person_for(place, form.curp.data)
    if found is None:
        form.curp.errors = [
            _("No hay una persona registrada con esa CURP.")
            if place.kind == OFFICE
            else _("No hay una solicitud aprobada de este programa con esa CURP.")
        ]
        return _day_page(place, day_shown, form, 422)
    citizen, application = found
    try:
        booking = bookings.book(
            citizen,
            form.horario.data,
            place.purpose,
            application=application,
            staff=current_user._get_current_object(),
            at=place,
            request_id=g.get("request_id", ""),
        )
    except AppointmentError as error:
        status = _refused(form, error)
        return _day_page(place, day_shown, form, status)
    audit.record_view(
        current_user,
        citizen,
        ViewReason.VENTANILLA if place.kind == OFFICE else ViewReason.ENTREGA,
        application,
        request_id=g.get("request_id", ""),
    )
    slot = Slot.get_by_id(booking.slot_id)
    flash(_("Cita reservada para la persona: %(when)s.", when=slot_label(slot)), "ok")
    return redirect(_day_url(place, slot.day), code=303)
