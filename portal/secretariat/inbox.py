"""The staff inbox: notices to staff in the portal, and their e-mail.

A notice and its outbox row are written in the caller's transaction, so they
exist exactly when what they announce does. Sending happens on the queue with
the citizens' outbox's sender, backoff and lease (portal/applications/notices.py):
a request never waits on the mail server, and a failure is retried later.
Logs name outbox rows by id only, never an address.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping

from portal.applications.notices import EMAIL_FOOTER, Message, Sender, send_due
from portal.models import StaffNotice, StaffOutbox, StaffUser, utcnow
from portal.web.database import write
from portal.web.extensions import db

log = logging.getLogger("portal.secretariat.inbox")

# Called after a transaction that wrote outbox rows commits (tasks.py registers).
wakers: list[Callable[[], None]] = []


def notify(staff: Iterable[StaffUser], kind: str, title: str, body: str, link: str) -> int:
    """One notice (and its e-mail) for each active member of ``staff``."""
    written = 0
    for member in staff:
        if not member.active:
            continue
        notice = StaffNotice.create(
            staff=member.id, kind=kind, title=title, body=body, link=link, created_at=utcnow()
        )
        if member.email:
            StaffOutbox.create(notice=notice.id, next_attempt_at=utcnow())
        written += 1
    return written


def wake() -> None:
    """Ask the queue to send now; not inside a transaction, whose rows a worker
    could not see yet (the caller wakes it after committing)."""
    if db.in_transaction():
        return
    for waker in wakers:
        waker()


def _message(row: StaffOutbox, base_url: str) -> Message | None:
    notice = StaffNotice.get_by_id(row.notice_id)
    member = StaffUser.get_by_id(notice.staff_id)
    if not member.email or not member.active:
        return None
    body = f"{notice.body}\n\n{base_url}{notice.link}" if notice.link else notice.body
    return Message(
        outbox_id=row.id, to=member.email, subject=notice.title, body=f"{body}\n\n{EMAIL_FOOTER}"
    )


def deliver_due(
    sender: Sender, *, base_url: str = "", now: dt.datetime | None = None, limit: int = 100
) -> dict[str, int]:
    """Send the e-mails that are due; how many were sent, retried and given up
    (the citizens' outbox loop, portal/applications/notices.py ``send_due``)."""
    return send_due(
        StaffOutbox,
        lambda row: _message(row, base_url),
        lambda _row, message: sender.send(message),
        now=now or utcnow(),
        limit=limit,
        what="aviso a personal",
    )


INBOX_SIZE = 50


def latest(member: StaffUser, limit: int = INBOX_SIZE) -> list[StaffNotice]:
    """The member's latest notices, newest first (the index on staff and time)."""
    return list(
        StaffNotice.select()
        .where(StaffNotice.staff == member.id)
        .order_by(StaffNotice.created_at.desc(), StaffNotice.id.desc())
        .limit(limit)
    )


def mark_read(member: StaffUser, notice_ids: Iterable[int]) -> int:
    """Mark the member's own notices read; returns how many changed."""
    wanted = list(notice_ids)
    if not wanted:
        return 0
    with write():
        return (
            StaffNotice.update(read_at=utcnow())
            .where(
                (StaffNotice.staff == member.id)
                & StaffNotice.id.in_(wanted)
                & StaffNotice.read_at.is_null()
            )
            .execute()
        )


def senders_config(config: Mapping) -> Sender:
    """The e-mail sender the citizens' outbox uses, from the same settings."""
    from portal.applications.notices import senders_from_config

    return senders_from_config(config)["email"]
