"""The complaints area's task on the background queue (portal/web/queue.py):
every morning, complaints whose deadline passed unanswered are sent on to the
internal control body (portal/complaints/desk.py)."""

from __future__ import annotations

from huey import crontab

from portal.complaints import desk
from portal.rights.holidays import local_today
from portal.web.extensions import db
from portal.web.queue import huey, in_app


def _escalate() -> int:
    db.connect(reuse_if_open=True)
    return desk.escalate_overdue(local_today())


# Every morning at 6:30 in Querétaro (12:30 UTC), before offices open.
@huey.periodic_task(crontab(hour="12", minute="30"))
def escalate_overdue_complaints_every_morning() -> int:
    return in_app(_escalate)
