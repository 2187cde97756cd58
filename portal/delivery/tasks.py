"""The delivery area's tasks on the background queue (portal/web/queue.py):
announcing a date or place when the agency sets or changes it, the daily
reminders before each date (portal/delivery/calendar.py), and the daily
re-certification run: due dates, reminders, suspensions
(portal/delivery/recertification.py)."""

from __future__ import annotations

from huey import crontab

from portal.delivery import calendar, recertification
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


def _recertify() -> int:
    db.connect(reuse_if_open=True)
    return recertification.run_daily().suspended


# Every morning at 7:00 in Querétaro (13:00 UTC), before the calendar's reminders.
@huey.periodic_task(crontab(hour="13", minute="10"))
def recertify_every_morning() -> int:
    return in_app(_recertify)
