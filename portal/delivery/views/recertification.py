"""Re-certification pages (portal/delivery/recertification.py).

The person presents the proof at ``/mis-solicitudes/<folio>/recertificacion``
(a plain form with a file field: no JavaScript needed); staff judge it at
``/oficina/recertificaciones/<folio>``. Both load the application through a
query scoped to the signed-in person or to the staff member's agency, so
another's folio or due date answers 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import TextAreaField

from portal.applications.documents import get_storage
from portal.applications.uploads import (
    UploadRejected,
    inspect_upload,
    max_upload_bytes,
    refusal_status,
    too_large_message,
)
from portal.backoffice.audit import Actor, record_view
from portal.delivery import recertification as renewals
from portal.messages import _l
from portal.messages import gettext as _
from portal.models import Application, Citizen, Program
from portal.web.auth import citizen_required, staff_required
from portal.web.errors import keep_place_on_413
from portal.web.forms import BaseForm
from portal.web.htmx import render

bp = Blueprint("recertification", __name__)
office = Blueprint("oficina_recertification", __name__, url_prefix="/oficina/recertificaciones")


class ProofForm(BaseForm):
    document = FileField()


class ReviewForm(BaseForm):
    """Accepting needs only the CSRF token; asking for a correction, a reason."""

    motivo = TextAreaField(
        _l("Qué debe corregir"),
        description=_l("La persona lo lee en su aviso: no escriba datos de otras personas."),
    )


# The person's side ---------------------------------------------------------------------


def _own(folio: str) -> Application:
    application = (
        Application.select(Application, Program)
        .join(Program)
        .where((Application.folio == folio.upper()) & (Application.citizen == current_user.id))
        .first()
    )
    if application is None:
        abort(404)
    return application


def _person_page(application: Application, error: str = "", status: int = 200):
    return render(
        "delivery/recertification.html",
        application=application,
        task=renewals.current_task(application),
        form=ProofForm(formdata=None),
        error=error,
        max_mb=current_app.config["MAX_UPLOAD_MB"],
    ), status


@bp.get("/mis-solicitudes/<folio>/recertificacion")
@citizen_required
def task(folio: str):
    return _person_page(_own(folio))


def _task(application, recertification_id: int):
    """The application's re-certification task; another's answers 404."""
    try:
        return renewals.task_of(application, recertification_id)
    except renewals.NotYours:
        abort(404)


@bp.post("/mis-solicitudes/<folio>/recertificacion/<int:recertification_id>")
@citizen_required
def upload(folio: str, recertification_id: int):
    application = _own(folio)
    current = _task(application, recertification_id)
    if application.status not in renewals.RENEWING:
        return _person_page(
            application, _("Ya no recibe este programa: no hace falta presentar el documento."), 409
        )
    if not current.may_upload:
        return _person_page(application, renewals.refusal_for(current.status).message, 409)
    upload = ProofForm().document.data
    if upload is None or not upload.filename:
        return _person_page(application, _("Elija un archivo o tome una foto."), 422)
    limit = max_upload_bytes(current_app.config)
    data = upload.read(limit + 1)
    try:
        clean = inspect_upload(
            data,
            upload.filename,
            allowed=set(current.requirement.formats.split(",")),
            max_bytes=limit,
        )
        renewals.submit_proof(
            application, recertification_id, clean, get_storage(), Actor.citizen(current_user.id)
        )
    except UploadRejected as rejected:
        return _person_page(application, rejected.message, refusal_status(rejected))
    except renewals.RecertificationError as refused:
        return _person_page(application, refused.message, 409)
    flash(
        _("Recibimos «%(name)s». La dependencia lo revisará.", name=current.requirement.name), "ok"
    )
    if clean.notice:  # what the PDF disarm removed
        flash(str(clean.notice), "info")
    return redirect(url_for("applications.detail", folio=application.folio), code=303)


@citizen_required
def _upload_too_large(folio: str, recertification_id: int):
    """A file over the limit, refused before it was read (web.errors)."""
    application = _own(folio)
    current = _task(application, recertification_id)
    if application.status not in renewals.RENEWING or not current.may_upload:
        abort(409)  # the plain page: the upload view would not take a file either
    message = too_large_message(current.requirement.formats, current_app.config["MAX_UPLOAD_MB"])
    return _person_page(application, str(message), 413)


keep_place_on_413(bp, "recertification.upload", _upload_too_large)


# Staff's side --------------------------------------------------------------------------


def _agency_case(folio: str) -> Application:
    application = (
        Application.select(Application, Program)
        .join(Program)
        .where((Application.folio == folio.upper()) & (Program.agency == current_user.agency_id))
        .first()
    )
    if application is None:
        abort(404)
    return application


def _review_page(application: Application, form: ReviewForm, error: str = "", status: int = 200):
    return render(
        "delivery/recertification_review.html",
        application=application,
        citizen=Citizen.get_by_id(application.citizen_id),
        task=renewals.current_task(application),
        form=form,
        error=error,
    ), status


@office.get("/<folio>")
@staff_required(*renewals.REVIEWERS)
def review(folio: str):
    application = _agency_case(folio)
    record_view(
        current_user, application.citizen_id, "revision", application, request_id=g.request_id
    )
    return _review_page(application, ReviewForm(formdata=None))


def _judge(folio: str, recertification_id: int, accepting: bool):
    application = _agency_case(folio)
    form = ReviewForm()
    if not form.validate():
        return _review_page(application, form, form.error_text(), 422)
    staff = current_user._get_current_object()
    try:
        if accepting:
            renewals.accept(application, recertification_id, staff)
        else:
            renewals.ask_correction(application, recertification_id, staff, form.motivo.data or "")
    except renewals.NotYours:
        abort(404)
    except renewals.BadReason as refused:
        form.motivo.errors = [refused.message]
        return _review_page(application, form, refused.message, 422)
    except renewals.RecertificationError as refused:
        return _review_page(application, form, refused.message, 409)
    flash(
        _("Aceptamos el documento. Le avisamos a la persona.")
        if accepting
        else _("Pedimos la corrección. Le avisamos a la persona."),
        "ok",
    )
    return redirect(url_for("oficina.case", folio=application.folio), code=303)


@office.post("/<folio>/<int:recertification_id>/aceptar")
@staff_required(*renewals.REVIEWERS)
def accept(folio: str, recertification_id: int):
    return _judge(folio, recertification_id, accepting=True)


@office.post("/<folio>/<int:recertification_id>/corregir")
@staff_required(*renewals.REVIEWERS)
def ask_correction(folio: str, recertification_id: int):
    return _judge(folio, recertification_id, accepting=False)
