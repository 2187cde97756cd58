"""The web layer's own task on the background queue: purging expired sessions."""

from __future__ import annotations

from huey import crontab

from portal.web import sessions
from portal.web.extensions import db
from portal.web.queue import huey, in_app


def _purge() -> int:
    db.connect(reuse_if_open=True)
    return sessions.purge_expired()


@huey.periodic_task(crontab(minute="17"))
def purge_expired_sessions() -> int:
    """Every hour: rows of sessions whose cookie never came back."""
    return in_app(_purge)
