"""The secretariat's tasks on the background queue (portal/web/queue.py): the
morning run of the calendar's reminders (portal/secretariat/calendar.py), and
the staff outbox's e-mail, sent when a notice is written and every minute for
the retries (portal/secretariat/inbox.py)."""

from __future__ import annotations

from flask import current_app
from huey import crontab

from portal.secretariat import calendar, inbox, program_versions
from portal.web.extensions import db
from portal.web.queue import huey, in_app


def init_app(app) -> None:
    if _enqueue not in inbox.wakers:
        inbox.wakers.append(_enqueue)
    program_versions.init()  # PROGRAM_REVIEWER=secretaria: drafts go to the queue


def _enqueue() -> None:
    deliver_staff_outbox()


def _deliver() -> dict[str, int]:
    config = current_app.config
    db.connect(reuse_if_open=True)
    return inbox.deliver_due(inbox.senders_config(config), base_url=config["PORTAL_BASE_URL"])


@huey.task()
def deliver_staff_outbox() -> dict[str, int]:
    return in_app(_deliver)


@huey.periodic_task(crontab(minute="*"))
def deliver_staff_outbox_every_minute() -> dict[str, int]:
    return in_app(_deliver)


def _remind() -> int:
    db.connect(reuse_if_open=True)
    return calendar.send_reminders()


# Every morning at 8:00 in Querétaro (14:00 UTC).
@huey.periodic_task(crontab(hour="14", minute="15"))
def remind_report_obligations_every_morning() -> int:
    return in_app(_remind)
