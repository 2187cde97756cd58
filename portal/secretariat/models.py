"""The secretariat's tables: reporting obligations, what agencies submit for
validation, and the staff inbox with its e-mail outbox.

Every table grows with agencies, programs and their reports, never with the
registry of people: the boards read them through the indexes declared here.
"""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from portal.backoffice.models import StaffUser
from portal.catalog.models import Agency, Program
from portal.web.tables import BaseModel, JSONText, _in, utcnow

OBLIGATION_KINDS = ("avance_trimestral", "actualizacion_padron", "reglas_operacion")
SUBMISSION_KINDS = ("program_version", "roll", "quarterly_report")
SUBMISSION_STATUSES = ("enviada", "en_revision", "aceptada", "devuelta")
VERDICTS = ("", "aceptado", "devuelto")
OUTBOX_STATUSES = ("pendiente", "enviado", "fallido")
THREAD_TOPICS = ("programa", "obligacion", "envio")
SIDES = ("secretaria", "dependencia")


class ReportObligation(BaseModel):
    """Something an agency owes the secretariat by a date: a quarterly progress
    report, a roll update, the year's operating rules. ``remind_on`` is the day
    its reminder is due (``due_on`` less the days the secretariat chose);
    ``reminded_at`` is set once, by the run that sends it."""

    id: AutoField[int]
    agency = ForeignKeyField(Agency, on_delete="CASCADE")
    agency_id: ForeignKeyField[int]
    program = ForeignKeyField(Program, null=True, on_delete="CASCADE")
    program_id: ForeignKeyField[int | None]
    kind = CharField(max_length=30, constraints=[SQL(f"CHECK (kind IN ({_in(OBLIGATION_KINDS)}))")])
    title = CharField(max_length=200)
    due_on = DateField(index=True)
    remind_days = IntegerField(constraints=[SQL("CHECK (remind_days >= 0)")])
    remind_on = DateField(index=True)
    reminded_at = DateTimeField(null=True)
    done_at = DateTimeField(null=True)
    done_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    done_by_id: ForeignKeyField[int | None]
    created_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    created_by_id: ForeignKeyField[int | None]
    created_at = DateTimeField(default=utcnow)


class Submission(BaseModel):
    """What an agency sent to the secretariat's queue: a program version, a roll
    or a quarterly report (``kind``), named by ``ref_id`` in the owning area."""

    id: AutoField[int]
    kind = CharField(max_length=20, constraints=[SQL(f"CHECK (kind IN ({_in(SUBMISSION_KINDS)}))")])
    ref_id = IntegerField()
    agency = ForeignKeyField(Agency, on_delete="CASCADE")
    agency_id: ForeignKeyField[int]
    obligation = ForeignKeyField(ReportObligation, null=True, on_delete="SET NULL")
    obligation_id: ForeignKeyField[int | None]
    title = CharField(max_length=200)
    status = CharField(
        max_length=20,
        default="enviada",
        constraints=[SQL(f"CHECK (status IN ({_in(SUBMISSION_STATUSES)}))")],
    )
    submitted_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    submitted_by_id: ForeignKeyField[int | None]
    submitted_at = DateTimeField(default=utcnow)
    decided_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    decided_by_id: ForeignKeyField[int | None]
    decided_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("status", "submitted_at"), False),
            (("agency", "submitted_at"), False),
            (("kind", "ref_id"), False),
        )


class SubmissionItem(BaseModel):
    """One part of a submission the validator judges on its own, with a comment
    when it is returned."""

    id: AutoField[int]
    submission = ForeignKeyField(Submission, backref="items", on_delete="CASCADE")
    submission_id: ForeignKeyField[int]
    position = IntegerField()
    label = CharField(max_length=200)
    content = JSONText(default=dict)
    verdict = CharField(
        max_length=10, default="", constraints=[SQL(f"CHECK (verdict IN ({_in(VERDICTS)}))")]
    )
    comment = TextField(default="")


class StaffNotice(BaseModel):
    """A notice in a staff member's inbox in the portal; its text is written
    in Spanish when it is created."""

    id: AutoField[int]
    staff = ForeignKeyField(StaffUser, on_delete="CASCADE", index=False)
    staff_id: ForeignKeyField[int]
    kind = CharField(max_length=30)
    title = CharField(max_length=200)
    body = TextField()
    link = CharField(max_length=300, default="")
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("staff", "created_at"), False),)


class StaffOutbox(BaseModel):
    """The e-mail of a staff notice, sent from the queue with the citizens'
    outbox's sender and backoff (portal/applications/notices.py)."""

    id: AutoField[int]
    notice = ForeignKeyField(StaffNotice, on_delete="CASCADE")
    notice_id: ForeignKeyField[int]
    status = CharField(
        max_length=10,
        default="pendiente",
        constraints=[SQL(f"CHECK (status IN ({_in(OUTBOX_STATUSES)}))")],
    )
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    last_error = CharField(default="")
    sent_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)


class Thread(BaseModel):
    """A conversation between one agency and the secretariat about one program,
    obligation or submission (``topic`` and ``topic_id``)."""

    id: AutoField[int]
    agency = ForeignKeyField(Agency, on_delete="CASCADE", index=False)
    agency_id: ForeignKeyField[int]
    topic = CharField(max_length=20, constraints=[SQL(f"CHECK (topic IN ({_in(THREAD_TOPICS)}))")])
    topic_id = IntegerField()
    subject = CharField(max_length=200)
    created_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    created_by_id: ForeignKeyField[int | None]
    created_at = DateTimeField(default=utcnow)
    # Kept by every message written, so the lists sort without reading messages.
    last_message_at = DateTimeField(default=utcnow, index=True)
    messages = IntegerField(default=0)

    class Meta:
        indexes = ((("agency", "last_message_at"), False),)


class ThreadMessage(BaseModel):
    """One message of a thread, with at most one attachment (checked by the same
    upload gate as citizens' documents and stored encrypted)."""

    id: AutoField[int]
    thread = ForeignKeyField(Thread, on_delete="CASCADE", index=False)
    thread_id: ForeignKeyField[int]
    author = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    author_id: ForeignKeyField[int | None]
    side = CharField(max_length=12, constraints=[SQL(f"CHECK (side IN ({_in(SIDES)}))")])
    body = TextField()
    attachment_key = CharField(default="")
    attachment_name = CharField(max_length=120, default="")
    attachment_type = CharField(max_length=40, default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("thread", "id"), False),)


class ThreadRead(BaseModel):
    """How far a staff member has read a thread: the read receipts."""

    id: AutoField[int]
    thread = ForeignKeyField(Thread, on_delete="CASCADE", index=False)
    thread_id: ForeignKeyField[int]
    staff = ForeignKeyField(StaffUser, on_delete="CASCADE")
    staff_id: ForeignKeyField[int]
    side = CharField(max_length=12, constraints=[SQL(f"CHECK (side IN ({_in(SIDES)}))")])
    last_read = IntegerField()  # the id of the last message they saw
    read_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("thread", "staff"), True),)


SECRETARIAT_MODELS = [
    ReportObligation,
    Submission,
    SubmissionItem,
    StaffNotice,
    StaffOutbox,
    Thread,
    ThreadMessage,
    ThreadRead,
]
