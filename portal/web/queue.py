"""The background queue (huey): one queue for every area's tasks.

Areas define their tasks in their own ``tasks.py`` (the outbox in
portal/applications/tasks.py, rolls in portal/rolls/tasks.py); the consumer
process (portal/worker.py) imports them all.

Storage comes from ``QUEUE_URL``: ``sqlite:///path`` (the default, a file in
the instance folder) or ``redis://...`` (needs the ``redis`` package). With
``QUEUE_IMMEDIATE`` (on by default under ``TESTING``) tasks run in the calling
thread, with no queue at all.

The consumer is a separate process::

    .venv/bin/huey_consumer portal.worker.huey

"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from flask import has_app_context
from huey import SqliteHuey
from huey.storage import SqliteStorage

from portal.web.extensions import db

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


def in_app(function):
    """Run ``function`` inside an app context: the caller's, or the consumer's own."""
    if has_app_context():
        return function()
    from portal.worker import app  # the consumer process's own app

    with app.app_context():
        try:
            return function()
        finally:
            db.close()
