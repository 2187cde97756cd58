"""Daily caps per number, counted by the writes that spend them.

Each SMS sent to a number and each question received from it adds one to
that number's counter for the day (one row per number, kind and day, keyed by a
digest: the table names no phone). Taking a unit is one upsert and one read of
that row, whatever the size of the registry; a counter over the cap refuses
and leaves the count where the cap is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from flask import current_app

from portal.citizens.phones import normalise_phone
from portal.sms.models import SmsCounter
from portal.web.database import write

SENT = "enviado"
QUESTION = "consulta"
# Counters older than this are deleted by the daily task (portal/sms/tasks.py).
KEEP_DAYS = 2


class DailyCapReached(Exception):
    """This number had its SMS for today; the outbox tries again later."""


def number_key(phone: str) -> str:
    """The digest of a number however it is written (``+524421234567``, 10 digits)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digits = normalise_phone(phone)
    return hmac.new(key, f"sms\x00{digits}".encode(), hashlib.sha256).hexdigest()


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def take(phone: str, kind: str, cap: int, day: dt.date | None = None) -> bool:
    """Spend one of today's ``cap`` units of ``kind`` for ``phone``; False when none is left."""
    key, day = number_key(phone), day or today()
    with write():
        SmsCounter.insert(key=key, kind=kind, day=day, count=0).on_conflict_ignore().execute()
        spent = (
            SmsCounter.update(count=SmsCounter.count + 1)
            .where(
                (SmsCounter.key == key)
                & (SmsCounter.kind == kind)
                & (SmsCounter.day == day)
                & (SmsCounter.count < cap)
            )
            .execute()
        )
    return bool(spent)


def give_back(phone: str, kind: str, day: dt.date | None = None) -> None:
    """Return a unit that was taken for an SMS that did not go out (the SMSC was
    down or refused it), so an outage does not spend a number's day."""
    with write():
        SmsCounter.update(count=SmsCounter.count - 1).where(
            (SmsCounter.key == number_key(phone))
            & (SmsCounter.kind == kind)
            & (SmsCounter.day == (day or today()))
            & (SmsCounter.count > 0)
        ).execute()


def used(phone: str, kind: str, day: dt.date | None = None) -> int:
    row = SmsCounter.get_or_none(
        (SmsCounter.key == number_key(phone))
        & (SmsCounter.kind == kind)
        & (SmsCounter.day == (day or today()))
    )
    return row.count if row else 0


def forget_old(now: dt.date | None = None) -> int:
    """Delete the counters of past days; returns how many rows went."""
    cutoff = (now or today()) - dt.timedelta(days=KEEP_DAYS)
    with write():
        return SmsCounter.delete().where(SmsCounter.day < cutoff).execute()
