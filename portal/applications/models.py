"""Applications and what hangs from them: the timeline, documents, enrollments,
the person's notices and their outbox, and who helped at the counter.

Duplicate beneficiaries are impossible by construction: partial unique indexes
(SQLite and PostgreSQL both have them) allow at most one *live* application per
person, program and call, at most one *draft* per person and call, and at most
one *active* enrollment per person and exclusion key, so two simultaneous
requests can never both succeed.

A status change writes one :class:`Notice` and, per the person's channel, one
:class:`Outbox` row in the same transaction as the change itself (see
``portal/applications/notices.py``).
"""

from __future__ import annotations

import datetime as dt

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    ModelSelect,
    TextField,
)

from portal.backoffice.models import StaffUser
from portal.catalog.models import Call, Program, Requirement
from portal.citizens.models import Citizen
from portal.vocabulary import (
    LIVE_STATUSES,
    STATUSES,
    ApplicationStatus,
    DocumentStatus,
    EnrollmentSource,
    EnrollmentState,
)
from portal.web.tables import BaseModel, JSONText, _in, utcnow


class Application(BaseModel):
    """Solicitud of one person to one program's call."""

    id: AutoField[int]
    folio = CharField(max_length=20, unique=True)
    citizen = ForeignKeyField(Citizen, backref="applications", on_delete="RESTRICT")
    citizen_id: ForeignKeyField[int]
    program = ForeignKeyField(Program, backref="applications", on_delete="RESTRICT")
    program_id: ForeignKeyField[int]
    call = ForeignKeyField(Call, backref="applications", on_delete="RESTRICT")
    call_id: ForeignKeyField[int]
    program_version = IntegerField(default=1)
    status = CharField(
        default=ApplicationStatus.BORRADOR,
        constraints=[SQL(f"CHECK (status IN ({_in(STATUSES)}))")],
    )
    # Optimistic lock: every change bumps it with a conditional update.
    version = IntegerField(default=1)
    # One key per form, so a double click or a repeated post creates one.
    idempotency_key = CharField(null=True, unique=True)
    answers = JSONText(default=dict)
    correction = JSONText(null=True)
    decision_reason = TextField(default="")
    assisted_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    assisted_by_id: ForeignKeyField[int | None]
    assigned_to = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    assigned_to_id: ForeignKeyField[int | None]
    flagged = BooleanField(default=False)
    # An approval made although a gate failed: the supervisor and their reason.
    override_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    override_by_id: ForeignKeyField[int | None]
    override_reason = TextField(default="")
    municipality = CharField(max_length=5, default="", index=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    submitted_at = DateTimeField(null=True, index=True)
    decided_at = DateTimeField(null=True)
    # Its number on the call's waiting list (Call.waiting_issued when it
    # joined): the order in which the database found the call full.
    waiting_number = IntegerField(null=True)
    # Applied for a child by a parent or guardian of their household: the
    # application is the child's (``citizen``); the guardian follows it and
    # receives its notices (portal/applications/guardian.py).
    guardian = ForeignKeyField(
        Citizen, null=True, backref="applications_as_guardian", on_delete="RESTRICT", index=True
    )
    guardian_id: ForeignKeyField[int | None]
    guardian_relation = CharField(max_length=20, default="")
    # Rows that point here (peewee backrefs), declared for mypy.
    events: ModelSelect[ApplicationEvent]
    documents: ModelSelect[Document]
    notices: ModelSelect[Notice]

    class Meta:
        indexes = (
            (("program", "status", "submitted_at"), False),
            # The reviewer's queue by status and by municipality (migrations/0014_queue.py).
            (("status", "submitted_at", "id"), False),
            (("municipality", "program", "status", "submitted_at", "id"), False),
        )


Application.add_index(
    Application.index(
        Application.citizen,
        Application.program,
        Application.call,
        unique=True,
        where=SQL(f"status IN ({_in(LIVE_STATUSES)})"),
        name="application_one_live_per_call",
    )
)
# The call's waiting list in order: the first to move up is the lowest
# number, a person's position is a count of the numbers before theirs.
Application.add_index(
    Application.index(
        Application.call,
        Application.waiting_number,
        unique=True,
        where=SQL(f"status = '{ApplicationStatus.EN_ESPERA.value}'"),
        name="application_waiting_list",
    )
)
# One draft per person and call: parallel posts of the start form, or starts
# from two devices, find the same draft (see workflow.start_draft).
Application.add_index(
    Application.index(
        Application.citizen,
        Application.call,
        unique=True,
        where=SQL(f"status = '{ApplicationStatus.BORRADOR.value}'"),
        name="application_one_draft_per_call",
    )
)


class ApplicationEvent(BaseModel):
    """Every change of state, shown to the person as a timeline."""

    id: AutoField[int]
    application = ForeignKeyField(Application, backref="events", on_delete="CASCADE")
    application_id: ForeignKeyField[int]
    from_status = CharField(null=True)
    to_status = CharField()
    actor_kind = CharField()  # ciudadano, personal, sistema
    actor_staff = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    actor_staff_id: ForeignKeyField[int | None]
    assisted = BooleanField(default=False)
    reason = TextField(default="")
    created_at = DateTimeField(default=utcnow, index=True)


class Document(BaseModel):
    """One uploaded version of a requirement.

    Once the application is submitted every version stays (a reviewer may
    have seen it); a version replaced while it is still a draft is deleted,
    row and file (``applications.upload_limits``).
    """

    id: AutoField[int]
    application = ForeignKeyField(Application, backref="documents", on_delete="CASCADE")
    application_id: ForeignKeyField[int]
    requirement = ForeignKeyField(Requirement, on_delete="RESTRICT")
    requirement_id: ForeignKeyField[int]
    version = IntegerField(default=1)
    current = BooleanField(default=True)
    storage_key = CharField(unique=True)
    filename = CharField()
    content_type = CharField()
    size = IntegerField()
    sha256 = CharField(max_length=64)
    status = CharField(default=DocumentStatus.PENDIENTE)
    review_reason = TextField(default="")
    reviewed_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    reviewed_by_id: ForeignKeyField[int | None]
    uploaded_by_staff = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    uploaded_by_staff_id: ForeignKeyField[int | None]
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("application", "requirement", "version"), True),)


class Enrollment(BaseModel):
    """A person receiving a program: from an approved application or a roll."""

    id: AutoField[int]
    citizen = ForeignKeyField(Citizen, backref="enrollments", on_delete="RESTRICT")
    citizen_id: ForeignKeyField[int]
    program = ForeignKeyField(Program, backref="enrollments", on_delete="RESTRICT")
    program_id: ForeignKeyField[int]
    # exclusion_group, or "programa:<slug>" for a program in no group.
    exclusion_key = CharField()
    application = ForeignKeyField(Application, null=True, on_delete="SET NULL")
    application_id: ForeignKeyField[int | None]
    source = CharField(default=EnrollmentSource.SOLICITUD)
    import_batch = CharField(null=True, index=True)
    active = BooleanField(default=True)
    benefit_amount = IntegerField(null=True)
    started_on = DateField(default=dt.date.today)
    ended_on = DateField(null=True)
    end_reason = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    @property
    def state(self) -> EnrollmentState:
        return EnrollmentState.ACTIVA if self.active else EnrollmentState.TERMINADA


Enrollment.add_index(
    Enrollment.index(
        Enrollment.citizen,
        Enrollment.exclusion_key,
        unique=True,
        where=SQL("active"),
        name="enrollment_one_active_per_group",
    )
)


Enrollment.add_index(Enrollment.index(Enrollment.program, Enrollment.active))


OUTBOX_CHANNELS = ("email", "sms")


OUTBOX_STATUSES = ("pendiente", "enviado", "fallido")


class Notice(BaseModel):
    """Aviso in the person's inbox (``/avisos``)."""

    id: AutoField[int]
    citizen = ForeignKeyField(Citizen, backref="notices", on_delete="CASCADE")
    citizen_id: ForeignKeyField[int]
    application = ForeignKeyField(Application, null=True, backref="notices", on_delete="CASCADE")
    application_id: ForeignKeyField[int | None]
    status = CharField(default="")  # the application status it announces
    # What the notice says, as a kind of ``portal/applications/notice_texts.py`` and
    # its facts (program id, status, reason, dates...), rendered when read in the
    # reader's language. Rows from before migration 0025 have no kind: they show
    # ``title`` and ``body`` as stored.
    kind = CharField(default="")
    facts = JSONText(default=dict)
    # The Spanish text, written with the notice: what the portal said, whoever reads it later.
    title = CharField()
    body = TextField()
    link = CharField(default="")  # a path in the portal
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)
    # Rows that point here (peewee backrefs), declared for mypy.
    deliveries: ModelSelect[Outbox]

    class Meta:
        indexes = ((("citizen", "created_at"), False),)


class Outbox(BaseModel):
    """One message to send by e-mail or SMS; the address is read when sending."""

    id: AutoField[int]
    notice = ForeignKeyField(Notice, backref="deliveries", on_delete="CASCADE")
    notice_id: ForeignKeyField[int]
    channel = CharField(constraints=[SQL(f"CHECK (channel IN ({_in(OUTBOX_CHANNELS)}))")])
    status = CharField(
        default="pendiente", constraints=[SQL(f"CHECK (status IN ({_in(OUTBOX_STATUSES)}))")]
    )
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    # The kind of failure only (e.g. "ConnectionRefusedError"): never an address.
    last_error = CharField(default="")
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)


class Assistance(BaseModel):
    """A staff member acted for this person at the counter: registered them,
    answered their questionnaire, filed or uploaded for them.

    Whoever helped a person file may not decide their applications (see
    ``portal.applications.workflow.decision_blockers``); one row per person, staff
    member, act and application is enough to know.
    """

    id: AutoField[int]
    citizen = ForeignKeyField(Citizen, backref="assistance", on_delete="CASCADE")
    citizen_id: ForeignKeyField[int]
    staff = ForeignKeyField(StaffUser, on_delete="CASCADE")
    staff_id: ForeignKeyField[int]
    act = CharField(max_length=20)  # portal.vocabulary.Assistance
    application = ForeignKeyField(Application, null=True, on_delete="CASCADE")
    application_id: ForeignKeyField[int | None]
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("citizen", "staff", "act", "application"), True),)
