"""Back-office tables: the in-person identity checks of assisted mode, and who
helped whom at the counter (separation of duties)."""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField

from .core import Application, BaseModel, Citizen, StaffUser, utcnow

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


class Assistance(BaseModel):
    """A staff member acted for this person at the counter: registered them,
    answered their questionnaire, filed or uploaded for them.

    Whoever helped a person file may not decide their applications (see
    ``portal.applications.decision_blockers``); one row per person, staff
    member, act and application is enough to know.
    """

    citizen = ForeignKeyField(Citizen, backref="assistance", on_delete="CASCADE")
    staff = ForeignKeyField(StaffUser, on_delete="CASCADE")
    act = CharField(max_length=20)  # portal.vocabulary.Assistance
    application = ForeignKeyField(Application, null=True, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("citizen", "staff", "act", "application"), True),)
