"""The SMS tables: each segment handed to the SMSC with its receipt, and the
per-number daily counters that the caps read (portal/sms/quota.py)."""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from portal.applications.models import Outbox
from portal.web.tables import BaseModel, _in, utcnow

# Final states of a delivery receipt (SMPP 3.4 appendix B), and ours before one comes.
RECEIPT_STATES = (
    "ENROUTE",
    "DELIVRD",
    "EXPIRED",
    "DELETED",
    "UNDELIV",
    "ACCEPTD",
    "UNKNOWN",
    "REJECTD",
)
SUBMITTED = "ENVIADO"
COUNTER_KINDS = ("enviado", "consulta")


class SmsPart(BaseModel):
    """One segment the SMSC accepted: the id it gave it (``submit_sm_resp``) and,
    once the receipt arrives, its final state and when. ``outbox`` is empty for
    the answers to messages people sent (portal/sms/inbound.py)."""

    id: AutoField[int]
    outbox = ForeignKeyField(Outbox, null=True, backref="sms_parts", on_delete="CASCADE")
    outbox_id: ForeignKeyField[int | None]
    message_id = CharField(max_length=65, unique=True)
    part = IntegerField(default=1)
    parts = IntegerField(default=1)
    encoding = CharField(max_length=4)
    state = CharField(
        default=SUBMITTED,
        constraints=[SQL(f"CHECK (state IN ({_in((SUBMITTED, *RECEIPT_STATES))}))")],
    )
    # The receipt's err: field, a code of the carrier (never the text).
    error_code = CharField(max_length=8, default="")
    submitted_at = DateTimeField(default=utcnow)
    receipt_at = DateTimeField(null=True)


class SmsCounter(BaseModel):
    """How many SMS went to a number (``enviado``) or how many questions came from
    it (``consulta``) on one day, kept by the writes themselves. ``key`` is a
    keyed digest of the number, so the table names no phone."""

    id: AutoField[int]
    key = CharField(max_length=64)
    kind = CharField(constraints=[SQL(f"CHECK (kind IN ({_in(COUNTER_KINDS)}))")])
    day = DateField(index=True)
    count = IntegerField(default=0)

    class Meta:
        indexes = ((("key", "kind", "day"), True),)


SMS_MODELS = [SmsPart, SmsCounter]
