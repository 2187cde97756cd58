"""The pages of complaints and reports (quejas y denuncias).

Anyone: file one at /quejas (signed in: under their account; anonymous: a
folio and a code shown once), follow an anonymous one at /quejas/seguimiento
with folio and code (posted, never in the address; guesses rate-limited in
portal/web/limits.py), the public counts at /quejas/estadisticas. A person
signed in: their complaints at /quejas/mias. Staff: the queue of their
agency's complaints (the state level: those about no program and those sent
on to the internal control body) at /oficina/quejas, each one's page with
assignment, answer and escalation; every action audited.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from portal.applications.uploads import (
    UploadRejected,
    inspect_upload,
    max_upload_bytes,
    refusal_status,
    too_large_message,
)
from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.backoffice.forms import ConfirmForm
from portal.backoffice.views import shared as staff
from portal.complaints import desk
from portal.complaints.forms import AnswerForm, AssignForm, ComplaintForm, FollowForm
from portal.complaints.models import Complaint
from portal.messages import _l
from portal.messages import gettext as _
from portal.models import Citizen, Program, StaffUser
from portal.rights.holidays import CalendarGap, local_today
from portal.transparency.public import suppress
from portal.vocabulary import AuditAction, Role, ViewReason
from portal.web.auth import citizen_required, is_citizen, staff_required
from portal.web.downloads import attachment_headers
from portal.web.errors import error_page
from portal.web.htmx import render

bp = Blueprint("complaints", __name__)
office = Blueprint("complaints_office", __name__, url_prefix="/oficina")

STAFF_ROLES = (Role.REVISOR, Role.SUPERVISOR, Role.ADMIN_DEPENDENCIA, Role.ADMIN_ESTATAL)
ATTACHMENT_KINDS = frozenset({"pdf", "jpg", "png"})
PAGE_SIZE = 25


def _context() -> dict[str, Any]:
    return {
        "kind_names": desk.KIND_NAMES,
        "subject_labels": desk.SUBJECT_LABELS,
        "status_labels": desk.STATUS_LABELS,
    }


def _add_error(form, field: str, message: str) -> None:
    form[field].errors = [*form[field].errors, message]


def _program_choices() -> list[tuple[str, str]]:
    # The catalog's active programs: a few dozen, read by their own index.
    rows = Program.select(Program.id, Program.name).where(Program.active).order_by(Program.name)
    return [("", _("Ninguno en particular"))] + [(str(p.id), p.name) for p in rows.limit(500)]


def _complaint_form(**options: Any) -> ComplaintForm:
    form = ComplaintForm(**options)
    form.program.choices = _program_choices()
    return form


def _signed_in_citizen() -> Citizen | None:
    return current_user._get_current_object() if is_citizen() else None


def _no_store(body: str, status: int = 200) -> Response:
    response = Response(body, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


# Filing --------------------------------------------------------------------------------


@bp.route("/quejas", methods=["GET", "POST"])
def new():
    form = _complaint_form()
    citizen = _signed_in_citizen()
    status = 200
    if form.validate_on_submit():
        upload = request.files.get(form.attachment.name)
        try:
            attachment = (
                inspect_upload(
                    upload.read(),
                    upload.filename or "prueba",
                    allowed=ATTACHMENT_KINDS,
                    max_bytes=max_upload_bytes(current_app.config),
                )
                if upload and upload.filename
                else None
            )
            filed = desk.file_complaint(
                desk.Filing(
                    form.kind.data,
                    form.subject.data,
                    form.description.data,
                    form.program.data,
                    form.happened_on.data,
                    form.place.data or "",
                    form.contact.data or "",
                ),
                citizen=citizen,
                attachment=attachment,
                prefix=current_app.config["FOLIO_PREFIX"],
                request_id=g.request_id,
            )
        except UploadRejected as rejected:
            _add_error(form, "attachment", str(rejected.message))
            status = refusal_status(rejected)
        except desk.ComplaintRefused as refused:
            _add_error(form, refused.field, str(refused))
        except CalendarGap as gap:
            _add_error(form, "description", str(gap))
        else:
            if citizen is not None:
                flash(
                    _("Recibimos su queja con el folio %(folio)s.", folio=filed.complaint.folio),
                    "ok",
                )
                return redirect(
                    url_for("complaints.mine_detail", folio=filed.complaint.folio), code=303
                )
            # The code is shown on this one answer and kept nowhere in clear.
            return _no_store(
                render(
                    "complaints/receipt.html", row=filed.complaint, code=filed.code, **_context()
                )
            )
    if request.method == "POST" and status == 200:
        status = 422
    return _new_page(form, citizen, status)


def _new_page(form: ComplaintForm, citizen: Citizen | None, status: int):
    return render(
        "complaints/new.html",
        form=form,
        signed_in=citizen is not None,
        max_mb=current_app.config["MAX_UPLOAD_MB"],
        **_context(),
    ), status


@bp.errorhandler(413)
def too_large(error: HTTPException):
    """A body over the limit is refused before it is read (web.security): the
    form comes back with the message at the attachment, and nothing was saved."""
    if request.endpoint != "complaints.new":
        return error_page(413)
    form = _complaint_form(formdata=None)  # the body stays unread
    message = too_large_message(ATTACHMENT_KINDS, current_app.config["MAX_UPLOAD_MB"])
    _add_error(
        form,
        "attachment",
        _("%(message)s Su queja no se guardó: vuelva a escribirla.", message=message),
    )
    return _new_page(form, _signed_in_citizen(), 413)


# Following -----------------------------------------------------------------------------


@bp.route("/quejas/seguimiento", methods=["GET", "POST"])
def follow():
    form = FollowForm()
    if form.validate_on_submit():
        row = desk.follow(form.folio.data, form.code.data)
        if row is not None:
            return _no_store(
                render(
                    "complaints/status.html",
                    row=row,
                    days_left=desk.business_days_left(row, local_today()),
                    **_context(),
                )
            )
        # The same answer for an unknown folio and a wrong code; the code typed
        # is not written back into the page.
        form.code.data = ""
        _add_error(form, "code", _("El folio o el código no coinciden. Revise los dos."))
    status = 422 if request.method == "POST" else 200
    return render("complaints/follow.html", form=form), status


@bp.get("/quejas/mias")
@citizen_required
def mine():
    return render("complaints/mine.html", complaints=desk.of_citizen(current_user.id), **_context())


@bp.get("/quejas/mias/<folio>")
@citizen_required
def mine_detail(folio: str):
    row = Complaint.get_or_none((Complaint.folio == folio) & (Complaint.citizen == current_user.id))
    if row is None:
        abort(404)
    return render(
        "complaints/status.html",
        row=row,
        days_left=desk.business_days_left(row, local_today()),
        **_context(),
    )


# Public statistics ---------------------------------------------------------------------


def _public_rows() -> list[dict[str, Any]]:
    return [
        {
            "program": row.program,
            "counts": {status: suppress(n) for status, n in row.counts.items()},
            "total": suppress(row.total),
        }
        for row in desk.statistics(_("Sin programa (oficinas y atención en general)"))
    ]


@bp.get("/quejas/estadisticas")
def statistics():
    return render("complaints/statistics.html", rows=_public_rows(), **_context())


@bp.get("/quejas/estadisticas.csv")
def statistics_csv():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["programa", *desk.STATUS_LABELS, "total"])
    for row in _public_rows():
        writer.writerow([row["program"], *row["counts"].values(), row["total"]])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers.update(attachment_headers("quejas-por-programa.csv"))
    return response


# Staff ---------------------------------------------------------------------------------

TABS = {"abiertas": desk.OPEN_STATUSES, "turnadas": ("turnada",), "respondidas": ("respondida",)}


def _branches(tab: str) -> list:
    columns = (
        Complaint.id,
        Complaint.folio,
        Complaint.kind,
        Complaint.subject,
        Complaint.program,
        Complaint.filed_at,
        Complaint.due_on,
        Complaint.status,
        Complaint.assigned_to,
    )
    if desk.is_state_level(current_user):
        if tab == "turnadas":
            return [Complaint.select(*columns).where(Complaint.status == "turnada")]
        return [
            Complaint.select(*columns).where(Complaint.agency.is_null() & (Complaint.status == s))
            for s in TABS[tab]
        ]
    return [
        Complaint.select(*columns).where(
            (Complaint.agency == current_user.agency_id) & (Complaint.status == s)
        )
        for s in TABS[tab]
    ]


@office.get("/quejas")
@staff_required(*STAFF_ROLES)
def queue():
    tab = request.args.get("estado", "abiertas")
    if tab not in TABS:
        tab = "abiertas"
    branches = _branches(tab)

    def locate(row_id: int) -> tuple | None:
        for query in branches:
            row = query.where(Complaint.id == row_id).first()
            if row is not None:
                return (row.due_on, row.id)
        return None

    listing = staff.keyset_page(
        staff.seeker(branches, (Complaint.due_on, Complaint.id)), locate, PAGE_SIZE
    )
    today = local_today()
    programs = {
        p.id: p.name
        for p in Program.select(Program.id, Program.name).where(
            Program.id.in_({r.program_id for r in listing.rows if r.program_id})
        )
    }
    return render(
        "complaints/queue.html",
        block="results",
        listing=listing,
        tab=tab,
        today=today,
        programs=programs,
        days_left={r.id: desk.business_days_left(r, today) for r in listing.rows},
        **_context(),
    )


def _office_complaint(folio: str) -> Complaint:
    if desk.is_state_level(current_user):
        visible = Complaint.agency.is_null() | Complaint.escalated_at.is_null(False)
    else:
        visible = Complaint.agency == current_user.agency_id
    row = Complaint.get_or_none((Complaint.folio == folio) & visible)
    if row is None:
        abort(404)
    return row


def _detail_page(row: Complaint, status: int = 200, **forms: Any):
    assign_form = forms.get("assign_form") or AssignForm()
    assign_form.assignee.choices = [(p.id, p.name) for p in desk.assignees(row)]
    program = Program.get_or_none(Program.id == row.program_id) if row.program_id else None
    citizen = Citizen.get_or_none(Citizen.id == row.citizen_id) if row.citizen_id else None
    names = {
        p.id: p.name
        for p in StaffUser.select(StaffUser.id, StaffUser.name).where(
            StaffUser.id.in_([i for i in (row.assigned_to_id, row.responded_by_id) if i])
        )
    }
    return render(
        "complaints/office_detail.html",
        row=row,
        program=program,
        citizen=citizen,
        staff_names=names,
        may_answer=desk.may_answer(current_user, row),
        may_assign=desk.may_answer(current_user, row) and row.status != "turnada",
        assign_form=assign_form,
        answer_form=forms.get("answer_form") or AnswerForm(),
        confirm=ConfirmForm(),
        days_left=desk.business_days_left(row, local_today()),
        **_context(),
    ), status


@office.get("/quejas/<folio>")
@staff_required(*STAFF_ROLES)
def detail(folio: str):
    row = _office_complaint(folio)
    audit.record(
        AuditAction.COMPLAINT_VIEW,
        Actor.staff(current_user),
        object_type=desk.COMPLAINT_OBJECT,
        object_id=row.id,
        request_id=g.request_id,
    )
    if row.citizen_id:  # filed signed in: the page shows the person's record
        audit.record_view(current_user, row.citizen_id, ViewReason.QUEJA, request_id=g.request_id)
    return _detail_page(row)


def _acting_on(folio: str) -> Complaint:
    row = _office_complaint(folio)
    if not desk.may_answer(current_user, row):
        abort(403)
    return row


def _moved(folio: str, message: str):
    flash(message, "ok")
    return redirect(url_for("complaints_office.detail", folio=folio), code=303)


@office.post("/quejas/<folio>/asignar")
@staff_required(*STAFF_ROLES)
def assign(folio: str):
    row = _acting_on(folio)
    form = AssignForm()
    form.assignee.choices = [(p.id, p.name) for p in desk.assignees(row)]
    if form.validate_on_submit():
        assignee = StaffUser.get_or_none(StaffUser.id == form.assignee.data)
        try:
            if assignee is None:
                raise desk.ComplaintRefused(
                    _l("Elija a una persona de la dependencia."), "assignee"
                )
            desk.assign(folio, current_user, assignee, request_id=g.request_id)
        except desk.ComplaintRefused as refused:
            _add_error(form, "assignee", str(refused))
        else:
            return _moved(folio, _("Queja asignada a %(name)s.", name=assignee.name))
    return _detail_page(row, 422, assign_form=form)


@office.post("/quejas/<folio>/responder")
@staff_required(*STAFF_ROLES)
def answer(folio: str):
    row = _acting_on(folio)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            desk.respond(folio, current_user, form.response.data, request_id=g.request_id)
        except desk.ComplaintRefused as refused:
            _add_error(form, "response", str(refused))
        else:
            return _moved(folio, _("Respuesta guardada; la persona puede leerla con su folio."))
    return _detail_page(row, 422, answer_form=form)


@office.post("/quejas/<folio>/turnar")
@staff_required(*STAFF_ROLES)
def escalate(folio: str):
    row = _acting_on(folio)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(form.error_text(), "error")
        return redirect(url_for("complaints_office.detail", folio=folio), code=303)
    try:
        desk.escalate(folio, current_user, request_id=g.request_id)
    except desk.ComplaintRefused as refused:
        flash(str(refused), "error")
        return _detail_page(row, 409)
    return _moved(folio, _("Queja turnada al Órgano Interno de Control."))


@office.get("/quejas/<folio>/adjunto")
@staff_required(*STAFF_ROLES)
def attachment(folio: str):
    row = _office_complaint(folio)
    if not row.attachment_key:
        abort(404)
    data = desk.attachment_storage().get(row.attachment_key)
    kind = row.attachment_filename.rsplit(".", 1)[-1].lower()
    mimetype = {"pdf": "application/pdf", "png": "image/png"}.get(kind, "image/jpeg")
    response = Response(data, mimetype=mimetype)
    response.headers.update(attachment_headers(row.attachment_filename or f"{row.folio}.{kind}"))
    response.headers["Cache-Control"] = "no-store"
    return response
