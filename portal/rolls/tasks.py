"""Roll imports on the background queue (portal/web/queue.py).

An upload (portal/rolls/views.py) queues :func:`import_roll`; the consumer
(portal/worker.py) runs it. A run lost with its process (a restart, a
``kill -9``) left nothing anyone sees, only staged rows (portal/rolls/writing.py):
:func:`recover_stalled_rolls`, every five minutes and when the consumer
starts, queues such batches again or fails them, removes what they staged and
sweeps the files nothing needs (portal/rolls/uploads.py).
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from huey import crontab

from portal.rolls import uploads
from portal.web.extensions import db
from portal.web.queue import huey, in_app


def _folder() -> Path:
    return uploads.uploads_folder(current_app.instance_path)


def _import(batch_id: int) -> str:
    db.connect(reuse_if_open=True)
    return str(uploads.run(_folder(), batch_id).status)


def _recover() -> list[int]:
    db.connect(reuse_if_open=True)
    return uploads.recover(_folder(), import_roll)


@huey.task()
def import_roll(batch_id: int) -> str:
    """Import an uploaded roll; the batch's status when it ends."""
    return in_app(lambda: _import(batch_id))


@huey.periodic_task(crontab(minute="*/5"))
def recover_stalled_rolls() -> list[int]:
    return in_app(_recover)


@huey.on_startup()
def recover_stalled_rolls_at_start() -> None:
    in_app(_recover)
