"""Review under /oficina: the agency's queue, a case, document review and decisions.

Every application is loaded through a query scoped to the staff member's
agency, so another agency's folio answers 404. Decisions go through
portal/applications/workflow.py with the version the reviewer saw: if anyone acted
first the domain raises Conflict and the reviewer gets a 409 page, with
nothing overwritten. A case taken by one reviewer cannot be decided by another.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_login import current_user
from peewee import JOIN, SQL
from wtforms.fields.choices import SelectChoice

from portal.applications import assistance
from portal.applications import guardian as guardians
from portal.applications import workflow as apps
from portal.applications.documents import serve_document
from portal.backoffice import audit
from portal.backoffice.audit import record_view
from portal.backoffice.forms import (
    QUEUE_STATUSES,
    REJECTION_REASONS,
    ConfirmForm,
    CorrectionRequestForm,
    DocumentReviewForm,
    OverrideForm,
    QueueFilterForm,
    RejectForm,
    VersionedForm,
)
from portal.backoffice.views import queue_query as queues
from portal.backoffice.views import shared as staff
from portal.citizens import curp
from portal.messages import gettext as _
from portal.models import (
    Agency,
    Application,
    ApplicationEvent,
    Call,
    Citizen,
    Document,
    Municipality,
    Program,
    StaffUser,
)
from portal.rights.holidays import local_today
from portal.vocabulary import ApplicationStatus as S
from portal.vocabulary import AuditAction, Role
from portal.web.auth import staff_required
from portal.web.errors import error_page
from portal.web.formatting import local_date
from portal.web.htmx import make_response, render, wants_fragment
from portal.web.tables import Prepared, Slot, find
from portal.web.values import answer_rows

bp = Blueprint("oficina", __name__, url_prefix="/oficina")

REVIEWERS = (Role.REVISOR, Role.SUPERVISOR, Role.ADMIN_DEPENDENCIA, Role.ADMIN_ESTATAL)
# Besides the holder, these may release a case someone else holds (their
# agency's; every agency's for the state admin).
CASE_ADMINS = (Role.ADMIN_DEPENDENCIA, Role.ADMIN_ESTATAL)
# Roles that need the whole CURP (to check it against the ID shown); others see it masked.
FULL_CURP_ROLES = (Role.ADMIN_ESTATAL,)
PAGE_SIZE = 25
# Waiting for a decision; the default view of the queue.
PENDING = (S.ENVIADA, S.EN_REVISION)
# Counts per status stop here; the page says "más de 1000".
COUNT_LIMIT = 1000
# The case page shows the latest events of its history.
TIMELINE_LIMIT = 50


_EVERYWHERE = SQL("1 = 1")


def _build_case(scoped: bool) -> Any:
    """The case with what every case view shows of it: its program, that
    program's agency, the person and the call, read in one statement (five
    look-ups by key were a quarter of the case page's queries)."""
    return (
        Application.select(Application, Program, Agency, Citizen, Call)
        .join(Program, on=(Application.program == Program.id), attr="program")
        .join(Agency, on=(Program.agency == Agency.id), attr="agency")
        .switch(Application)
        .join(Citizen, on=(Application.citizen == Citizen.id), attr="citizen")
        .switch(Application)
        .join(Call, on=(Application.call == Call.id), attr="call")
        .where(
            queues.SUBMITTED
            & (Application.folio == Slot("folio"))
            & (Program.agency == Slot("agency") if scoped else _EVERYWHERE)
        )
        .limit(1)
    )


_CASE = Prepared(_build_case)


def load_case(folio: str) -> Application:
    """The agency's submitted application ``folio`` (404 for any other), with
    ``application.program``, ``.program.agency``, ``.citizen`` and ``.call``
    already read.

    Staff see an application once it is submitted. A draft is the person's own
    until they send it: its folio answers 404 to staff like a folio that does
    not exist (the counter's drafts, prepared with the person, are opened
    through views/counter.py).
    """
    scope = _agency_values()
    for application in _CASE(bool(scope), folio=folio.upper(), **scope):
        return application
    abort(404)


_PROGRAM_CHOICES = Prepared(
    lambda scoped: (
        Program.select(Program.slug, Program.name)
        .where(Program.agency == Slot("agency") if scoped else _EVERYWHERE)
        .order_by(Program.name)
        .tuples()
    )
)
_MUNICIPALITIES = Prepared(
    lambda: (
        Municipality.select(Municipality.code, Municipality.name)
        .order_by(Municipality.name)
        .tuples()
    )
)
_PROGRAM_IDS = Prepared(
    lambda scoped, by_slug: (
        Program.select(Program.id)
        .where(
            (Program.agency == Slot("agency") if scoped else _EVERYWHERE)
            & (Program.slug == Slot("slug") if by_slug else _EVERYWHERE)
        )
        .order_by(Program.id)
        .tuples()
    )
)


def _agency_values() -> dict[str, Any]:
    """The staff member's agency for the statements scoped to it (none for a state admin)."""
    return {} if staff.is_state_admin() else {"agency": current_user.agency_id}


def _queue_form() -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    scope = _agency_values()
    form.program.choices = [SelectChoice("", _("Todos"))] + [
        SelectChoice(slug, name) for slug, name in _PROGRAM_CHOICES(bool(scope), **scope)
    ]
    form.status.choices = [SelectChoice("", _("Por revisar"))] + [
        SelectChoice(s, str(apps.STATUS_LABELS[s])) for s in QUEUE_STATUSES
    ]
    form.municipality.choices = [SelectChoice("", _("Todos"))] + [
        SelectChoice(code, name) for code, name in _MUNICIPALITIES()
    ]
    return form


def _scoped_program_ids(slug: str = "") -> list[int] | None:
    """The programs the queue may show (None: every program, for a state admin)."""
    scope = _agency_values()
    if not slug and not scope:
        return None
    values = scope | ({"slug": slug} if slug else {})
    return [program_id for (program_id,) in _PROGRAM_IDS(bool(scope), bool(slug), **values)]


def _queue(form: QueueFilterForm, program_ids: list[int] | None) -> queues.Queue:
    """The queue the filters ask for."""
    since, until = form.since.data, form.until.data
    return queues.Queue(
        programs=None if program_ids is None else tuple(program_ids),
        statuses=(form.status.data,) if form.status.data else PENDING,
        municipality=form.municipality.data or "",
        since=dt.datetime.combine(since, dt.time.min) if since else None,
        until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min) if until else None,
        flagged=form.flagged.data == "si",
    )


def _queue_position(application_id: int) -> tuple | None:
    row = find(Application, Application.id, application_id)
    if row is None or row.submitted_at is None or row.status == S.BORRADOR:
        return None
    return (row.submitted_at, row.id)


def _fetch(queue: queues.Queue) -> staff.Fetch:
    def fetch(position: tuple | None, descending: bool, size: int) -> list:
        return queues.rows(queue, position, descending=descending, size=size)

    return fetch


@dataclasses.dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the queue, as it is shown (plain values: the template reads
    no model attributes and builds no URL per row)."""

    folio: str
    flagged: bool
    person: str
    masked_curp: str
    program: str
    status: str
    waiting_days: int | None
    reviewer: str | None


def _with_people(rows: list) -> list[QueueRow]:
    """The shown rows, with their person, program and reviewer, in one query
    of the columns the list shows, read as plain tuples (building every
    column of four tables for each row was most of the page's time, and
    model instances were most of the rest)."""
    ids = [row.id for row in rows]
    if not ids:
        return []
    today = local_today()  # days as the state counts them, not UTC's
    labels = {status: str(label) for status, label in apps.STATUS_LABELS.items()}
    found = {}
    for (
        app_id,
        folio,
        status,
        flagged,
        submitted_at,
        program_name,
        curp_text,
        given,
        first,
        second,
        reviewer,
    ) in _PEOPLE(ids=ids):
        found[app_id] = QueueRow(
            folio=folio,
            flagged=bool(flagged),
            person=" ".join(p for p in (given, first, second) if p),
            masked_curp=curp.mask(curp_text),
            program=program_name,
            status=labels[S(status)],
            waiting_days=(today - local_date(submitted_at)).days if submitted_at else None,
            reviewer=reviewer,
        )
    return [found[i] for i in ids if i in found]


def _build_people(ids: int) -> Any:
    columns = (
        Application.id,
        Application.folio,
        Application.status,
        Application.flagged,
        Application.submitted_at,
        Program.name,
        Citizen.curp,
        Citizen.given_names,
        Citizen.first_surname,
        Citizen.second_surname,
        StaffUser.name,
    )
    return (
        Application.select(*columns)
        .join(Program)
        .switch(Application)
        .join(Citizen, on=(Application.citizen == Citizen.id))
        .switch(Application)
        .join(StaffUser, join_type=JOIN.LEFT_OUTER, on=(Application.assigned_to == StaffUser.id))
        .where(Application.id.in_(Slot.many("ids", ids)))
        .tuples()
    )


_PEOPLE = Prepared(_build_people)


def next_case(after: Application | None = None) -> Application | None:
    """The oldest pending case nobody else has taken."""
    queue = queues.Queue(
        programs=None if (ids := _scoped_program_ids()) is None else tuple(ids),
        statuses=PENDING,
        picker=current_user.id,
        skip=after.id if after is not None else None,
    )
    rows = queues.rows(queue, None, descending=False, size=1)
    return Application.get_by_id(rows[0].id) if rows else None


@bp.get("")
@staff_required(*REVIEWERS)
def queue():
    form = _queue_form()
    counts: dict[str, int] = {}
    fetch = None
    valid = form.validate()
    if valid:
        program_ids = _scoped_program_ids(form.program.data or "")
        counted = _queue(form, program_ids)
        counts = queues.bounded_counts(
            dataclasses.replace(counted, statuses=tuple(QUEUE_STATUSES)), COUNT_LIMIT + 1
        )
        fetch = _fetch(counted)
    listing = staff.keyset_page(fetch, _queue_position, PAGE_SIZE)
    listing = dataclasses.replace(listing, rows=_with_people(listing.rows))
    return render(
        "backoffice/queue.html",
        block="results",
        form=form,
        listing=listing,
        counts=counts,
        count_limit=COUNT_LIMIT,
        statuses=QUEUE_STATUSES,
        status_args={k: v for k, v in listing.args.items() if k != "status"},
        # Folios are upper-case letters, digits and dashes: each row's link is
        # this prefix and its folio (url_for per row was a tenth of the page).
        case_url=url_for(".case", folio="F")[:-1],
    ), (200 if valid else 422)


def _document_choices(requirements) -> list[SelectChoice]:
    return [SelectChoice(r.id, r.name) for r in requirements]


def _field_choices() -> list[SelectChoice]:
    return [SelectChoice(name, label) for name, label in apps.CORRECTABLE_FIELDS.items()]


def _case_context(application: Application, **forms):
    program = application.program
    citizen = application.citizen
    requirements = apps.required_requirements(application)
    documents = apps.current_documents(application)
    decidable = application.status in PENDING
    may_override = (
        current_user.role == Role.SUPERVISOR and current_user.agency_id == program.agency_id
    )
    # Only the forms the page draws are built (each binds its fields and its
    # CSRF field): the decisions while the case waits for one, the override
    # for the agency's supervisor. A posted form comes back with its errors.
    version = str(application.version)
    correction = forms.get("correction")
    if correction is None and decidable:
        correction = CorrectionRequestForm(formdata=None, version=version)
    if correction is not None:
        correction.documents.choices = _document_choices(requirements)
        correction.fields.choices = _field_choices()
    profile = (application.answers or {}).get("profile", {})
    answers = answer_rows(profile)
    return {
        "application": application,
        "program": program,
        "agency": program.agency,
        "citizen": citizen,
        "shown_curp": citizen.curp
        if current_user.role in FULL_CURP_ROLES
        else curp.mask(citizen.curp),
        "guardian": guardians.shown_guardian(
            application, whole_curp=current_user.role in FULL_CURP_ROLES
        ),
        "answers": answers,
        "blockers": forms.get("blockers")
        or (
            apps.approval_blockers(
                application,
                program=program,
                citizen=citizen,
                call=application.call,
                requirements=requirements,
                current=documents,
            )
            if decidable
            else []
        ),
        "helped": current_user.id in assistance.helpers_of(application),
        "may_override": may_override,
        "override_form": forms.get("override")
        or (OverrideForm(formdata=None, version=version) if may_override else None),
        "requirements": requirements,
        "waiting_position": apps.waiting_position(application),
        "documents": documents,
        "assignee": find(StaffUser, StaffUser.id, application.assigned_to_id)
        if application.assigned_to_id
        else None,
        "mine": application.assigned_to_id == current_user.id,
        "releasable": _may_release(application) and application.status in apps.HELD_STATUSES,
        "decidable": decidable,
        "correction_form": correction,
        "reject_form": forms.get("reject")
        or (RejectForm(formdata=None, version=version) if decidable else None),
        "rejection_reasons": REJECTION_REASONS,
        "correctable": apps.CORRECTABLE_FIELDS,
        **_timeline(application),
        "error": forms.get("error"),
        "fragment": wants_fragment(),
    }


_LATEST_EVENTS = Prepared(
    lambda: (
        ApplicationEvent.select()
        .where(ApplicationEvent.application == Slot("application"))
        .order_by(ApplicationEvent.id.desc())
        .limit(TIMELINE_LIMIT + 1)
    )
)


def _timeline(application: Application) -> dict[str, Any]:
    """The latest TIMELINE_LIMIT events, oldest first, and whether there are more."""
    latest = list(_LATEST_EVENTS(application=application.id))
    return {"timeline": latest[:TIMELINE_LIMIT][::-1], "timeline_cut": len(latest) > TIMELINE_LIMIT}


@bp.get("/solicitudes/<folio>")
@staff_required(*REVIEWERS)
def case(folio: str):
    application = load_case(folio)
    with audit.together():  # the entries in one transaction: one lock, one commit
        record_view(
            current_user, application.citizen_id, "revision", application, request_id=g.request_id
        )
        if application.guardian_id:  # the case page shows who applied for the child
            record_view(
                current_user,
                application.guardian_id,
                "revision",
                application,
                request_id=g.request_id,
            )
        staff.record(AuditAction.CASE_VIEW, object_type="solicitud", object_id=application.folio)
    body = render("backoffice/case.html", block="case", **_case_context(application))
    if wants_fragment():
        # The panel was swapped in: keep the address bar on this case.
        return make_response(body, push_url=url_for(".case", folio=application.folio))
    return body


@bp.get("/siguiente")
@staff_required(*REVIEWERS)
def next_pending():
    current = Application.get_or_none(Application.folio == request.args.get("despues", "").upper())
    following = next_case(after=current)
    if following is None:
        flash(_("No hay más solicitudes por revisar."), "info")
        return _leave_panel(url_for(".queue"))
    return redirect(url_for(".case", folio=following.folio), code=303)


def _leave_panel(url: str):
    """Go to a page that is not a case: an htmx panel request navigates fully."""
    if wants_fragment():
        return make_response("", 204, redirect=url)
    return redirect(url, code=303)


def _conflict(application: Application, message: str):
    """409: the page says so; an htmx panel reloads to show the case as it is now."""
    staff.record(
        AuditAction.CASE_CONFLICT,
        object_type="solicitud",
        object_id=application.folio,
        outcome="conflicto",
    )
    if wants_fragment():
        flash(message, "error")
        return make_response("", 409, refresh=True)
    return error_page(409, message)


def _holder_name(application: Application) -> str:
    holder = StaffUser.get_or_none(StaffUser.id == application.assigned_to_id)
    return holder.name if holder else _("otra persona")


def _check_can_act(application: Application):
    """A case another reviewer holds is theirs; returns a refusal or None."""
    if application.assigned_to_id not in (None, current_user.id):
        return _conflict(
            application,
            _("Esta solicitud la está revisando %(name)s.", name=_holder_name(application)),
        )
    return None


def _after_decision(application: Application):
    following = next_case(after=application)
    if following is None:
        return _leave_panel(url_for(".queue"))
    return redirect(url_for(".case", folio=following.folio), code=303)


def _invalid(application: Application, **forms):
    """422: the case again with the form's errors or the gates that failed.

    The page's htmx config swaps a 422, so an htmx panel shows it in place.
    """
    context = _case_context(application, **forms)
    return render("backoffice/case.html", block="case", **context), 422


def _refused(application: Application, message: str):
    """403, the case again with why this person may not act on it.

    htmx swaps no 403: an htmx panel reloads the case, which shows the message.
    """
    if wants_fragment():
        flash(message, "error")
        return make_response("", 403, refresh=True)
    return render(
        "backoffice/case.html", block="case", **_case_context(application, error=message)
    ), 403


def _posted_case(form_class):
    """A view of one case and its posted form: the case loaded (scoped to the
    agency), the form checked; an invalid form answers 422 with the case."""

    def wrap(view):
        @wraps(view)
        def run(folio: str):
            application = load_case(folio)
            form = form_class()
            if not form.validate():
                return _invalid(application, error=form.error_text())
            return view(application, form)

        return run

    return wrap


@bp.post("/solicitudes/<folio>/tomar")
@staff_required(*REVIEWERS)
@_posted_case(VersionedForm)
def take(application: Application, form):
    return _decide(
        application,
        lambda: apps.take(application, staff.actor(), int(form.version.data)),
        then=lambda: redirect(url_for(".case", folio=application.folio), code=303),
    )


def _may_release(application: Application) -> bool:
    return application.assigned_to_id is not None and (
        application.assigned_to_id == current_user.id or current_user.role in CASE_ADMINS
    )


@bp.post("/solicitudes/<folio>/soltar")
@staff_required(*REVIEWERS)
@_posted_case(VersionedForm)
def release(application: Application, form):
    """Soltar caso: the holder, or an admin of the agency, frees it for anyone to take."""
    if application.assigned_to_id is not None and not _may_release(application):
        return _conflict(
            application,
            _(
                "Esta solicitud la está revisando %(name)s. Solo esa persona o quien "
                "administra la dependencia puede soltarla.",
                name=_holder_name(application),
            ),
        )
    try:
        apps.release(application, staff.actor(), "a_mano", expected_version=int(form.version.data))
    except apps.ApplicationError as exc:
        return _conflict(application, exc.message)
    flash(
        _(
            "La solicitud %(folio)s quedó libre: cualquier persona de la dependencia puede tomarla.",
            folio=application.folio,
        ),
        "ok",
    )
    return redirect(url_for(".case", folio=application.folio), code=303)


@bp.get("/solicitudes/<folio>/documentos/<int:document_id>")
@staff_required(*REVIEWERS)
def document(folio: str, document_id: int):
    application = load_case(folio)
    doc = staff.get_or_404(
        Document.select().where(
            (Document.id == document_id) & (Document.application == application.id)
        )
    )
    record_view(
        current_user,
        application.citizen_id,
        "revision",
        application,
        document_id=doc.id,
        request_id=g.request_id,
    )
    staff.record(
        "ver_documento",
        object_type="solicitud",
        object_id=application.folio,
        details={"documento": doc.id},
    )
    return serve_document(doc, inline=True)


@bp.post("/solicitudes/<folio>/documentos/<int:document_id>/dictamen")
@staff_required(*REVIEWERS)
def review_document(folio: str, document_id: int):
    application = load_case(folio)
    doc = staff.get_or_404(
        Document.select().where(
            (Document.id == document_id)
            & (Document.application == application.id)
            & (Document.current == True)  # noqa: E712
        )
    )
    form = DocumentReviewForm()
    if not form.validate():
        return _invalid(application, error=form.error_text())
    return _decide(
        application,
        lambda: apps.review_document(
            application,
            doc,
            form.decision.data,
            staff.actor(),
            reason=form.reason.data or "",
            expected_version=int(form.version.data),
        ),
        then=lambda: redirect(
            url_for(".case", folio=application.folio) + f"#requisito-{doc.requirement_id}",
            code=303,
        ),
    )


@bp.post("/solicitudes/<folio>/correccion")
@staff_required(*REVIEWERS)
def request_correction(folio: str):
    application = load_case(folio)
    form = CorrectionRequestForm()
    requirements = apps.required_requirements(application)
    form.documents.choices = _document_choices(requirements)
    form.fields.choices = _field_choices()
    if not form.validate():
        return _invalid(application, correction=form)
    return _decide(
        application,
        lambda: apps.request_correction(
            application,
            staff.actor(),
            documents=form.documents.data,
            fields=form.fields.data,
            message=form.message.data,
            expected_version=int(form.version.data),
        ),
        _("Se pidió la corrección de %(folio)s.", folio=application.folio),
    )


@bp.post("/solicitudes/<folio>/aprobar")
@staff_required(*REVIEWERS)
@_posted_case(VersionedForm)
def approve(application: Application, form):
    return _decide(
        application,
        lambda: apps.approve(application, staff.actor(), expected_version=int(form.version.data)),
        _("Solicitud %(folio)s aprobada.", folio=application.folio),
    )


@bp.post("/solicitudes/<folio>/aprobar-con-excepcion")
@staff_required(Role.SUPERVISOR)
def approve_with_override(folio: str):
    """A supervisor approves although a gate fails, with a written reason.

    The supervisor need not hold the case (it is usually held by the reviewer
    who could not approve it); the domain checks the role, the agency and that
    they had no hand in the case.
    """
    application = load_case(folio)
    form = OverrideForm()
    if not form.validate():
        return _invalid(application, override=form)
    if application.status not in PENDING:
        return _conflict(application, _("Esta solicitud ya no está por revisar."))
    return _decide(
        application,
        lambda: apps.approve(
            application,
            staff.actor(),
            expected_version=int(form.version.data),
            override_reason=form.reason.data,
        ),
        _("Solicitud %(folio)s aprobada con excepción.", folio=application.folio),
        check_holder=False,
    )


@bp.post("/solicitudes/<folio>/rechazar")
@staff_required(*REVIEWERS)
def reject(folio: str):
    application = load_case(folio)
    form = RejectForm()
    if not form.validate():
        return _invalid(application, reject=form)
    reason = f"{REJECTION_REASONS[form.reason.data]}. {form.details.data}"
    return _decide(
        application,
        lambda: apps.reject(
            application, staff.actor(), reason, expected_version=int(form.version.data)
        ),
        _("Solicitud %(folio)s rechazada.", folio=application.folio),
    )


def _decide(
    application: Application,
    decision: Callable[[], object],
    done: str = "",
    *,
    check_holder: bool = True,
    then: Callable[[], Any] | None = None,
):
    """Carry out a decision (or a step: taking a case, reviewing a document)
    on a case the staff member may act on.

    Afterwards ``then()`` answers; by default ``done`` is flashed and the
    next case follows.

    A stale version or a transition that no longer applies is a conflict
    (409, nothing changed). A gate that fails, or a staff member who helped
    prepare the case, re-renders the case page with every reason (422, 403);
    so does an approval the database refuses because the person is enrolled
    elsewhere meanwhile.
    """
    refusal = _check_can_act(application) if check_holder else None
    if refusal:
        return refusal
    try:
        decision()
    except apps.ApprovalBlocked as exc:
        return _invalid(
            application,
            error=_("No se puede aprobar todavía. Revise lo que falta:"),
            blockers=exc.blockers,
        )
    except apps.SeparationOfDuties as exc:
        return _refused(application, exc.message)
    except apps.DuplicateEnrollment as exc:
        # The database refused a second enrollment: say why, change nothing.
        staff.record(
            AuditAction.APPROVAL_REFUSED,
            object_type="solicitud",
            object_id=application.folio,
            outcome="rechazado_por_duplicado",
        )
        return _invalid(application, error=exc.message)
    except apps.ApplicationError as exc:
        return _conflict(application, exc.message)
    if then is not None:
        return then()
    flash(done, "ok")
    return _after_decision(application)


@bp.post("/solicitudes/<folio>/marcar")
@staff_required(*REVIEWERS)
@_posted_case(ConfirmForm)
def flag(application: Application, form):
    apps.toggle_flag(application, staff.actor())
    return redirect(url_for(".case", folio=application.folio), code=303)
