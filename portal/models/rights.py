"""The tables of the rights area (portal/rights/): electoral blackout periods
and ARCO requests (access, rectification, cancellation, opposition)."""

from __future__ import annotations

from peewee import SQL, AutoField, CharField, DateField, DateTimeField, ForeignKeyField, TextField

from portal.backoffice.models import StaffUser
from portal.catalog.models import Municipality
from portal.citizens.models import Citizen
from portal.web.tables import BaseModel, utcnow

ARCO_RIGHTS = ("acceso", "rectificacion", "cancelacion", "oposicion")
ARCO_CHANNELS = ("portal", "ventanilla")
ARCO_STATUSES = ("recibida", "respondida")
ARCO_OUTCOMES = ("", "procedente", "improcedente")


class BlackoutPeriod(BaseModel):
    """An electoral blackout (veda): from ``starts`` to ``ends``, both included,
    in one municipality or (``municipality`` empty) the whole state."""

    id: AutoField[int]
    election = CharField(max_length=200)
    municipality = ForeignKeyField(Municipality, null=True, on_delete="RESTRICT")
    municipality_id: ForeignKeyField[str | None]
    starts = DateField()
    # The check "is today in a blackout" reads only periods not yet over.
    ends = DateField(index=True, constraints=[SQL("CHECK (ends >= starts)")])
    created_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    created_by_id: ForeignKeyField[int | None]
    created_at = DateTimeField(default=utcnow)
    withdrawn_at = DateTimeField(null=True)


class ArcoRequest(BaseModel):
    """A request to exercise an ARCO right over one's personal data (LGPDPPSO)."""

    id: AutoField[int]
    folio = CharField(max_length=40, unique=True)
    kind = CharField(  # which right: acceso, rectificacion, cancelacion, oposicion
        max_length=20,
        constraints=[
            SQL("CHECK (kind IN ('acceso', 'rectificacion', 'cancelacion', 'oposicion'))")
        ],
    )
    # The person's record, when there is one (a counter request may come from
    # someone the portal holds nothing about: the answer then says so).
    citizen = ForeignKeyField(Citizen, null=True, on_delete="SET NULL", index=True)
    citizen_id: ForeignKeyField[int | None]
    curp = CharField(max_length=18)
    channel = CharField(
        max_length=20, constraints=[SQL("CHECK (channel IN ('portal', 'ventanilla'))")]
    )
    description = TextField()
    # The ID shown at the counter (never in the audit trail).
    id_type = CharField(max_length=20, default="")
    id_number = CharField(max_length=40, default="")
    filed_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    filed_by_id: ForeignKeyField[int | None]
    filed_at = DateTimeField(default=utcnow)
    due_on = DateField()
    status = CharField(
        max_length=20,
        default="recibida",
        constraints=[SQL("CHECK (status IN ('recibida', 'respondida'))")],
    )
    outcome = CharField(
        max_length=20,
        default="",
        constraints=[SQL("CHECK (outcome IN ('', 'procedente', 'improcedente'))")],
    )
    response = TextField(default="")
    response_key = CharField(default="")
    response_filename = CharField(default="")
    responded_at = DateTimeField(null=True)
    responded_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    responded_by_id: ForeignKeyField[int | None]


# The office's queue: open requests by due date, then id (keyset pagination).
ArcoRequest.add_index(
    ArcoRequest.index(
        ArcoRequest.status, ArcoRequest.due_on, ArcoRequest.id, name="arco_request_status_due_on_id"
    )
)

RIGHTS_MODELS = [BlackoutPeriod, ArcoRequest]
