"""The SMS area's task on the background queue (portal/web/queue.py): every
night, the per-number counters of past days are deleted (portal/sms/quota.py)."""

from __future__ import annotations

from huey import crontab

from portal.sms import quota
from portal.web.extensions import db
from portal.web.queue import huey, in_app


def _forget() -> int:
    db.connect(reuse_if_open=True)
    return quota.forget_old()


@huey.periodic_task(crontab(hour="9", minute="40"))
def forget_old_sms_counters_every_night() -> int:
    return in_app(_forget)
