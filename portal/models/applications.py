"""Notices: the person's inbox on the portal and the outbox that e-mails and texts it.

A status change writes one :class:`Notice` and, per the person's channel, one
:class:`Outbox` row in the same transaction as the change itself, so nothing is
lost when the mail server is down: a background task sends due rows and backs
off on failure (see ``portal/notices.py``).
"""

from __future__ import annotations

from peewee import SQL, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .core import Application, BaseModel, Citizen, _in, utcnow

OUTBOX_CHANNELS = ("email", "sms")
OUTBOX_STATUSES = ("pendiente", "enviado", "fallido")


class Notice(BaseModel):
    """Aviso in the person's inbox (``/avisos``)."""

    citizen = ForeignKeyField(Citizen, backref="notices", on_delete="CASCADE")
    application = ForeignKeyField(Application, null=True, backref="notices", on_delete="CASCADE")
    status = CharField(default="")  # the application status it announces
    title = CharField()
    body = TextField()
    link = CharField(default="")  # a path in the portal
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("citizen", "created_at"), False),)


class Outbox(BaseModel):
    """One message to send by e-mail or SMS; the address is read when sending."""

    notice = ForeignKeyField(Notice, backref="deliveries", on_delete="CASCADE")
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
