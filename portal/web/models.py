"""Server-side web sessions (see portal/web/sessions.py)."""

from __future__ import annotations

from peewee import (
    CharField,
    DateTimeField,
    IntegerField,
)

from portal.web.tables import BaseModel, JSONText, utcnow


class WebSession(BaseModel):
    """Server-side session: sign-out and deactivation really end it.

    The cookie holds a random id; only its SHA-256 is stored, so a copy of the
    database cannot be replayed as cookies.
    """

    id_hash = CharField(max_length=64, primary_key=True)
    data = JSONText(default=dict)
    user_kind = CharField(default="")  # "", ciudadano, personal
    user_id = IntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    last_seen = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user_kind", "user_id"), False),)
