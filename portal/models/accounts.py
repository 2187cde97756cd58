"""Sign-in and the single citizen record: digital-ID identities and the
correction requests a person makes about their own data."""

from __future__ import annotations

from peewee import SQL, CharField, DateTimeField, ForeignKeyField, TextField

from .core import BaseModel, Citizen, StaffUser, utcnow

CORRECTION_STATUSES = ("pendiente", "atendida", "rechazada")


class Identity(BaseModel):
    """A digital-ID account, keyed on (issuer, sub) and never on e-mail.

    One citizen may hold several (a new provider, a re-issued account); each
    identity belongs to exactly one citizen record.
    """

    issuer = CharField()
    subject = CharField()
    citizen = ForeignKeyField(Citizen, backref="identities", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_sign_in_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("issuer", "subject"), True),)


class CorrectionRequest(BaseModel):
    """A person asks staff to correct data they cannot edit themselves."""

    citizen = ForeignKeyField(Citizen, backref="correction_requests", on_delete="CASCADE")
    field = CharField()
    requested_value = TextField()
    reason = TextField(default="")
    status = CharField(
        default="pendiente",
        constraints=[SQL("CHECK (status IN ('pendiente', 'atendida', 'rechazada'))")],
        index=True,
    )
    created_at = DateTimeField(default=utcnow)
    resolved_at = DateTimeField(null=True)
    resolved_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
