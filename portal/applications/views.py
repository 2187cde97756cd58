"""Applying, uploading documents, following, correcting and cancelling; the inbox.

Every application and document is loaded through a query scoped to the
signed-in person: anyone else's gives 404, whatever the folio or id typed.
"""

from __future__ import annotations

import datetime as dt
import uuid

from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from portal.applications import guardian as guardians
from portal.applications import notice_texts, receipts
from portal.applications import workflow as apps
from portal.applications.documents import get_storage, serve_document
from portal.applications.notices import mark_read
from portal.applications.receipts import waiting_list
from portal.applications.uploads import (
    UploadRejected,
    inspect_upload,
    max_upload_bytes,
    refusal_status,
    too_large_message,
)
from portal.backoffice.audit import Actor
from portal.catalog import content
from portal.citizens.forms import phone_number
from portal.eligibility.household import HouseholdError
from portal.eligibility.missing import ASKED_TO_APPLY
from portal.messages import Message, _l
from portal.messages import gettext as _
from portal.models import Application, Citizen, Document, Notice, Program, Requirement
from portal.territory import corrections
from portal.vocabulary import ApplicationStatus as S
from portal.web.auth import citizen_required
from portal.web.errors import keep_place_on_413
from portal.web.forms import BaseForm
from portal.web.htmx import render
from portal.web.i18n import content_language
from portal.web.tables import Prepared, Slot
from portal.web.values import IDENTITY_FIELDS, answer_rows

bp = Blueprint("applications", __name__)


class StartForm(BaseForm):
    # One key per rendered form: a double click or a repeated post of the same
    # form finds the draft the first post created.
    idempotency_key = HiddenField()


class ChildForm(StartForm):
    """The child a parent or guardian applies for: CURP and names."""

    curp = StringField(_l("CURP de la niña o el niño"), description=_l("18 letras y números."))
    given_names = StringField(_l("Nombre o nombres"))
    first_surname = StringField(_l("Primer apellido"))
    second_surname = StringField(_l("Segundo apellido (si tiene)"))


class UploadForm(BaseForm):
    document = FileField()


class ActionForm(BaseForm):
    """A button that changes state: only the CSRF token."""


# Validators for the fields a reviewer may flag (see apps.CORRECTABLE_FIELDS).
_FIELD_CHECKS = {
    "postal_code": [Regexp(r"^\d{5}$", message="El código postal tiene 5 números.")],
    "phone": [phone_number],
    "email": [Email(message="Escriba un correo como nombre@ejemplo.mx.")],
    "interior_number": [Optional()],
}


def correction_form(fields, answers, formdata=None):
    """A form with exactly the flagged fields, prefilled with what was sent."""

    class CorrectionForm(BaseForm):
        pass

    # A flagged colonia or locality is picked from the state's catalogs when
    # they list it in advance (portal/territory/corrections.py).
    offered = corrections.choices_for(list(fields), answers)
    for name in fields:
        checks = _FIELD_CHECKS.get(name, [Length(min=1, message="Escriba este dato.")])
        if name in offered:
            field = SelectField(
                apps.CORRECTABLE_FIELDS[name],
                choices=[SelectChoice("", _l("Elija de la lista"))]
                + [SelectChoice(n, n) for n in offered[name]],
                validators=[InputRequired(message=_l("Elija una opción de la lista."))],
            )
        else:
            field = StringField(
                apps.CORRECTABLE_FIELDS[name], validators=[*checks, Length(max=120)]
            )
        setattr(CorrectionForm, name, field)
    return CorrectionForm(formdata=formdata, data={n: answers.get(n, "") for n in fields})


def actor() -> Actor:
    return Actor.citizen(current_user.id)


# Every page of an application looks it up by folio and owner, the person's
# own or a child's they applied for as guardian: prepared once.
_OWN = Prepared(
    lambda: (
        Application.select()
        .where(
            (Application.folio == Slot("folio"))
            & ((Application.citizen == Slot("citizen")) | (Application.guardian == Slot("citizen")))
        )
        .limit(1)
    )
)


def own_application(folio: str) -> Application:
    application = next(iter(_OWN(folio=folio, citizen=current_user.id)), None)
    if application is None:
        abort(404)
    return application


def documents_context(application: Application, **extra):
    requirements = apps.required_requirements(application)
    current = apps.current_documents(application)
    return {
        "application": application,
        "program": Program.get_by_id(application.program_id),
        "requirements": requirements,
        "current": current,
        "missing": apps.missing_requirements(application, requirements, current),
        "waived": apps.waived_requirements(application),
        "curp_proof": apps.curp_proof(application.citizen_id),
        # Empty forms, the request's body unread: it may be one refused as too large.
        "upload_form": UploadForm(formdata=None),
        "action_form": ActionForm(formdata=None),
        "max_mb": current_app.config["MAX_UPLOAD_MB"],
        **extra,
    }


def profile_answers(profile: dict) -> list[tuple[str, str]]:
    """The questionnaire answers as (label, text) for "Lo que nos contó"; identity
    comes from the digital ID and is shown above."""
    return answer_rows(profile, skip=IDENTITY_FIELDS)


@bp.route("/programas/<slug>/solicitar", methods=["GET", "POST"])
@citizen_required
def apply(slug: str):
    program = Program.get_or_none((Program.slug == slug) & (Program.active == True))  # noqa: E712
    if program is None:
        abort(404)
    citizen = Citizen.get_by_id(current_user.id)
    live = (
        Application.select()
        .where(
            (Application.citizen == citizen)
            & (Application.program == program)
            & Application.status.in_(apps.LIVE_STATUSES)
        )
        .first()
    )
    if live is not None:
        flash(_("Ya tiene una solicitud a este programa; aquí puede seguirla."), "info")
        return redirect(url_for(".detail", folio=live.folio), code=303)
    today = dt.date.today()
    missing_url = _missing_answers_url(citizen, program, today)
    if missing_url and request.method == "GET" and session.pop(ASKED_TO_APPLY, None) != slug:
        # A "maybe": ask the missing answers on the way, then come back here.
        return redirect(missing_url, code=303)
    form = StartForm()
    reasons: list[str] = []
    if form.validate_on_submit():
        try:
            draft = apps.start_draft(
                citizen,
                program,
                form.idempotency_key.data or uuid.uuid4().hex,
                folio_prefix=current_app.config["FOLIO_PREFIX"],
            )
        except apps.Refused as refused:
            # Nothing was written: the page says why, with the way out.
            reasons = refused.reasons
        except apps.NotFound:
            abort(404)
        except apps.ApplicationError as error:
            flash(error.message, "error")
            return redirect(url_for(".apply", slug=slug), code=303)
        else:
            return redirect(url_for(".documents", folio=draft.folio), code=303)
    form.idempotency_key.data = uuid.uuid4().hex
    if not reasons:
        reasons = [str(r) for r in apps.eligibility_reasons(citizen, program, today)]
    status = 422 if form.errors or (reasons and request.method == "POST") else 200
    call = apps.open_call(program, today)
    return render(
        "applications/apply.html",
        program=program,
        children=guardians.children(citizen.id),
        call_full=call is not None and call.places_left() == 0,
        citizen=citizen,
        answers=apps.snapshot_answers(citizen),
        profile_answers=profile_answers(citizen.profile or {}),
        reasons=reasons,
        missing_url=missing_url,
        form=form,
    ), status


@bp.route("/programas/<slug>/solicitar-para/<int:member>", methods=["GET", "POST"])
@citizen_required
def apply_for_child(slug: str, member: int):
    """A parent or guardian applies for a child of their household (``member``:
    its place in their household list); see portal/applications/guardian.py."""
    program = Program.get_or_none((Program.slug == slug) & (Program.active == True))  # noqa: E712
    guardian = Citizen.get_by_id(current_user.id)
    child = guardians.member_at(guardian.id, member)
    if program is None or child is None:
        abort(404)
    form = ChildForm()
    reasons: list[str] = []
    if child.is_child and form.validate_on_submit():
        today = dt.date.today()
        try:
            details = guardians.read_child(form.data, child, guardian, today)
            draft = guardians.apply_for_child(
                guardian,
                child,
                details,
                program,
                form.idempotency_key.data or uuid.uuid4().hex,
                on=today,
                folio_prefix=current_app.config["FOLIO_PREFIX"],
                request_id=g.request_id,
            )
        except HouseholdError as error:
            for name, message in error.errors.items():
                form[name].errors = [str(message)]
        except apps.Refused as refused:
            reasons = refused.reasons
        except apps.NotFound:
            abort(404)
        except apps.ApplicationError as error:
            flash(error.message, "error")
            return redirect(url_for(".apply_for_child", slug=slug, member=member), code=303)
        else:
            return redirect(url_for(".documents", folio=draft.folio), code=303)
    form.idempotency_key.data = uuid.uuid4().hex
    failed = form.errors or reasons or (request.method == "POST" and not child.is_child)
    return render(
        "applications/apply_for_child.html",
        program=program,
        member=child,
        member_index=member,
        reasons=reasons,
        form=form,
    ), (422 if failed else 200)


# The questionnaire's pages that ask a "maybe" its missing answers.
MISSING_ANSWERS_VIEW = "questionnaire.para_solicitar.start_pass"


def _missing_answers_url(citizen: Citizen, program: Program, on: dt.date) -> str | None:
    """Where to answer what the program still needs to decide (None: nothing, or no call)."""
    if (
        MISSING_ANSWERS_VIEW not in current_app.view_functions
        or apps.open_call(program, on) is None
    ):
        return None
    if not apps.missing_answers(citizen, program, on):
        return None
    return url_for(MISSING_ANSWERS_VIEW, slug=program.slug)


@bp.get("/mis-solicitudes/<folio>/documentos")
@citizen_required
def documents(folio: str):
    application = own_application(folio)
    if application.status != S.BORRADOR:
        return redirect(url_for(".detail", folio=folio), code=303)
    return render("applications/documents.html", **documents_context(application))


def _upload_target(folio: str, requirement_id: int) -> tuple[Application, Requirement]:
    """The person's application and the requirement a file is for, once it
    may still change; 404 or 409 otherwise."""
    application = own_application(folio)
    requirement = Requirement.get_or_none(
        (Requirement.id == requirement_id) & (Requirement.program == application.program_id)
    )
    if requirement is None:
        abort(404)
    if not apps.may_change_document(application, requirement.id):
        abort(409)
    return application, requirement


@bp.post("/mis-solicitudes/<folio>/requisitos/<int:requirement_id>")
@citizen_required
def upload(folio: str, requirement_id: int):
    application, requirement = _upload_target(folio, requirement_id)
    back = ".documents" if application.status == S.BORRADOR else ".detail"
    # The CSRF token was checked before the view (CSRFProtect).
    upload = UploadForm().document.data
    if upload is None or not upload.filename:
        return _refused(application, requirement, _("Elija un archivo o tome una foto."))
    limit = max_upload_bytes(current_app.config)
    data = upload.read(limit + 1)
    try:
        clean = inspect_upload(
            data, upload.filename, allowed=set(requirement.formats.split(",")), max_bytes=limit
        )
        apps.add_document(application, requirement, clean, get_storage(), actor())
    except UploadRejected as rejected:
        return _refused(application, requirement, rejected.message, refusal_status(rejected))
    name = content.document_text(Program.get_by_id(application.program_id), requirement, "name")
    flash(_("Recibimos «%(name)s».", name=name), "ok")
    if clean.notice:  # what the PDF disarm removed
        flash(str(clean.notice), "info")
    return redirect(url_for(back, folio=folio) + f"#requisito-{requirement.id}", code=303)


@citizen_required
def _upload_too_large(folio: str, requirement_id: int):
    """A file over the limit, refused before it was read: the same page as any
    other refusal, after the same checks as :func:`upload`."""
    application, requirement = _upload_target(folio, requirement_id)
    message = too_large_message(requirement.formats, current_app.config["MAX_UPLOAD_MB"])
    return _refused(application, requirement, str(message), 413)


keep_place_on_413(bp, "applications.upload", _upload_too_large)


def _documents_named(application: Application, refused: apps.Refused) -> list[str]:
    """The reasons of a refusal, each document they name (the workflow names them
    in Spanish) in the person's language, from the program's translations."""
    program = Program.get_by_id(application.program_id)
    names = {
        r.name: content.document_text(program, r, "name")
        for r in apps.required_requirements(application)
    }
    shown = []
    for text in refused.texts:
        named = text.values.get("name") if isinstance(text, Message) else None
        if isinstance(text, Message) and named in names:
            text = _l(text.msgid, **{**text.values, "name": names[named]})
        shown.append(str(text))
    return shown


def _refused(application: Application, requirement: Requirement, message: str, status: int = 422):
    """The page again, with the message next to the document it is about; the
    form's action ends in the document's anchor, so the browser shows it."""
    errors = {requirement.id: message}
    if application.status == S.BORRADOR:
        return render(
            "applications/documents.html", **documents_context(application, errors=errors)
        ), status
    return detail_page(application, errors=errors), status


@bp.post("/mis-solicitudes/<folio>/enviar")
@citizen_required
def submit(folio: str):
    application = own_application(folio)
    try:
        apps.submit(application, actor())
    except apps.Refused as refused:
        return render(
            "applications/documents.html",
            **documents_context(application, reasons=_documents_named(application, refused)),
        ), 422
    except apps.ApplicationError as error:
        flash(error.message, "error")
        return redirect(url_for(".detail", folio=folio), code=303)
    return redirect(url_for(".receipt", folio=folio), code=303)


@bp.get("/mis-solicitudes/<folio>/comprobante")
@citizen_required
def receipt(folio: str):
    """The receipt; ``?imprimir=1`` gives its print version, ready for the
    browser's print button (the "Imprimir comprobante" link needs no script)."""
    application = own_application(folio)
    if application.submitted_at is None:
        return redirect(url_for(".detail", folio=folio), code=303)
    shown = receipts.receipt(application, waiting_list(application))
    if request.args.get("imprimir"):
        return _printable(shown, "carta")
    return render("applications/receipt.html", receipt=shown)


@bp.get("/mis-solicitudes/<folio>/comprobante/80mm")
@citizen_required
def receipt_slip(folio: str):
    """The receipt on 80 mm paper, for a kiosk's receipt printer."""
    application = own_application(folio)
    if application.submitted_at is None:
        return redirect(url_for(".detail", folio=folio), code=303)
    return _printable(receipts.receipt(application, waiting_list(application)), "80mm")


def _printable(shown: receipts.Receipt, paper: str):
    return render(
        "applications/receipt_print.html",
        receipt=shown,
        paper=paper,
        back_url=url_for(".receipt", folio=shown.application.folio),
    )


@bp.get("/mis-solicitudes")
@citizen_required
def index():
    return render("applications/index.html", applications=guardians.followed_list(current_user.id))


def detail_page(application: Application, *, errors=None, form=None):
    correction = apps.Correction.of(application)
    if correction and form is None:
        form = correction_form(correction.fields, application.answers or {}, formdata=None)
    requirements = apps.required_requirements(application)
    current = apps.current_documents(application)
    return render(
        "applications/detail.html",
        application=application,
        program=Program.get_by_id(application.program_id),
        timeline=apps.timeline(application),
        requirements=requirements,
        current=current,
        missing=apps.missing_requirements(application, requirements, current),
        correction=correction,
        flagged=[r for r in requirements if correction and r.id in correction.documents],
        correction_form=form,
        upload_form=UploadForm(formdata=None),
        action_form=ActionForm(formdata=None),
        can_cancel=apps.can(application, S.CANCELADA, actor()),
        next_step=apps.next_step(application),
        waiting=waiting_list(application),
        errors=errors or {},
        max_mb=current_app.config["MAX_UPLOAD_MB"],
    )


@bp.get("/mis-solicitudes/<folio>")
@citizen_required
def detail(folio: str):
    return detail_page(own_application(folio))


@bp.post("/mis-solicitudes/<folio>/correccion")
@citizen_required
def resubmit(folio: str):
    application = own_application(folio)
    correction = apps.Correction.of(application)
    if application.status != S.REQUIERE_CORRECCION or correction is None:
        abort(409)
    form = correction_form(correction.fields, application.answers or {}, formdata=request.form)
    if not form.validate_on_submit():
        return detail_page(application, form=form), 422
    values = {name: form[name].data for name in correction.fields}
    wrong, values = corrections.check(values, application.answers or {})
    if wrong:
        for name, message in wrong.items():
            form[name].errors = [message]
        return detail_page(application, form=form), 422
    try:
        apps.resubmit(application, actor(), values)
    except apps.Refused as refused:
        for reason in _documents_named(application, refused):
            flash(reason, "error")
        return detail_page(application, form=form), 422
    except apps.ApplicationError as error:
        flash(error.message, "error")
        return redirect(url_for(".detail", folio=folio), code=303)
    flash(_("Enviamos su corrección. La dependencia la revisará."), "ok")
    return redirect(url_for(".detail", folio=folio), code=303)


@bp.route("/mis-solicitudes/<folio>/cancelar", methods=["GET", "POST"])
@citizen_required
def cancel(folio: str):
    application = own_application(folio)
    if not apps.can(application, S.CANCELADA, actor()):
        flash(_("Esta solicitud ya no se puede cancelar."), "error")
        return redirect(url_for(".detail", folio=folio), code=303)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            apps.cancel(application, actor(), _("Cancelada por la persona solicitante."))
        except apps.ApplicationError as error:
            flash(error.message, "error")
        else:
            flash(_("Cancelamos su solicitud %(folio)s.", folio=folio), "ok")
        return redirect(url_for(".detail", folio=folio), code=303)
    return render(
        "applications/cancel.html",
        application=application,
        program=Program.get_by_id(application.program_id),
        form=form,
    ), (422 if form.errors else 200)


@bp.get("/mis-solicitudes/<folio>/documentos/<int:document_id>")
@citizen_required
def download(folio: str, document_id: int):
    application = own_application(folio)
    document = Document.get_or_none(
        (Document.id == document_id) & (Document.application == application)
    )
    if document is None:
        abort(404)
    return serve_document(document, inline=False)


@bp.get("/avisos")
@citizen_required
def notices():
    rows = list(
        Notice.select()
        .where(Notice.citizen == current_user.id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(100)
    )
    unread = {n.id for n in rows if n.read_at is None}
    if unread:
        # Seen once listed: the page marks them so the count goes down.
        mark_read(current_user.id, unread)
    shown = notice_texts.shown(rows, content_language())
    return render("applications/notices.html", notices=shown, unread=unread)


def status_label(status: str) -> str:
    return str(apps.STATUS_LABELS[S(status)])


def actor_label(event) -> str:
    """Who did a timeline step, as the person who applied reads it."""
    if event.actor_kind == "ciudadano":
        return _("usted")
    if event.assisted:
        return _("personal de ventanilla, a su nombre")
    return _("la dependencia") if event.actor_kind == "personal" else _("el sistema")
