"""The tables of field registration (portal/field/): one row per record a
brigade device sent, keyed by the UUID the device gave it, and the photos of a
record kept while it waits for a staff member to resolve its conflict."""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BlobField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from portal.applications.models import Application
from portal.backoffice.models import StaffUser
from portal.citizens.models import Citizen
from portal.web.tables import BaseModel, JSONText, utcnow

APPLIED = "aplicado"
CONFLICT = "conflicto"
DISCARDED = "descartado"
SUBMISSION_STATUSES = (APPLIED, CONFLICT, DISCARDED)


class FieldSubmission(BaseModel):
    """One record captured offline. The unique ``uuid`` (the device's
    idempotency key) makes a retried sync find the stored outcome instead of
    applying the record twice."""

    id: AutoField[int]
    uuid = CharField(max_length=36, unique=True)
    staff = ForeignKeyField(StaffUser, on_delete="RESTRICT", index=False)
    staff_id: ForeignKeyField[int]
    device = CharField(max_length=64, default="")
    received_at = DateTimeField(default=utcnow)
    resolved_at = DateTimeField(null=True)
    status = CharField(
        max_length=12,
        constraints=[SQL("CHECK (status IN ('aplicado', 'conflicto', 'descartado'))")],
    )
    conflict = CharField(max_length=12, default="")  # the last conflict's kind (sync.KINDS)
    result = JSONText(default=dict)  # what the device is answered, again on every retry
    record = JSONText(null=True)  # the record as sent, kept only while in conflict
    citizen = ForeignKeyField(Citizen, null=True, on_delete="SET NULL", index=False)
    citizen_id: ForeignKeyField[int | None]
    application = ForeignKeyField(Application, null=True, on_delete="SET NULL", index=False)
    application_id: ForeignKeyField[int | None]

    class Meta:
        # A staff member's records in conflict, newest first.
        indexes = ((("staff", "status", "id"), False),)


class FieldFile(BaseModel):
    """A document photo of a record in conflict, as the device sent it (checked
    again by the upload checks when the record is applied); deleted once the
    record is applied or discarded."""

    id: AutoField[int]
    submission = ForeignKeyField(FieldSubmission, on_delete="CASCADE", index=True)
    submission_id: ForeignKeyField[int]
    requirement_id = IntegerField()
    filename = CharField(max_length=200)
    data = BlobField()


FIELD_MODELS = [FieldSubmission, FieldFile]
