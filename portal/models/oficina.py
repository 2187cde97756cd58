"""Back-office tables: the in-person identity checks of assisted mode."""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField

from .core import BaseModel, Citizen, StaffUser, utcnow

ID_TYPES = ("ine", "pasaporte", "cedula", "licencia", "cartilla", "otra")


class IdentityCheck(BaseModel):
    """A staff member saw this person's ID at a counter before acting for them.

    The ID number is kept here (it proves the check) and never in the audit
    trail, which names only this row's id.
    """

    citizen = ForeignKeyField(Citizen, backref="identity_checks", on_delete="CASCADE")
    staff = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    id_type = CharField(max_length=20)
    id_number = CharField(max_length=40)
    created_at = DateTimeField(default=utcnow, index=True)
