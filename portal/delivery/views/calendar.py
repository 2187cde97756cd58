"""The delivery calendar in the back office: the agency's administrators set the
date and place of each period of their programs, for everyone or for one
municipality's turn (``/oficina/calendario``). The people concerned are told
from the queue (portal/delivery/calendar.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, url_for
from flask_login import current_user
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.delivery import calendar, periods
from portal.messages import _l
from portal.messages import gettext as _
from portal.models import DeliveryPoint, Municipality, Program
from portal.vocabulary import Role
from portal.web.auth import staff_required
from portal.web.forms import BaseForm
from portal.web.htmx import render

bp = Blueprint("delivery_calendar", __name__, url_prefix="/oficina/calendario")


class DateForm(BaseForm):
    periodo = SelectField(
        _l("Periodo"), coerce=int, validators=[InputRequired(_l("Elija el periodo."))]
    )
    municipio = SelectField(
        _l("Turno"),
        validators=[Optional()],
        description=_l("Deje «Todos» o elija el municipio que tiene su propio turno."),
    )
    fecha = DateField(
        _l("Fecha de entrega"),
        validators=[InputRequired(_l("Escriba la fecha de entrega (día, mes y año)."))],
    )
    punto = SelectField(
        _l("Punto de entrega"),
        coerce=int,
        validators=[InputRequired(_l("Elija el punto de entrega."))],
    )
    horario = StringField(
        _l("Horario"),
        validators=[Length(max=calendar.MAX_HOURS)],
        description=_l("Por ejemplo: de 9:00 a 14:00."),
    )


def _program(slug: str) -> Program:
    """A program of the administrator's agency with a schedule (404 otherwise)."""
    program = Program.get_or_none(
        (Program.slug == slug) & (Program.agency == current_user.agency_id)
    )
    if program is None or not periods.program_periods(program):
        abort(404)
    return program


def _form(program: Program, from_request: bool) -> DateForm:
    form = DateForm() if from_request else DateForm(formdata=None)
    form.periodo.choices = [
        SelectChoice(p.number, _("Periodo %(number)s", number=p.number))
        for p in periods.program_periods(program)
    ]
    form.municipio.choices = [SelectChoice("", _("Todos"))] + [
        SelectChoice(m.code, m.name) for m in Municipality.select().order_by(Municipality.name)
    ]
    form.punto.choices = [
        SelectChoice(p.id, p.name)
        for p in DeliveryPoint.select()
        .where((DeliveryPoint.program == program.id) & DeliveryPoint.active)
        .order_by(DeliveryPoint.position, DeliveryPoint.id)
    ]
    return form


def _page(program: Program, form: DateForm, status: int = 200):
    names = {m.code: m.name for m in Municipality.select(Municipality.code, Municipality.name)}
    body = render(
        "delivery/calendar.html",
        program=program,
        periods=periods.program_periods(program),
        dates=calendar.calendar_of(program),
        municipality_names=names,
        form=form,
    )
    return body, status


@bp.get("")
@staff_required(Role.ADMIN_DEPENDENCIA)
def index():
    programs = calendar.programs_with_schedule(current_user.agency_id)
    return render("delivery/calendar_index.html", programs=programs)


@bp.get("/<slug>")
@staff_required(Role.ADMIN_DEPENDENCIA)
def program(slug: str):
    found = _program(slug)
    return _page(found, _form(found, from_request=False))


@bp.post("/<slug>")
@staff_required(Role.ADMIN_DEPENDENCIA)
def set_date(slug: str):
    found = _program(slug)
    form = _form(found, from_request=True)
    if not form.validate():
        return _page(found, form, 422)
    try:
        saved = calendar.set_date(
            found,
            form.periodo.data,
            form.fecha.data,
            form.punto.data,
            current_user._get_current_object(),
            municipality=form.municipio.data or "",
            hours=form.horario.data or "",
            request_id=g.get("request_id", ""),
        )
    except calendar.CalendarError as error:
        getattr(form, error.field).errors.append(error.message)
        return _page(found, form, 422)
    messages = {
        "nueva": _("Fecha guardada. Avisaremos a las personas de ese periodo."),
        "cambio": _("Fecha cambiada. Avisaremos del cambio a las personas de ese periodo."),
        "igual": _("Esa fecha ya estaba así: no cambió nada."),
    }
    flash(messages[saved.kind], "ok")
    return redirect(url_for("delivery_calendar.program", slug=found.slug), code=303)
