"""Ending a person's benefit from the back office (``/oficina/inscripciones/<folio>/baja``):
a supervisor or the agency's administrator picks the cause from the catalog
(portal/delivery/ending.py). Another agency's folio answers 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.delivery import ending
from portal.messages import _l
from portal.messages import gettext as _
from portal.models import Application, Program
from portal.vocabulary import Role
from portal.web.auth import staff_required
from portal.web.forms import BaseForm
from portal.web.htmx import render

bp = Blueprint("delivery_ending", __name__, url_prefix="/oficina/inscripciones")

ENDING_STAFF = (Role.SUPERVISOR, Role.ADMIN_DEPENDENCIA)


class EndForm(BaseForm):
    causa = SelectField(
        _l("Causa de la baja"),
        choices=[SelectChoice("", _l("Elija la causa"))]
        + [SelectChoice(code, label) for code, label in ending.END_CAUSES.items()],
        validators=[DataRequired(_l("Elija la causa de la baja."))],
    )
    detalle = TextAreaField(
        _l("Detalle"),
        validators=[Length(max=ending.MAX_DETAILS)],
        description=_l(
            "Opcional. La persona lo lee en su aviso: no escriba datos de otras personas."
        ),
    )


def _application(folio: str) -> Application:
    application = (
        Application.select(Application, Program)
        .join(Program)
        .where((Application.folio == folio.upper()) & (Program.agency == current_user.agency_id))
        .first()
    )
    if application is None:
        abort(404)
    return application


def _page(application: Application, form: EndForm, status: int = 200):
    enrollment = ending.active_enrollment(application)
    body = render(
        "delivery/end_enrollment.html", application=application, enrollment=enrollment, form=form
    )
    return body, status


@bp.get("/<folio>/baja")
@staff_required(*ENDING_STAFF)
def form(folio: str):
    return _page(_application(folio), EndForm(formdata=None))


@bp.post("/<folio>/baja")
@staff_required(*ENDING_STAFF)
def end(folio: str):
    application = _application(folio)
    form = EndForm()
    if not form.validate():
        return _page(application, form, 422)
    try:
        ending.end_benefit(
            application,
            current_user._get_current_object(),
            form.causa.data,
            form.detalle.data or "",
        )
    except ending.EndingError as error:
        getattr(form, error.field).errors.append(error.message)
        return _page(application, form, 409 if error.field == "causa" and form.causa.data else 422)
    flash(_("La inscripción terminó. Le avisamos a la persona."), "ok")
    return redirect(url_for("oficina.case", folio=application.folio), code=303)
