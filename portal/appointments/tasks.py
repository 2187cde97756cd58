"""The appointments' tasks on the background queue (portal/web/queue.py): the
reminders of tomorrow's appointments every morning, and every quarter of an
hour the no-shows of slots that ended (portal/appointments/bookings.py)."""

from __future__ import annotations

from huey import crontab

from portal.appointments import bookings
from portal.web.extensions import db
from portal.web.queue import huey, in_app


def _remind() -> int:
    db.connect(reuse_if_open=True)
    return bookings.send_reminders()


# Every morning at 9:00 in Querétaro (15:00 UTC).
@huey.periodic_task(crontab(hour="15", minute="0"))
def remind_appointments_every_morning() -> int:
    return in_app(_remind)


def _sweep() -> int:
    db.connect(reuse_if_open=True)
    return bookings.sweep_no_shows()


@huey.periodic_task(crontab(minute="*/15"))
def sweep_no_shows() -> int:
    return in_app(_sweep)
