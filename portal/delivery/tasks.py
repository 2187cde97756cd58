"""The delivery calendar's tasks on the background queue (portal/web/queue.py):
announcing a date or place when the agency sets or changes it, and the daily
reminders before each date (portal/delivery/calendar.py)."""

from __future__ import annotations

from huey import crontab

from portal.delivery import calendar
from portal.web.extensions import db
from portal.web.queue import huey, in_app


def init_app(app) -> None:
    if _enqueue not in calendar.announcers:
        calendar.announcers.append(_enqueue)


def _enqueue(date_id: int, kind: str) -> None:
    if kind != "igual":
        announce_delivery_date(date_id, kind)


def _announce(date_id: int, kind: str) -> int:
    db.connect(reuse_if_open=True)
    return calendar.announce(date_id, kind)


@huey.task()
def announce_delivery_date(date_id: int, kind: str) -> int:
    return in_app(lambda: _announce(date_id, kind))


def _remind() -> int:
    db.connect(reuse_if_open=True)
    return calendar.send_reminders()


# Every morning at 8:00 in Querétaro (14:00 UTC).
@huey.periodic_task(crontab(hour="14", minute="5"))
def remind_delivery_dates_every_morning() -> int:
    return in_app(_remind)
