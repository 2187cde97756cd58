"""Back-office tables: staff accounts, sign-in throttles and the hash-chained audit trail."""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from portal.catalog.models import Agency
from portal.vocabulary import (
    STAFF_ROLES,
)
from portal.web.tables import BaseModel, JSONText, _in, utcnow
from portal.web.users import SignedInUser


class StaffUser(SignedInUser, BaseModel):
    """Agency staff; every role but admin_estatal belongs to one agency."""

    id_prefix = "s"
    id: AutoField[int]
    email = CharField(unique=True)
    name = CharField()
    password_hash = CharField()
    role = CharField(constraints=[SQL(f"CHECK (role IN ({_in(STAFF_ROLES)}))")])
    agency = ForeignKeyField(Agency, null=True, backref="staff", on_delete="RESTRICT")
    agency_id: ForeignKeyField[int | None]
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)


class SignInThrottle(BaseModel):
    """Failed staff sign-ins counted by account and client, and how long they must wait.

    ``key`` and ``account`` are keyed digests (see portal/backoffice/staff.py):
    the table names no e-mail and no address, and a typed e-mail that belongs
    to nobody is counted exactly like a real one.
    """

    id: AutoField[int]
    key = CharField(max_length=64, unique=True)
    scope = CharField(max_length=10)  # par (account and client), cliente, cuenta
    account = CharField(max_length=64, default="", index=True)
    failures = IntegerField(default=0)
    wait_until = DateTimeField(null=True)
    known = BooleanField(default=False)  # this client has signed in to this account
    updated_at = DateTimeField(default=utcnow, index=True)


class AuditEvent(BaseModel):
    """Append-only, hash-chained record of staff actions and state changes.

    Never holds a CURP, document content or token: objects are named by type
    and id (or folio), people by their record id.
    """

    id: AutoField[int]
    created_at = DateTimeField(default=utcnow, index=True)
    actor_kind = CharField()  # ciudadano, personal, sistema, anonimo
    actor_id = IntegerField(null=True)
    role = CharField(default="")
    agency_id = IntegerField(null=True)
    object_type = CharField(default="")
    object_id = CharField(default="", index=True)
    action = CharField(index=True)
    outcome = CharField(default="ok")
    request_id = CharField(default="")
    details = JSONText(default=dict)
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64, unique=True)

    class Meta:
        indexes = (
            # Searching the trail by who and by action, newest first (migrations/0014_queue.py).
            (("actor_kind", "actor_id", "id"), False),
            (("action", "id"), False),
            # "Who saw my data": one record's views, latest first (migration 0017).
            (("object_type", "object_id", "action", "created_at"), False),
        )
