"""The applications' tasks on the background queue (portal/web/queue.py).

Every status change wakes the outbox's sender; a periodic task also sends
whatever is due every minute, which is what retries failed messages once
their backoff has passed. Every hour, the sweep deletes what crashed uploads
left in the document storage (temporary files, blobs with no document row).
"""

from __future__ import annotations

from flask import current_app
from huey import crontab

from portal.applications import notices
from portal.applications.documents import sweep_orphans
from portal.web.extensions import db
from portal.web.queue import huey, in_app


def init_app(app) -> None:
    if _enqueue not in notices.wakers:
        notices.wakers.append(_enqueue)


def _enqueue() -> None:
    deliver_outbox()


def _deliver() -> dict[str, int]:
    config = current_app.config
    db.connect(reuse_if_open=True)
    return notices.deliver_due(
        notices.senders_from_config(config), base_url=config["PORTAL_BASE_URL"]
    )


@huey.task()
def deliver_outbox() -> dict[str, int]:
    return in_app(_deliver)


@huey.periodic_task(crontab(minute="*"))
def deliver_outbox_every_minute() -> dict[str, int]:
    return in_app(_deliver)


def _sweep() -> dict[str, int]:
    db.connect(reuse_if_open=True)
    result = sweep_orphans()
    return {"temporary_files": result.temporary_files, "orphan_blobs": result.orphan_blobs}


@huey.periodic_task(crontab(minute="17"))
def sweep_storage_every_hour() -> dict[str, int]:
    return in_app(_sweep)
