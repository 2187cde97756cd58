"""Assisted mode (/oficina/ventanilla): staff serve a person without a digital ID.

The staff member finds the person by CURP or registers them (CURP validated
and checked against the birth date and sex typed), records the ID the person
showed, then answers the needs questionnaire with them
(views/oficina_questionnaire.py), applies and uploads documents on their
behalf through the same domain functions the citizen pages use. Every step
carries the staff identity: Application.assisted_by, assisted timeline events,
audit entries. The record is keyed by CURP, so the person's later digital-ID
sign-in finds it, answers included.

People are found by CURP only: there is no list of people and no record id
in any URL. A look-up keeps the person found in this staff session (one at a
time; a new look-up replaces it), and every page that shows them records a
view in the audit trail (``audit.record_view``, reason "ventanilla"), which
the person reads in /mis-datos. Acting for the person needs an identity check
in this session, with a number that has its document's shape
(portal/citizens/id_documents.py); the session remembers which person was
looked up and checked and the order of the questions asked of them, and
nothing else.
"""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import date
from typing import NoReturn

from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms.fields.choices import SelectChoice

from portal.applications import guardian as guardians
from portal.applications import receipts
from portal.applications import workflow as apps
from portal.applications.documents import get_storage
from portal.applications.uploads import (
    UploadRejected,
    inspect_upload,
    max_upload_bytes,
    refusal_status,
    too_large_message,
)
from portal.backoffice import audit
from portal.backoffice.forms import (
    AssistedApplyForm,
    ConfirmForm,
    CounterChildForm,
    CounterContactForm,
    CurpForm,
    IdentityCheckForm,
    RegisterForm,
)
from portal.backoffice.views import shared as staff
from portal.citizens import consents, id_documents
from portal.citizens import curp as curp_rules
from portal.citizens import record as citizens
from portal.citizens.phones import PhoneError
from portal.citizens.record import ChildDetails
from portal.eligibility import flow as questionnaire_flow
from portal.eligibility.household import HouseholdError, Member
from portal.eligibility.profile import FIELDS
from portal.messages import gettext as _
from portal.models import (
    Agency,
    Application,
    Citizen,
    Municipality,
    Program,
    Requirement,
)
from portal.rights.holidays import local_today
from portal.vocabulary import ApplicationStatus as S
from portal.vocabulary import ConsentPurpose, Role, ViewReason
from portal.web.auth import staff_required
from portal.web.errors import keep_place_on_413
from portal.web.forms import BaseForm
from portal.web.htmx import render

bp = Blueprint("oficina_assisted", __name__, url_prefix="/oficina/ventanilla")

# The state counter serves every agency's programs (staff.counter_scope);
# the others, their own agency's.
COUNTER_STAFF = (Role.REVISOR, Role.ADMIN_DEPENDENCIA, Role.VENTANILLA_ESTATAL)
LOOKED_UP = "ventanilla_consulta"  # the person found by CURP in this staff session
VERIFIED = "ventanilla_persona"  # ... once their ID was checked
ASKED = "ventanilla_preguntas"  # the order of the questions asked of the checked person


class UploadForm(BaseForm):
    document = FileField()


def _to_start(message: str) -> NoReturn:
    flash(message, "error")
    abort(redirect(url_for("oficina_assisted.start"), code=303))


def looked_up_citizen() -> Citizen:
    """The person this staff session looked up by CURP; a view is audited on each page shown."""
    citizen_id = session.get(LOOKED_UP)
    citizen = Citizen.get_or_none(Citizen.id == citizen_id) if citizen_id else None
    if citizen is None:
        _to_start(_("Busque a la persona por su CURP."))
    if request.method == "GET":
        audit.record_view(
            current_user, citizen, ViewReason.VENTANILLA, request_id=g.get("request_id", "")
        )
    return citizen


def verified_citizen() -> Citizen:
    """The person looked up, once their ID was checked in this session (else to their page)."""
    citizen = looked_up_citizen()
    if session.get(VERIFIED) != citizen.id:
        flash(_("Primero registre la identificación que presentó la persona."), "error")
        abort(redirect(url_for("oficina_assisted.person"), code=303))
    return citizen


def _looked_up(citizen: Citizen) -> None:
    """This staff session now serves ``citizen``, not yet checked."""
    session[LOOKED_UP] = citizen.id
    session.pop(VERIFIED, None)
    session.pop(ASKED, None)


def _checked(citizen: Citizen) -> None:
    """This staff session may now act for ``citizen`` (and for nobody else)."""
    session[LOOKED_UP] = citizen.id
    session[VERIFIED] = citizen.id
    session.pop(ASKED, None)


@bp.route("", methods=["GET", "POST"])
@staff_required(*COUNTER_STAFF)
def start():
    form = CurpForm()
    if form.validate_on_submit():
        try:
            value = curp_rules.validate(form.curp.data)
        except curp_rules.CurpError as exc:
            form.curp.errors.append(str(exc))
        else:
            citizen = Citizen.get_or_none(Citizen.curp == value)
            staff.record(
                "ventanilla.buscar",
                object_type="ciudadano",
                object_id=citizen.id if citizen else "",
                outcome="encontrada" if citizen else "sin_registro",
            )
            session.pop(LOOKED_UP, None)
            session.pop(VERIFIED, None)
            if citizen:
                _looked_up(citizen)
                return redirect(url_for(".person"), code=303)
            session["ventanilla_curp"] = value
            return redirect(url_for(".register"), code=303)
    return render("backoffice/assisted_start.html", form=form), 422 if form.errors else 200


@bp.route("/registro", methods=["GET", "POST"])
@staff_required(*COUNTER_STAFF)
def register():
    form = RegisterForm(
        data={"curp": session.get("ventanilla_curp", "")} if request.method == "GET" else None
    )
    form.municipality.choices = [
        SelectChoice(m.code, m.name) for m in Municipality.select().order_by(Municipality.name)
    ]
    if form.validate_on_submit():
        data = citizens.CounterRegistration(
            **{f.name: form[f.name].data for f in fields(citizens.CounterRegistration)}
        )
        try:
            citizen = citizens.register_at_counter(data, staff.actor(), request_id=g.request_id)
        except citizens.IdentityMismatch as exc:
            form.curp.errors.extend(exc.problems)
        except id_documents.IdNumberError as exc:
            form.id_number.errors.append(exc.message)
        except citizens.AlreadyRegistered:
            form.curp.errors.append(
                _("Ya hay un expediente con esa CURP: búsquela en lugar de registrarla.")
            )
        else:
            _checked(citizen)
            session.pop("ventanilla_curp", None)
            flash(_("Expediente creado."), "ok")
            return redirect(url_for(".person"), code=303)
    return render("backoffice/assisted_register.html", form=form), 422 if form.errors else 200


def _own_programs():
    """The programs this staff member serves: every agency's at the state
    counter, their agency's elsewhere (staff.counter_scope)."""
    return (
        staff.counter_scope(Program.select(Program, Agency).join(Agency), Program.agency)
        .where(Program.active == True)  # noqa: E712
        .order_by(Program.name)
    )


def open_programs(today: date) -> list[Program]:
    """The programs served here that take applications today."""
    return [p for p in _own_programs() if apps.open_call(p, today)]


def program_choice(program: Program) -> SelectChoice:
    """A program in the counter's list; the state counter's names its agency,
    whose queue the application goes to."""
    if staff.serves_every_agency():
        return SelectChoice(program.slug, f"{program.name} · {program.agency.name}")
    return SelectChoice(program.slug, program.name)


@bp.route("/persona", methods=["GET", "POST"])
@staff_required(*COUNTER_STAFF)
def person():
    citizen = looked_up_citizen()
    check_form = IdentityCheckForm()
    if request.method == "POST" and check_form.validate_on_submit():
        try:
            citizens.record_identity_check(
                citizen,
                staff.actor(),
                check_form.id_type.data,
                check_form.id_number.data,
                request_id=g.request_id,
            )
        except id_documents.IdNumberError as exc:
            check_form.id_number.errors.append(exc.message)
        else:
            _checked(citizen)
            return redirect(url_for(".person"), code=303)
    return _person_page(citizen, check_form)


def _person_page(citizen: Citizen, check_form: IdentityCheckForm, refused: str = ""):
    """The person's page at the counter; ``refused``: why starting an
    application was refused, shown on the program field (422)."""
    verified = session.get(VERIFIED) == citizen.id
    apply_form = AssistedApplyForm(formdata=None, idempotency_key=uuid.uuid4().hex)
    today = local_today()
    apply_form.program.choices = [program_choice(p) for p in open_programs(today)]
    if refused:
        apply_form.program.errors = [refused]
    # Their own and those made for a child of theirs (both keys indexed).
    applications = list(
        staff.counter_scope(Application.select().join(Program), Program.agency)
        .where((Application.citizen == citizen.id) | (Application.guardian == citizen.id))
        .order_by(Application.created_at.desc())
    )
    status = 422 if check_form.errors or refused else 200
    return render(
        "backoffice/assisted_person.html",
        citizen=citizen,
        masked=curp_rules.mask(citizen.curp),
        verified=verified,
        check_form=check_form,
        apply_form=apply_form,
        applications=applications,
        answered=questionnaire_flow.answered_count(citizen),
        every_agency=staff.serves_every_agency(),
        contact_consent=consents.in_force(citizen.id, ConsentPurpose.CONTACTO),
    ), status


@bp.post("/persona/solicitar")
@staff_required(*COUNTER_STAFF)
def apply():
    citizen = verified_citizen()
    form = AssistedApplyForm()
    form.program.choices = [program_choice(p) for p in _own_programs()]
    if not form.validate_on_submit():
        refused = (
            _("Elija uno de los programas de la lista.")
            if staff.serves_every_agency()
            else _("Elija un programa de su dependencia.")
        )
        return _person_page(citizen, IdentityCheckForm(formdata=None), refused)
    program = Program.get(Program.slug == form.program.data)
    try:
        application = apps.start_draft(
            citizen,
            program,
            form.idempotency_key.data,
            folio_prefix=current_app.config["FOLIO_PREFIX"],
            assisted_by=current_user.id,
        )
    except apps.ApplicationError as exc:
        return _person_page(citizen, IdentityCheckForm(formdata=None), str(exc.message))
    return redirect(url_for(".application", folio=application.folio), code=303)


# A refusal that is about the child (their CURP), not about the program.
_CHILD_REFUSALS = (str(guardians.NOT_THIS_CURP), str(guardians.CHILD_ALREADY_APPLIED))


@bp.route("/persona/solicitar-para-menor", methods=["GET", "POST"])
@staff_required(*COUNTER_STAFF)
def apply_for_child():
    """The person served, a parent or guardian, applies for a daughter, son,
    granddaughter or grandson under 18: the child's record is found or made
    and the draft started through portal/applications/guardian.py, the
    citizen's own flow, with this staff member as the one who assisted."""
    guardian = verified_citizen()
    form = CounterChildForm()
    today = local_today()
    form.program.choices = [program_choice(p) for p in open_programs(today)]
    if request.method == "POST":
        valid = form.validate()  # the token, a program served here today, the key
        if form.program.errors:
            form.program.errors = [_("Elija uno de los programas de la lista.")]
        try:
            member, details = guardians.read_child_at_counter(form.data, guardian, today)
        except HouseholdError as error:
            for name, message in error.errors.items():
                form[name].errors = [str(message)]
        else:
            draft = _start_for_child(form, guardian, member, details, today) if valid else None
            if draft is not None:
                flash(_("Solicitud empezada a nombre de la niña o el niño."), "ok")
                return redirect(url_for(".application", folio=draft.folio), code=303)
    else:
        form.idempotency_key.data = uuid.uuid4().hex
    return render(
        "backoffice/assisted_child.html",
        form=form,
        guardian=guardian,
        masked=curp_rules.mask(guardian.curp),
        every_agency=staff.serves_every_agency(),
    ), (422 if request.method == "POST" else 200)


def _start_for_child(
    form: CounterChildForm,
    guardian: Citizen,
    member: Member,
    details: ChildDetails,
    today: date,
) -> Application | None:
    """The child's draft, or None with the refusal on its field: the CURP for
    what is about the child, the program for its rules."""
    try:
        return guardians.apply_for_child(
            guardian,
            member,
            details,
            Program.get(Program.slug == form.program.data),
            form.idempotency_key.data,
            on=today,
            folio_prefix=current_app.config["FOLIO_PREFIX"],
            request_id=g.request_id,
            staff=staff.actor(),
        )
    except apps.Refused as refused:
        about_child = [r for r in refused.reasons if r in _CHILD_REFUSALS]
        if about_child:
            not_this = str(guardians.NOT_THIS_CURP)
            form.curp.errors = [
                str(guardians.NOT_THIS_CURP_AT_COUNTER) if r == not_this else r for r in about_child
            ]
        else:
            form.program.errors = list(refused.reasons)
    except apps.NotFound:
        abort(404)
    except apps.ApplicationError as error:
        form.program.errors = [str(error.message)]
    return None


@bp.route("/persona/contacto", methods=["GET", "POST"])
@staff_required(*COUNTER_STAFF)
def contact():
    """The person's phone, e-mail, address and how they want notices, kept
    only with their consent, taken down here with the date and the staff member."""
    citizen = verified_citizen()
    if request.method == "GET":
        form = CounterContactForm(
            obj=citizen,
            tell_of_programs=consents.in_force(citizen.id, ConsentPurpose.AVISOS_PROGRAMAS)
            is not None,
        )
        form.municipality.data = citizen.municipality_id or ""
    else:
        form = CounterContactForm()
    form.offer_choices(citizen)
    if form.looking_up():
        # "Buscar" only fills the locality and settlement lists: nothing is saved.
        return render("backoffice/assisted_contact.html", form=form, citizen=citizen)
    if form.validate_on_submit():
        try:
            citizens.take_contact_at_counter(
                citizen,
                {
                    "phone": form.phone.data,
                    "email": form.email.data,
                    "notify_channel": form.notify_channel.data,
                    **form.address_values(),
                },
                form.municipality.data or None,
                staff.actor(),
                tell_of_programs=bool(form.tell_of_programs.data),
                request_id=g.request_id,
            )
        except PhoneError as exc:  # the form's check already refuses these
            form.phone.errors = [exc.message]
        else:
            flash(_("Datos de contacto guardados."), "ok")
            return redirect(url_for(".person"), code=303)
    status = 422 if request.method == "POST" else 200
    return render("backoffice/assisted_contact.html", form=form, citizen=citizen), status


def _assisted_application(folio: str) -> tuple[Application, Citizen]:
    """The application and the person it is for: the one served, or the child
    they applied for as guardian (the child's record view is audited too)."""
    application = staff.get_or_404(
        staff.counter_scope(Application.select().join(Program), Program.agency).where(
            Application.folio == folio.upper()
        )
    )
    served = verified_citizen()
    if served.id == application.citizen_id:
        return application, served
    if served.id != application.guardian_id:
        _to_start(_("Busque a la persona de esa solicitud por su CURP y revise su identificación."))
    child = Citizen.get_by_id(application.citizen_id)
    if request.method == "GET":
        audit.record_view(
            current_user,
            child,
            ViewReason.VENTANILLA,
            application,
            request_id=g.get("request_id", ""),
        )
    return application, child


def _application_page(
    application: Application,
    citizen: Citizen,
    status: int = 200,
    error: str = "",
    at: int | None = None,
):
    """The application's page; ``error`` is shown at the requirement ``at``
    (an upload's refusal) or, without one, at the top."""
    program = Program.get_by_id(application.program_id)
    missing_answers: tuple[str, ...] = ()
    if application.status == S.BORRADOR:
        missing_answers = apps.missing_answers(citizen, program, date.today())
    return render(
        "backoffice/assisted_application.html",
        application=application,
        citizen=citizen,
        guardian=guardians.shown_guardian(application, whole_curp=False),
        program=program,
        missing_answers=[FIELDS[name].label for name in missing_answers],
        requirements=apps.required_requirements(application),
        current=apps.current_documents(application),
        missing=apps.missing_requirements(application),
        # Empty forms, the request's body unread: it may be one refused as too large.
        upload_form=UploadForm(formdata=None),
        confirm=ConfirmForm(formdata=None),
        error=error,
        error_at=at,
        max_mb=current_app.config["MAX_UPLOAD_MB"],
    ), status


@bp.get("/solicitudes/<folio>")
@staff_required(*COUNTER_STAFF)
def application(folio: str):
    application, citizen = _assisted_application(folio)
    return _application_page(application, citizen)


def _upload_target(folio: str, requirement_id: int) -> tuple[Application, Citizen, Requirement]:
    application, citizen = _assisted_application(folio)
    requirement = staff.get_or_404(
        Requirement.select().where(
            (Requirement.id == requirement_id) & (Requirement.program == application.program_id)
        )
    )
    return application, citizen, requirement


@bp.post("/solicitudes/<folio>/requisitos/<int:requirement_id>")
@staff_required(*COUNTER_STAFF)
def upload(folio: str, requirement_id: int):
    application, citizen, requirement = _upload_target(folio, requirement_id)
    form = UploadForm()
    file = form.document.data
    if not form.validate_on_submit() or file is None or not file.filename:
        return _application_page(
            application, citizen, 422, _("Elija el archivo escaneado."), at=requirement.id
        )
    limit = max_upload_bytes(current_app.config)
    try:
        clean = inspect_upload(
            file.read(limit + 1),
            file.filename,
            allowed=frozenset(requirement.formats.split(",")),
            max_bytes=limit,
        )
        apps.add_document(application, requirement, clean, get_storage(), staff.actor())
    except UploadRejected as exc:
        return _application_page(
            application, citizen, refusal_status(exc), str(exc), at=requirement.id
        )
    except apps.ApplicationError as exc:
        return _application_page(application, citizen, 409, exc.message, at=requirement.id)
    flash(_("Documento guardado: %(name)s.", name=requirement.name), "ok")
    if clean.notice:  # what the PDF disarm removed
        flash(str(clean.notice), "info")
    return redirect(url_for(".application", folio=application.folio), code=303)


@staff_required(*COUNTER_STAFF)
def _upload_too_large(folio: str, requirement_id: int):
    """A scan over the limit, refused before it was read (web.errors)."""
    application, citizen, requirement = _upload_target(folio, requirement_id)
    message = too_large_message(requirement.formats, current_app.config["MAX_UPLOAD_MB"])
    return _application_page(application, citizen, 413, str(message), at=requirement.id)


keep_place_on_413(bp, "oficina_assisted.upload", _upload_too_large)


@bp.post("/solicitudes/<folio>/enviar")
@staff_required(*COUNTER_STAFF)
def submit(folio: str):
    application, citizen = _assisted_application(folio)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _application_page(application, citizen, 422, form.error_text())
    try:
        apps.submit(application, staff.actor())
    except apps.Refused as exc:
        return _application_page(application, citizen, 422, " ".join(exc.reasons))
    except apps.ApplicationError as exc:
        return _application_page(application, citizen, 409, exc.message)
    position = apps.waiting_position(application)
    if position is not None:
        flash(
            _(
                "Solicitud %(folio)s enviada: los lugares están ocupados y quedó en el lugar "
                "%(position)s de la lista de espera. Entregue el folio a la persona.",
                folio=application.folio,
                position=position,
            ),
            "ok",
        )
        return redirect(url_for(".application", folio=application.folio), code=303)
    flash(
        _("Solicitud %(folio)s enviada. Entregue el folio a la persona.", folio=application.folio),
        "ok",
    )
    return redirect(url_for(".application", folio=application.folio), code=303)


@bp.get("/solicitudes/<folio>/comprobante")
@staff_required(*COUNTER_STAFF)
def receipt(folio: str):
    """The receipt of an application filed here, ready for letter or A4 paper."""
    return _printed_receipt(folio, "carta")


@bp.get("/solicitudes/<folio>/comprobante/80mm")
@staff_required(*COUNTER_STAFF)
def receipt_slip(folio: str):
    """The same receipt on the counter's 80 mm printer."""
    return _printed_receipt(folio, "80mm")


def _printed_receipt(folio: str, paper: str):
    # Like every counter page: the agency's application of the person whose ID
    # was checked in this session, and the view recorded in the audit trail.
    application, _citizen = _assisted_application(folio)
    if application.submitted_at is None:
        return redirect(url_for(".application", folio=application.folio), code=303)
    return render(
        "applications/receipt_print.html",
        receipt=receipts.receipt(application, receipts.waiting_list(application)),
        paper=paper,
        back_url=url_for(".application", folio=application.folio),
    )


@bp.get("/solicitudes/<folio>/credencial")
@staff_required(*COUNTER_STAFF)
def credential(folio: str):
    """The approved person's delivery credential (QR), ready for A4 or letter paper."""
    return _printed_credential(folio, "a4")


@bp.get("/solicitudes/<folio>/credencial/80mm")
@staff_required(*COUNTER_STAFF)
def credential_slip(folio: str):
    """The same credential on the counter's 80 mm printer."""
    return _printed_credential(folio, "80mm")


def _printed_credential(folio: str, paper: str):
    # As the receipt: the person checked in this session, and the view audited.
    application, citizen = _assisted_application(folio)
    if application.status != S.APROBADA:
        flash(_("La credencial se imprime cuando la dependencia aprueba la solicitud."), "info")
        return redirect(url_for(".application", folio=application.folio), code=303)
    return render(
        "backoffice/assisted_credential_print.html",
        application=application,
        citizen=citizen,
        program=Program.get_by_id(application.program_id),
        paper=paper,
        back_url=url_for(".application", folio=application.folio),
    )
