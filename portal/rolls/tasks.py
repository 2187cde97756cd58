"""Roll imports and the search for probable duplicates on the background queue
(portal/web/queue.py).

An upload (portal/rolls/views.py) queues :func:`preview_roll`, the dry run
an admin reads before committing (portal/rolls/preview.py); the commit queues
:func:`import_roll`; the consumer (portal/worker.py) runs them. A run lost with its process (a restart, a
``kill -9``) left nothing anyone sees, only staged rows (portal/rolls/writing.py):
:func:`recover_stalled_rolls`, every five minutes and when the consumer
starts, queues such batches again or fails them, removes what they staged and
sweeps the files nothing needs (portal/rolls/uploads.py).

A record created by a digital-ID sign-in or at the counter
(portal/citizens/record.py) queues :func:`check_duplicates` for that person
once its transaction commits; a roll import that finished queues
:func:`check_roll_people`, which queues :func:`check_duplicates` for the
people it created in chunks of ``duplicates.CHECK_CHUNK``, never a task per
row. Each compares its people with their blocks only
(portal/rolls/duplicates.py ``check_people``); running it twice stores a pair
once.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from huey import crontab

from portal.citizens import record
from portal.rolls import duplicates, uploads, writing
from portal.web.extensions import db
from portal.web.queue import huey, in_app


def init_app(app) -> None:
    if _people_added not in record.identity_changed:
        record.identity_changed.append(_people_added)
    if _roll_published not in writing.after_published:
        writing.after_published.append(_roll_published)


def _people_added(citizen_ids: list[int]) -> None:
    check_duplicates(list(citizen_ids))


def _roll_published(batch_id: int) -> None:
    check_roll_people(batch_id)


def _folder() -> Path:
    return uploads.uploads_folder(current_app.instance_path)


def _import(batch_id: int) -> str:
    db.connect(reuse_if_open=True)
    return str(uploads.run(_folder(), batch_id).status)


def _recover() -> list[int]:
    db.connect(reuse_if_open=True)
    return uploads.recover(_folder(), import_roll, enqueue_preview=preview_roll)


def _preview(batch_id: int) -> str:
    db.connect(reuse_if_open=True)
    return str(uploads.run_preview(_folder(), batch_id).status)


def _check(citizen_ids: list[int]) -> int:
    db.connect(reuse_if_open=True)
    return duplicates.check_people(citizen_ids)


def _queue_roll(batch_id: int) -> int:
    db.connect(reuse_if_open=True)
    chunks = 0
    for ids in duplicates.roll_people(batch_id):
        check_duplicates(ids)
        chunks += 1
    return chunks


@huey.task()
def import_roll(batch_id: int) -> str:
    """Import an uploaded roll; the batch's status when it ends."""
    return in_app(lambda: _import(batch_id))


@huey.task()
def preview_roll(batch_id: int) -> str:
    """Make the dry run of an uploaded roll (portal/rolls/preview.py); the batch's status."""
    return in_app(lambda: _preview(batch_id))


@huey.task()
def check_duplicates(citizen_ids: list[int]) -> int:
    """Compare these people with their blocks; the number of new pairs."""
    return in_app(lambda: _check(citizen_ids))


@huey.task()
def check_roll_people(batch_id: int) -> int:
    """Queue the people a finished roll created, in chunks; the number of chunks."""
    return in_app(lambda: _queue_roll(batch_id))


@huey.periodic_task(crontab(minute="*/5"))
def recover_stalled_rolls() -> list[int]:
    return in_app(_recover)


@huey.on_startup()
def recover_stalled_rolls_at_start() -> None:
    in_app(_recover)
