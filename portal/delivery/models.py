"""Delivery credentials and deliveries.

A Credential is what the beneficiary's QR code stands for. The token itself is
not stored: Ed25519 signatures are deterministic, so the same claims signed
with the same key give the same token, and the server judges a token by its
credential id. At most one credential per application is *current* (neither
revoked nor superseded), enforced by a partial unique index.

A Delivery is recorded at most once per application and benefit period: the
pair ``(application, period)`` is unique (``portal/delivery/periods.py`` numbers
the periods from the program's schedule), so two operators confirming the same
period at the same instant cannot both win. The delivery of the last period
also moves the application from ``aprobada`` to ``entregada`` with the
conditional update of ``portal/applications/workflow.transition``.
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

from portal.applications.models import Application, Document, Enrollment
from portal.backoffice.models import StaffUser
from portal.catalog.models import DeliveryPoint
from portal.vocabulary import RECERTIFICATION_STATUSES, RecertificationStatus
from portal.web.tables import BaseModel, _in, utcnow


class Credential(BaseModel):
    id: AutoField[int]
    application = ForeignKeyField(Application, backref="credentials", on_delete="CASCADE")
    application_id: ForeignKeyField[int]
    # 16 lowercase hex digits, inside the signed token; random, so it cannot be guessed.
    credential_id = CharField(max_length=16, unique=True)
    issued_on = DateField()
    expires_on = DateField(null=True)
    issued_at = DateTimeField(default=utcnow)
    issued_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    issued_by_id: ForeignKeyField[int | None]
    revoked_at = DateTimeField(null=True)
    superseded_at = DateTimeField(null=True)
    superseded_by = ForeignKeyField("self", null=True, on_delete="SET NULL")
    superseded_by_id: ForeignKeyField[int | None]
    reason = TextField(default="")

    @property
    def current(self) -> bool:
        return self.revoked_at is None and self.superseded_at is None


Credential.add_index(
    Credential.index(
        Credential.application,
        unique=True,
        where=SQL("revoked_at IS NULL AND superseded_at IS NULL"),
        name="credential_one_current_per_application",
    )
)


class Delivery(BaseModel):
    id: AutoField[int]
    # Indexed by the unique (application, period) pair below.
    application = ForeignKeyField(Application, index=False, on_delete="RESTRICT")
    application_id: ForeignKeyField[int]
    # The benefit period delivered (1, 2, ...), and the pesos paid for it (None in kind).
    period = IntegerField(default=1)
    amount = IntegerField(null=True)
    credential = ForeignKeyField(Credential, null=True, on_delete="SET NULL")
    credential_id: ForeignKeyField[int | None]
    operator = ForeignKeyField(StaffUser, on_delete="RESTRICT")
    operator_id: ForeignKeyField[int]
    point = ForeignKeyField(DeliveryPoint, on_delete="RESTRICT")
    point_id: ForeignKeyField[int]
    delivered_at = DateTimeField(default=utcnow, index=True)
    # Which ID the operator looked at, and only the last 4 characters of its
    # number: enough to settle a dispute, too little to be an identity.
    id_type = CharField(max_length=20)
    id_last4 = CharField(max_length=4)

    class Meta:
        indexes = ((("application", "period"), True),)


class Recertification(BaseModel):
    """One re-certification an enrollment is due: the person presents the
    program's proof (``Program.recertification``) by ``due_on``.

    Written only by ``portal/delivery/recertification.py``. The pair
    ``(enrollment, due_on)`` is unique, so however many times the daily task
    or an acceptance runs, a due date exists once. ``document`` is the proof
    presented (a version of the application's documents, stored and disarmed
    like every other one).
    """

    id: AutoField[int]
    # Indexed by the unique (enrollment, due_on) pair below.
    enrollment = ForeignKeyField(Enrollment, index=False, on_delete="CASCADE")
    enrollment_id: ForeignKeyField[int]
    application = ForeignKeyField(Application, on_delete="CASCADE")
    application_id: ForeignKeyField[int]
    due_on = DateField(index=True)
    status = CharField(
        max_length=12,
        default=RecertificationStatus.PENDIENTE,
        constraints=[SQL(f"CHECK (status IN ({_in(RECERTIFICATION_STATUSES)}))")],
    )
    document = ForeignKeyField(Document, null=True, on_delete="SET NULL")
    document_id: ForeignKeyField[int | None]
    # Why staff asked for another proof (the person reads it).
    reason = TextField(default="")
    reviewed_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    reviewed_by_id: ForeignKeyField[int | None]
    reviewed_at = DateTimeField(null=True)
    # When the reminder before ``due_on`` went out (the queue claims it once).
    reminded_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("enrollment", "due_on"), True),)
