"""The background queue (huey) that sends notices from the outbox.

Storage comes from ``QUEUE_URL``: ``sqlite:///path`` (the default, a file in
the instance folder) or ``redis://...`` (needs the ``redis`` package). With
``QUEUE_IMMEDIATE`` (on by default under ``TESTING``) tasks run in the calling
thread, with no queue at all.

The consumer is a separate process::

    .venv/bin/huey_consumer portal.worker.huey

Every status change wakes it; a periodic task also sends whatever is due every
minute, which is what retries failed messages once their backoff has passed.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from flask import current_app, has_app_context
from huey import SqliteHuey, crontab
from huey.storage import SqliteStorage

from . import notices
from .extensions import db

# Immediate (in memory) until init_app() points it at real storage, so that
# importing this module never creates a file.
huey = SqliteHuey("ventanilla", immediate=True)


def init_app(app) -> None:
    immediate = app.config.get("QUEUE_IMMEDIATE", app.config.get("TESTING", False))
    if not immediate:
        url = (
            app.config["QUEUE_URL"] or f"sqlite:///{Path(app.config['INSTANCE_PATH']) / 'cola.db'}"
        )
        if url.startswith(("redis://", "rediss://")):
            from huey.storage import RedisStorage

            huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": url}
        elif url.startswith("sqlite:///"):
            filename = Path(unquote(url[len("sqlite:///") :]))
            filename.parent.mkdir(parents=True, exist_ok=True)
            huey.storage_class = SqliteStorage
            huey.storage_kwargs = {"filename": str(filename)}
        else:
            raise ValueError(f"QUEUE_URL no reconocida: use sqlite:/// o redis:// ({url})")
    huey.immediate = immediate
    if not immediate:
        huey.storage = huey.create_storage()
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


def _in_app(function):
    if has_app_context():
        return function()
    from .worker import app  # the consumer process's own app

    with app.app_context():
        try:
            return function()
        finally:
            db.close()


@huey.task()
def deliver_outbox() -> dict[str, int]:
    return _in_app(_deliver)


@huey.periodic_task(crontab(minute="*"))
def deliver_outbox_every_minute() -> dict[str, int]:
    return _in_app(_deliver)
