"""The coordinating secretariat in the back office (/oficina/secretaria).

The secretariat (role ``secretaria``, no agency) sets reporting obligations
for every agency and sees the state-wide board of overdue ones; an agency's
administrator sees only their agency's obligations and marks them done. Any
staff member reads their own inbox. Objects are loaded through queries scoped
to the agency: another agency's obligation answers 404, like a missing one.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.applications.uploads import (
    DEFAULT_ALLOWED,
    UploadRejected,
    inspect_upload,
    max_upload_bytes,
    refusal_status,
)
from portal.backoffice.audit import Actor
from portal.backoffice.views.shared import record as record_staff
from portal.messages import gettext as _
from portal.models import Agency, Program
from portal.planning import progress
from portal.secretariat import calendar, inbox, messaging, validation
from portal.secretariat.calendar import CalendarError
from portal.secretariat.forms import (
    ObligationForm,
    ReplyForm,
    SendForm,
    ThreadForm,
    decision_form,
)
from portal.secretariat.messaging import MessageError
from portal.secretariat.validation import ValidationError
from portal.vocabulary import AuditAction, Role
from portal.web.auth import staff_required
from portal.web.downloads import attachment_headers
from portal.web.htmx import render

bp = Blueprint("secretariat", __name__, url_prefix="/oficina/secretaria")
SECRETARIAT = (Role.SECRETARIA,)
REPORTERS = calendar.AGENCY_REPORTERS
CALENDAR_READERS = (*SECRETARIAT, *REPORTERS)
# The obligations an agency answers by sending something to validation.
SENDABLE = ("avance_trimestral", "actualizacion_padron")


def _user():
    return current_user._get_current_object()


def _scope() -> int | None:
    """The agency whose objects the current staff member sees; None: all (the secretariat)."""
    return None if current_user.role == Role.SECRETARIA else current_user.agency_id


@bp.get("/calendario")
@staff_required(*CALENDAR_READERS)
def index():
    return render(
        "secretariat/calendar.html",
        shown=calendar.obligations_of(_scope()),
        standings=calendar.STANDINGS,
        kinds=calendar.KINDS,
        is_secretariat=_scope() is None,
    )


@bp.get("/vencidas")
@staff_required(*SECRETARIAT)
def overdue():
    return render(
        "secretariat/overdue.html",
        shown=calendar.overdue(),
        standings=calendar.STANDINGS,
        kinds=calendar.KINDS,
    )


def _obligation_form(from_request: bool) -> ObligationForm:
    form = ObligationForm() if from_request else ObligationForm(formdata=None)
    agencies = list(Agency.select().order_by(Agency.name))
    form.dependencia.choices = [SelectChoice("", _("Elija una dependencia"))] + [
        SelectChoice(str(a.id), a.name) for a in agencies
    ]
    programs = Program.select(Program.id, Program.name, Program.agency).order_by(Program.name)
    names = {a.id: a.name for a in agencies}
    form.programa.choices = [SelectChoice("", _("Toda la dependencia"))] + [
        SelectChoice(str(p.id), f"{p.name} ({names.get(p.agency_id, '')})") for p in programs
    ]
    form.tipo.choices = [SelectChoice("", _("Elija qué debe entregar"))] + [
        SelectChoice(k, str(v)) for k, v in calendar.KINDS.items()
    ]
    return form


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


@bp.route("/obligaciones/nueva", methods=["GET", "POST"])
@staff_required(*SECRETARIAT)
def new_obligation():
    if request.method == "GET":
        return render("secretariat/obligation_form.html", form=_obligation_form(False))
    form = _obligation_form(True)
    if not form.validate():
        return render("secretariat/obligation_form.html", form=form), 422
    try:
        obligation = calendar.create_obligation(
            _user(),
            agency_id=_number(form.dependencia.data),
            program_id=_number(form.programa.data),
            kind=form.tipo.data or "",
            title=form.titulo.data or "",
            due_on=form.fecha_limite.data,
            remind_days=form.aviso_dias.whole_number(),
            request_id=g.get("request_id", ""),
        )
    except CalendarError as error:
        getattr(form, error.field).errors.append(error.message)
        return render("secretariat/obligation_form.html", form=form), 422
    flash(_("Entrega agregada al calendario."), "ok")
    return redirect(url_for("secretariat.index") + f"#obligacion-{obligation.id}", code=303)


@bp.post("/obligaciones/<int:obligation_id>/cumplida")
@staff_required(*REPORTERS)
def mark_done(obligation_id: int):
    found = calendar.find_for(obligation_id, current_user.agency_id)
    if found is None:
        abort(404)
    if calendar.complete(found, Actor.staff(_user()), request_id=g.get("request_id", "")):
        flash(_("Entrega marcada como cumplida."), "ok")
    else:
        flash(_("Esta entrega ya estaba cumplida."), "ok")
    return redirect(url_for("secretariat.index") + f"#obligacion-{found.id}", code=303)


@bp.get("/avisos")
@staff_required()
def notices():
    member = _user()
    found = inbox.latest(member)
    unread = [n.id for n in found if n.read_at is None]
    page = render("secretariat/notices.html", notices=found, unread=set(unread))
    inbox.mark_read(member, unread)  # seen now; shown as new this once
    return page


# Validation --------------------------------------------------------------------------


def _send_form(obligation, from_request: bool) -> SendForm:
    form = SendForm() if from_request else SendForm(formdata=None)
    form.trimestre.choices = [SelectChoice("", _("Elija el trimestre"))] + [
        SelectChoice(str(q), str(label)) for q, label in progress.QUARTER_LABELS.items()
    ]
    form.padron.choices = [SelectChoice("", _("Elija el padrón"))] + [
        SelectChoice(str(b.id), f"{p.name} · {b.accepted:,} " + _("filas aceptadas"))
        for b, p in validation.finished_rolls(obligation.agency_id)
    ]
    return form


def _send_page(obligation, form, status=200):
    return render(
        "secretariat/send.html", obligation=obligation, form=form, kinds=calendar.KINDS
    ), status


@bp.route("/obligaciones/<int:obligation_id>/enviar", methods=["GET", "POST"])
@staff_required(*REPORTERS)
def send(obligation_id: int):
    found = calendar.find_for(obligation_id, current_user.agency_id)
    if found is None or found.kind not in SENDABLE:
        abort(404)
    if request.method == "GET":
        return _send_page(found, _send_form(found, False))
    form = _send_form(found, True)
    if not form.validate():
        return _send_page(found, form, 422)
    actor = Actor.staff(_user())
    try:
        if found.kind == "avance_trimestral":
            sent = validation.submit_quarterly_report(
                found, _number(form.trimestre.data), actor, request_id=g.get("request_id", "")
            )
        else:
            sent = validation.submit_roll(
                _number(form.padron.data),
                Agency.get_by_id(found.agency_id),
                actor,
                obligation=found,
                request_id=g.get("request_id", ""),
            )
    except ValidationError as error:
        target = getattr(form, error.field, None) if error.field else None
        if target is None:
            flash(error.message, "error")
            return redirect(url_for("secretariat.index") + f"#obligacion-{found.id}", code=303)
        target.errors.append(error.message)
        return _send_page(found, form, 422)
    flash(_("Enviado a la Secretaría para su validación."), "ok")
    return redirect(url_for("secretariat.submission", submission_id=sent.id), code=303)


@bp.get("/validacion")
@staff_required(*CALENDAR_READERS)
def submissions():
    return render(
        "secretariat/submissions.html",
        submissions=validation.queue(_scope()),
        agencies={a.id: a.name for a in Agency.select(Agency.id, Agency.name)},
        statuses=validation.STATUSES,
        kinds=validation.KINDS,
        is_secretariat=_scope() is None,
    )


def _submission(submission_id: int):
    found = validation.find_for(submission_id, _scope())
    if found is None:
        abort(404)
    return found


def _submission_page(found, form=None, status=200):
    items = validation.items_of(found)
    is_secretariat = _scope() is None
    if form is None and is_secretariat:
        form = decision_form(items, formdata=False)
    return render(
        "secretariat/submission.html",
        submission=found,
        agency=Agency.get_by_id(found.agency_id),
        items=items,
        form=form,
        statuses=validation.STATUSES,
        kinds=validation.KINDS,
        is_secretariat=is_secretariat,
        may_decide=is_secretariat and found.status in validation.OPEN,
    ), status


@bp.get("/validacion/<int:submission_id>")
@staff_required(*CALENDAR_READERS)
def submission(submission_id: int):
    return _submission_page(_submission(submission_id))


@bp.post("/validacion/<int:submission_id>/revisar")
@staff_required(*SECRETARIAT)
def take(submission_id: int):
    found = _submission(submission_id)
    try:
        validation.take(found, Actor.staff(_user()), request_id=g.get("request_id", ""))
    except ValidationError as error:
        flash(error.message, "error")
    return redirect(url_for("secretariat.submission", submission_id=found.id), code=303)


@bp.post("/validacion/<int:submission_id>/decision")
@staff_required(*SECRETARIAT)
def decide(submission_id: int):
    found = _submission(submission_id)
    items = validation.items_of(found)
    form = decision_form(items)
    if not form.validate():
        return _submission_page(found, form, 422)
    verdicts = {
        item.id: validation.Verdict(
            form[f"veredicto_{item.id}"].data or "", form[f"comentario_{item.id}"].data or ""
        )
        for item in items
    }
    try:
        validation.decide(found, verdicts, Actor.staff(_user()), request_id=g.get("request_id", ""))
    except ValidationError as error:
        if error.field and error.field in form:
            form[error.field].errors.append(error.message)
            return _submission_page(found, form, 422)
        flash(error.message, "error")
        return redirect(url_for("secretariat.submission", submission_id=found.id), code=303)
    flash(_("Decisión guardada; la dependencia ya la ve."), "ok")
    return redirect(url_for("secretariat.submissions"), code=303)


# Messages ------------------------------------------------------------------------------

WRITERS = (*SECRETARIAT, *messaging.AGENCY_WRITERS)


def _attachment(form):
    """The checked attachment, or None; UploadRejected says why not."""
    upload = request.files.get(form.adjunto.name)
    if not upload or not upload.filename:
        return None
    return inspect_upload(
        upload.read(),
        upload.filename,
        allowed=DEFAULT_ALLOWED,
        max_bytes=max_upload_bytes(current_app.config),
    )


@bp.get("/mensajes")
@staff_required(*WRITERS)
def threads():
    programs = Program.select(Program.id, Program.name).order_by(Program.name)
    if _scope() is not None:
        programs = programs.where(Program.agency == _scope())
    return render(
        "secretariat/threads.html",
        threads=messaging.threads_of(_user()),
        agencies={a.id: a.name for a in Agency.select(Agency.id, Agency.name)},
        topics=messaging.TOPICS,
        programs=list(programs),
    )


def _topic() -> tuple[str, int, tuple[int, str]]:
    topic = request.args.get("tema", "")
    topic_id = _number(request.args.get("id"))
    about = messaging.topic_agency(topic, topic_id or 0, _scope()) if topic_id else None
    if about is None:
        abort(404)
    return topic, topic_id or 0, about


def _new_thread_page(topic, topic_id, about, form, status=200):
    return render(
        "secretariat/thread_form.html",
        form=form,
        topic=topic,
        topic_id=topic_id,
        about=about[1],
        agency=Agency.get_by_id(about[0]),
        topics=messaging.TOPICS,
    ), status


@bp.route("/mensajes/nueva", methods=["GET", "POST"])
@staff_required(*WRITERS)
def new_thread():
    topic, topic_id, about = _topic()
    if request.method == "GET":
        return _new_thread_page(topic, topic_id, about, ThreadForm(formdata=None))
    form = ThreadForm()
    if not form.validate():
        return _new_thread_page(topic, topic_id, about, form, 422)
    try:
        thread = messaging.start(
            _user(),
            topic,
            topic_id,
            form.asunto.data or "",
            form.mensaje.data or "",
            _attachment(form),
            request_id=g.get("request_id", ""),
        )
    except UploadRejected as error:
        form.adjunto.errors.append(error.message)
        return _new_thread_page(topic, topic_id, about, form, refusal_status(error))
    except MessageError as error:
        form[error.field].errors.append(error.message)
        return _new_thread_page(topic, topic_id, about, form, 422)
    flash(_("Mensaje enviado."), "ok")
    return redirect(url_for("secretariat.thread", thread_id=thread.id), code=303)


def _thread(thread_id: int):
    found = messaging.find_for(thread_id, _user())
    if found is None:
        abort(404)
    return found


def _thread_page(found, form, status=200):
    return render(
        "secretariat/thread.html",
        thread=found,
        agency=Agency.get_by_id(found.agency_id),
        messages=messaging.messages_of(found),
        form=form,
        topics=messaging.TOPICS,
        my_side=messaging.side_of(_user()),
    ), status


@bp.get("/mensajes/<int:thread_id>")
@staff_required(*WRITERS)
def thread(thread_id: int):
    found = _thread(thread_id)
    messaging.mark_read(found, _user(), request_id=g.get("request_id", ""))
    return _thread_page(found, ReplyForm(formdata=None))


@bp.post("/mensajes/<int:thread_id>")
@staff_required(*WRITERS)
def reply(thread_id: int):
    found = _thread(thread_id)
    form = ReplyForm()
    if not form.validate():
        return _thread_page(found, form, 422)
    try:
        message = messaging.reply(
            found,
            _user(),
            form.mensaje.data or "",
            _attachment(form),
            request_id=g.get("request_id", ""),
        )
    except UploadRejected as error:
        form.adjunto.errors.append(error.message)
        return _thread_page(found, form, refusal_status(error))
    except MessageError as error:
        form[error.field].errors.append(error.message)
        return _thread_page(found, form, 422)
    flash(_("Mensaje enviado."), "ok")
    return redirect(
        url_for("secretariat.thread", thread_id=found.id) + f"#mensaje-{message.id}", code=303
    )


@bp.get("/mensajes/<int:thread_id>/adjunto/<int:message_id>")
@staff_required(*WRITERS)
def attachment(thread_id: int, message_id: int):
    found = _thread(thread_id)
    message = messaging.attachment_of(found, message_id)
    if message is None:
        abort(404)
    record_staff(
        AuditAction.MESSAGE_ATTACHMENT_VIEW,
        object_type="conversacion",
        object_id=found.id,
        details={"mensaje": message.id},
    )
    response = Response(
        messaging.storage().get(message.attachment_key), mimetype=message.attachment_type
    )
    response.headers.update(attachment_headers(message.attachment_name))
    response.headers["Cache-Control"] = "no-store"
    return response
