"""Re-certification: a program may ask its beneficiaries to present a proof
again every N months (``recertification`` in the catalog: the requirement to
present, how often, and the grace days), or the benefit is suspended.

The due dates count from the approval (the enrollment's ``started_on``): the
k-th is ``started_on`` plus k·N months (:func:`due_date`), never from the
previous due date, so a 31 January approval falls due on the 31st, or the
month's last day, every time, without drifting. Each enrollment has one
:class:`~portal.models.Recertification` row per due date, unique per
``(enrollment, due_on)`` in the database; rows are inserted with ``ON CONFLICT
DO NOTHING``, so the approval, an acceptance and the daily task may all try to
create the same due date and it exists once.

What changes a re-certification is here, and every change of an
application's status goes through ``workflow.transition``:

* :func:`schedule_first` (on approval, in its transaction) creates the first due date;
* :func:`submit_proof`: the person (or staff at the counter) uploads the
  proof through the same checks as every document (``uploads.inspect_upload``,
  disarmed, size-limited) and the same storage (``workflow.add_renewal_document``);
* :func:`accept` and :func:`ask_correction`: staff judge it; accepting sets
  the next due date and, if the benefit was suspended, makes it ``aprobada``
  again; asking for a correction tells the person why;
* :func:`run_daily` (the queue, every morning; also ``flask recertification
  run``): creates the due dates missing, reminds the people whose date is near
  and suspends (``aprobada`` → ``suspendida``) those past their date and grace
  days. Each suspension locks its row and re-reads it first, so running the
  task twice, or while staff accept the proof, suspends at most once and never
  a benefit whose proof was accepted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import fn

from portal.applications import notices
from portal.applications import workflow as applications
from portal.applications.storage import Storage
from portal.applications.uploads import CleanFile
from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.catalog.schema import Recertification as Rule
from portal.catalog.schema import recertification_from_json
from portal.delivery.calendar import spanish_date
from portal.delivery.periods import add_months
from portal.messages import Refusal, _l
from portal.models import (
    Application,
    Document,
    Enrollment,
    Program,
    Recertification,
    Requirement,
    StaffUser,
    utcnow,
)
from portal.vocabulary import ApplicationStatus as S
from portal.vocabulary import AuditAction, DocumentStatus, RecertificationStatus, Role
from portal.web.database import locked, write
from portal.web.tables import tuples

R = RecertificationStatus
# The person may present (or present again) the proof.
OPEN = (R.PENDIENTE, R.CORREGIR)
# Not done yet: the person's task, shown on their pages.
UNDONE = (R.PENDIENTE, R.POR_REVISAR, R.CORREGIR)
# The statuses in which the person presents the proof (approved or suspended).
RENEWING = applications.RENEWING_STATUSES
# The reminder goes out this many days before the due date.
REMINDER_DAYS = 30
MAX_REASON = 500
# Staff who judge a proof: those who review the agency's cases.
REVIEWERS = (Role.REVISOR, Role.SUPERVISOR, Role.ADMIN_DEPENDENCIA)


class RecertificationError(Refusal, ValueError):
    """A re-certification that cannot change as asked; nothing was written."""


class NotYours(RecertificationError):
    """Another person's, or another agency's: shown as 404."""


class BadReason(RecertificationError):
    """The reason for a correction is missing or too long (the form's field)."""


@dataclass(frozen=True)
class Task:
    """What a page shows of one due date."""

    row: Recertification
    requirement: Requirement
    grace_days: int

    @property
    def due_on(self) -> dt.date:
        return self.row.due_on

    @property
    def last_day(self) -> dt.date:
        """The last day of grace: the day after it, a benefit with no proof in is suspended."""
        return self.row.due_on + dt.timedelta(days=self.grace_days)

    @property
    def status(self) -> str:
        return self.row.status

    @property
    def may_upload(self) -> bool:
        return self.row.status in OPEN


# Due dates ---------------------------------------------------------------------------


def due_date(started_on: dt.date, every_months: int, number: int) -> dt.date:
    """The ``number``-th due date (1, 2, ...) of an enrollment started on ``started_on``."""
    if every_months < 1 or number < 1:
        raise ValueError("every_months and number start at 1")
    return add_months(started_on, every_months * number)


def next_due(started_on: dt.date, every_months: int, after: dt.date) -> dt.date:
    """The first due date strictly after ``after``."""
    months = (after.year - started_on.year) * 12 + after.month - started_on.month
    number = max(1, months // every_months)
    while due_date(started_on, every_months, number) <= after:
        number += 1
    return due_date(started_on, every_months, number)


def rule_of(program: Program) -> Rule | None:
    return recertification_from_json(program.recertification)


def _requirement(program: Program, rule: Rule) -> Requirement | None:
    return Requirement.get_or_none(
        (Requirement.program == program.id) & (Requirement.slug == rule.document)
    )


def _create_next(enrollment: Enrollment, rule: Rule, today: dt.date) -> dt.date:
    """Insert the enrollment's next due date (once, whoever else tries)."""
    accepted = (
        Recertification.select(fn.MAX(Recertification.due_on))
        .where(
            (Recertification.enrollment == enrollment.id) & (Recertification.status == R.ACEPTADA)
        )
        .scalar()
    )
    if isinstance(accepted, str):  # SQLite hands an aggregate date back as text
        accepted = dt.date.fromisoformat(accepted)
    after = max(today, accepted) if accepted else max(today, enrollment.started_on)
    due_on = next_due(enrollment.started_on, rule.every_months, after)
    Recertification.insert(
        enrollment=enrollment.id,
        application=enrollment.application_id,
        due_on=due_on,
        status=R.PENDIENTE,
        created_at=utcnow(),
    ).on_conflict_ignore().execute()
    return due_on


def schedule_first(application: Application) -> None:
    """The first due date of a new enrollment (``workflow.on_approved``, in
    approve()'s transaction); nothing for a program that asks none."""
    program = Program.get_by_id(application.program_id)
    rule = rule_of(program)
    if rule is None:
        return
    enrollment = (
        Enrollment.select()
        .where((Enrollment.application == application.id) & Enrollment.active)
        .order_by(Enrollment.id.desc())
        .first()
    )
    if enrollment is not None:
        _create_next(enrollment, rule, enrollment.started_on)


# What pages read ---------------------------------------------------------------------


def current_task(application: Application) -> Task | None:
    """The application's due date not done yet (one indexed read, then two by id)."""
    if application.status not in applications.RENEWING_STATUSES:
        return None
    row = (
        Recertification.select()
        .where((Recertification.application == application.id) & Recertification.status.in_(UNDONE))
        .order_by(Recertification.due_on)
        .first()
    )
    return _task(row, Program.get_by_id(application.program_id)) if row else None


def _task(row: Recertification, program: Program) -> Task | None:
    rule = rule_of(program)
    if rule is None:
        return None
    requirement = _requirement(program, rule)
    return Task(row, requirement, rule.grace_days) if requirement is not None else None


def tasks_of(applications_shown: list[Application]) -> dict[int, Task]:
    """The undone due date of each of a person's applications, by application id
    (one read for the whole list: "Mis solicitudes")."""
    ids = [a.id for a in applications_shown if a.status in applications.RENEWING_STATUSES]
    if not ids:
        return {}
    rows = (
        Recertification.select()
        .where(Recertification.application.in_(ids) & Recertification.status.in_(UNDONE))
        .order_by(Recertification.due_on.desc())
    )
    programs = {a.id: a.program for a in applications_shown}
    found: dict[int, Task] = {}
    for row in rows:
        task = _task(row, programs[row.application_id])
        if task is not None:
            found[row.application_id] = task  # the earliest wins (last in this order)
    return found


def task_text(task: Task) -> str:
    """ "Debe presentar «Constancia de estudios» antes del 15 de marzo de 2027."""
    return str(
        _l(
            "Debe presentar «%(document)s» antes del %(date)s.",
            document=task.requirement.name,
            date=spanish_date(task.due_on),
        )
    )


# The person's proof -------------------------------------------------------------------


def task_of(application: Application, recertification_id: int) -> Task:
    """One due date of ``application`` (:class:`NotYours` for any other)."""
    row = Recertification.get_or_none(
        (Recertification.id == recertification_id) & (Recertification.application == application.id)
    )
    task = _task(row, Program.get_by_id(application.program_id)) if row is not None else None
    if task is None:
        raise NotYours(_l("No encontramos esa re-certificación."))
    return task


def refusal_for(status: str) -> RecertificationError:
    """Why a proof cannot be uploaded for a due date in ``status``."""
    if status == R.ACEPTADA:
        return RecertificationError(_l("Este documento ya fue aceptado: no hace falta subirlo."))
    return RecertificationError(_l("Ya recibimos su documento y la dependencia lo está revisando."))


def submit_proof(
    application: Application,
    recertification_id: int,
    clean: CleanFile,
    storage: Storage,
    actor: Actor,
) -> Recertification:
    """Store the person's proof for one due date, which then waits for staff.

    Refused (:class:`RecertificationError`, nothing stored) when the due date
    is another application's, was accepted, or waits for review already."""
    task = task_of(application, recertification_id)
    if task.row.status not in OPEN:
        raise refusal_for(task.row.status)

    def link(document: Document) -> None:
        Recertification.update(status=R.POR_REVISAR, document=document.id).where(
            Recertification.id == task.row.id
        ).execute()

    with write():
        # The due date's row is locked first, as the suspension and the
        # acceptance lock it first: one order, so no deadlock on PostgreSQL.
        current = locked(Recertification.select().where(Recertification.id == task.row.id)).first()
        if current is None or current.status not in OPEN:
            raise refusal_for(current.status if current else R.ACEPTADA)
        applications.add_renewal_document(
            application, task.requirement, clean, storage, actor, link
        )
    return Recertification.get_by_id(task.row.id)


# Staff's verdict ----------------------------------------------------------------------


def _check_staff(application: Application, staff: StaffUser) -> None:
    program = Program.get_by_id(application.program_id)
    if staff.agency_id is None or staff.agency_id != program.agency_id:
        raise NotYours(_l("No encontramos esa re-certificación."))
    if staff.role not in REVIEWERS:
        raise RecertificationError(_l("Su puesto no revisa re-certificaciones."))


def _to_review(application: Application, recertification_id: int) -> Recertification:
    """The row, locked, while it waits for review."""
    current = locked(
        Recertification.select().where(
            (Recertification.id == recertification_id)
            & (Recertification.application == application.id)
        )
    ).first()
    if current is None:
        raise NotYours(_l("No encontramos esa re-certificación."))
    if current.status == R.ACEPTADA:
        raise RecertificationError(_l("Esta re-certificación ya fue aceptada."))
    if current.status != R.POR_REVISAR:
        raise RecertificationError(
            _l("La persona aún no sube el documento: no hay nada que revisar.")
        )
    return current


def accept(application: Application, recertification_id: int, staff: StaffUser) -> Recertification:
    """Accept the proof: the due date is done, the next one is set, and a
    suspended benefit is lifted (``suspendida`` → ``aprobada``)."""
    _check_staff(application, staff)
    actor = Actor.staff(staff)
    today = dt.date.today()
    with write():
        current = _to_review(application, recertification_id)
        Recertification.update(
            status=R.ACEPTADA, reason="", reviewed_by=staff.id, reviewed_at=utcnow()
        ).where(Recertification.id == current.id).execute()
        if current.document_id is not None:
            Document.update(
                status=DocumentStatus.ACEPTADO, review_reason="", reviewed_by=staff.id
            ).where(Document.id == current.document_id).execute()
        audit.record(
            AuditAction.RECERTIFICATION_ACCEPT,
            actor,
            object_type="solicitud",
            object_id=application.folio,
            details={"recertificacion": current.id, "vence": current.due_on.isoformat()},
        )
        fresh = Application.get_by_id(application.id)
        enrollment = Enrollment.get_by_id(current.enrollment_id)
        rule = rule_of(Program.get_by_id(application.program_id))
        following = (
            _create_next(enrollment, rule, today)
            if rule is not None and enrollment.active
            else None
        )
        if fresh.status == S.SUSPENDIDA:
            applications.transition(fresh, S.APROBADA, actor, applications.REINSTATED_REASON)
        else:
            notices.recertification_notice(
                fresh,
                "aceptada",
                next=following.isoformat() if following is not None else "",
            )
    notices.wake()
    return Recertification.get_by_id(current.id)


def ask_correction(
    application: Application, recertification_id: int, staff: StaffUser, reason: str
) -> Recertification:
    """Ask for another proof, saying why (the person reads it)."""
    reason = reason.strip()
    if not reason:
        raise BadReason(_l("Escriba qué debe corregir la persona: ella lo verá."))
    if len(reason) > MAX_REASON:
        raise BadReason(_l("El motivo admite a lo más %(n)s caracteres.", n=MAX_REASON))
    _check_staff(application, staff)
    actor = Actor.staff(staff)
    with write():
        current = _to_review(application, recertification_id)
        Recertification.update(
            status=R.CORREGIR, reason=reason, reviewed_by=staff.id, reviewed_at=utcnow()
        ).where(Recertification.id == current.id).execute()
        if current.document_id is not None:
            Document.update(
                status=DocumentStatus.RECHAZADO, review_reason=reason, reviewed_by=staff.id
            ).where(Document.id == current.document_id).execute()
        audit.record(
            AuditAction.RECERTIFICATION_CORRECTION,
            actor,
            object_type="solicitud",
            object_id=application.folio,
            details={"recertificacion": current.id},
        )
        notices.recertification_notice(
            application, "correccion", due=current.due_on.isoformat(), reason=reason
        )
    notices.wake()
    return Recertification.get_by_id(current.id)


# The daily task -----------------------------------------------------------------------


def create_missing(today: dt.date) -> int:
    """A due date for every active enrollment of a program that asks for
    re-certification and has none undone (enrollments approved before the
    program asked, or whose last one was accepted before a catalog change)."""
    undone = Recertification.select(Recertification.id).where(
        (Recertification.enrollment == Enrollment.id) & Recertification.status.in_(UNDONE)
    )
    rows = (
        Enrollment.select(Enrollment, Program)
        .join(Program)
        .switch(Enrollment)
        .join(Application, on=(Enrollment.application == Application.id))
        .where(
            Enrollment.active
            & (Program.recertification != "{}")
            & Application.status.in_(applications.RENEWING_STATUSES)
            & ~fn.EXISTS(undone)
        )
        .order_by(Enrollment.id)
    )
    created = 0
    for enrollment in list(rows):
        rule = rule_of(enrollment.program)
        if rule is None:
            continue
        with write():
            _create_next(enrollment, rule, today)
        created += 1
    return created


def send_reminders(today: dt.date) -> int:
    """Remind, once, each person whose due date is ``REMINDER_DAYS`` away or
    less and whose proof is not in: each row is claimed with a conditional
    update. Sent during an electoral blackout too (docs/delivery.md)."""
    due = (
        Recertification.select(Recertification.id)
        .join(Application)
        .where(
            Recertification.reminded_at.is_null()
            & Recertification.status.in_(OPEN)
            & (Recertification.due_on >= today)
            & (Recertification.due_on <= today + dt.timedelta(days=REMINDER_DAYS))
            & (Application.status == S.APROBADA)
        )
        .order_by(Recertification.id)
    )
    told = 0
    for candidate in list(due):
        with write():
            claimed = (
                Recertification.update(reminded_at=utcnow())
                .where((Recertification.id == candidate.id) & Recertification.reminded_at.is_null())
                .execute()
            )
            if claimed != 1:
                continue
            row = Recertification.get_by_id(candidate.id)
            application = Application.get_by_id(row.application_id)
            task = _task(row, Program.get_by_id(application.program_id))
            if task is None:
                continue
            notices.recertification_notice(
                application,
                "recordatorio",
                document=task.requirement.slug,
                document_name=task.requirement.name,
                due=task.due_on.isoformat(),
                last=task.last_day.isoformat(),
            )
            told += 1
    notices.wake()
    return told


def suspend_overdue(today: dt.date) -> int:
    """Suspend every approved benefit whose due date and grace days passed
    with no proof in; returns how many were suspended."""
    candidates = (
        Recertification.select(Recertification.id, Program.recertification)
        .join(Application)
        .join(Program)
        .where(
            Recertification.status.in_(OPEN)
            & (Recertification.due_on < today)
            & (Application.status == S.APROBADA)
        )
        .order_by(Recertification.id)
    )
    suspended = 0
    for candidate_id, stored in list(tuples(candidates)):
        rule = recertification_from_json(stored)
        if rule is None:
            continue
        with write():
            # Locked and read again: an acceptance or another run may have come first.
            row = locked(Recertification.select().where(Recertification.id == candidate_id)).first()
            if row is None or row.status not in OPEN:
                continue
            if today <= row.due_on + dt.timedelta(days=rule.grace_days):
                continue
            application = Application.get_by_id(row.application_id)
            if application.status != S.APROBADA:
                continue
            try:
                applications.transition(
                    application, S.SUSPENDIDA, audit.SYSTEM, applications.SUSPENDED_REASON
                )
            except applications.Conflict:
                continue
            suspended += 1
    notices.wake()
    return suspended


@dataclass(frozen=True)
class DailyRun:
    created: int
    reminded: int
    suspended: int


def run_daily(today: dt.date | None = None) -> DailyRun:
    """The queue's daily task (and ``flask recertification run``)."""
    today = today or dt.date.today()
    return DailyRun(
        created=create_missing(today),
        reminded=send_reminders(today),
        suspended=suspend_overdue(today),
    )


def register() -> None:
    """Put the approval hook in place (once per process)."""
    if schedule_first not in applications.on_approved:
        applications.on_approved.append(schedule_first)


register()
