"""Rolls uploaded through the web: the file kept for its batch, the run, the recovery.

The request that uploads only stores the file and registers the batch
(:func:`receive`); the import runs on the background queue
(portal/rolls/tasks.py calls :func:`run`). The file waits in the uploads
folder as ``lote-<batch id>.<csv|xlsx>`` until its import ends, so a batch
whose run was lost (the consumer or the server restarted, even by ``kill -9``)
still has its file: the import is one transaction, which left nothing
behind, and :func:`recover` queues the batch again once it has shown no sign
of life for STALLED_AFTER.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from flask_babel import lazy_gettext as _l

from portal.models import ImportBatch, Program, utcnow
from portal.rolls import writing

# A batch still pendiente or en_proceso this long after its last sign of life
# (upload, start, progress) lost its run, and is queued again.
STALLED_AFTER = dt.timedelta(minutes=10)
UNFINISHED = ("pendiente", "en_proceso")


def uploads_folder(instance_path: str | Path) -> Path:
    """Where uploaded rolls wait for their import, and their progress files."""
    return Path(instance_path) / "padron"


def batch_file(folder: Path, batch_id: int) -> Path | None:
    """The stored file of the batch, if it is still waiting for its import."""
    return next(iter(sorted(folder.glob(f"lote-{batch_id}.*"))), None)


def receive(
    folder: Path, source: IO[bytes], filename: str, program: Program, created_by_id: int | None
) -> tuple[ImportBatch, bool]:
    """Store an uploaded file and register its batch (see writing.prepare_batch).

    Returns (batch, True) when the batch is to be imported: its file is then
    kept in ``folder`` for :func:`run`. Raises RollError, keeping nothing,
    for a file that cannot be a roll (portal/rolls/reading.py).
    """
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(filename).suffix.lower()
    with tempfile.NamedTemporaryFile(dir=folder, suffix=suffix, delete=False) as fh:
        shutil.copyfileobj(source, fh)
        received = Path(fh.name)
    try:
        batch, pending = writing.prepare_batch(received, filename, program, created_by_id)
    except BaseException:  # a file that is no roll, or the database failing
        received.unlink(missing_ok=True)
        raise
    if pending:
        os.replace(received, folder / f"lote-{batch.id}{suffix}")
    else:
        received.unlink(missing_ok=True)
    return batch, pending


def run(folder: Path, batch_id: int) -> ImportBatch:
    """Import the batch from its stored file, then let the file go.

    Safe to call twice for one batch (the same file uploaded again while it
    waits, a recovery): only one run claims it (writing.claim_batch), and a
    batch that finished meanwhile is left as it is.
    """
    path = batch_file(folder, batch_id)
    if path is None:
        return _lost_file(batch_id)
    if not writing.claim_batch(batch_id, utcnow() - STALLED_AFTER):
        return ImportBatch.get_by_id(batch_id)  # another run holds it, or it is over
    progress = writing.ProgressFile(folder, batch_id)
    try:
        progress(0, 0)  # a sign of life before the file is counted
        return writing.run_batch(batch_id, path, progress=progress)
    finally:
        progress.remove()
        path.unlink(missing_ok=True)


def _lost_file(batch_id: int) -> ImportBatch:
    batch = ImportBatch.get_by_id(batch_id)
    if batch.status == "en_proceso":
        return writing.fail_batch(
            batch_id,
            str(_l("Se perdió el archivo de esta carga y no se guardó nada. Vuelva a subirlo.")),
        )
    return batch


def stalled(folder: Path, now: dt.datetime | None = None) -> list[int]:
    """Uploaded batches left pendiente or en_proceso STALLED_AFTER past their
    last sign of life, oldest first."""
    limit = (now or utcnow()) - STALLED_AFTER
    found = []
    for batch in (
        ImportBatch.select()
        .where(ImportBatch.status.in_(UNFINISHED) & (ImportBatch.created_at < limit))
        .order_by(ImportBatch.id)
    ):
        if _last_sign_of_life(folder, batch) < limit:
            found.append(batch.id)
    return found


def _last_sign_of_life(folder: Path, batch: Any) -> dt.datetime:
    signs = [batch.created_at, batch.started_at or batch.created_at]
    progress = writing.ProgressFile(folder, batch.id).read()
    if progress is not None:
        signs.append(dt.datetime.fromtimestamp(progress["at"], dt.UTC).replace(tzinfo=None))
    return max(signs)


def recover(
    folder: Path, enqueue: Callable[[int], Any], now: dt.datetime | None = None
) -> list[int]:
    """Queue again every stalled batch whose file is still here; a stalled batch
    that was running and lost its file fails with a message. Returns the ids
    queued again.

    A batch pendiente without a file was not uploaded through the web (the
    ``padron import`` command runs its own): it is left to whoever runs it.
    """
    queued = []
    for batch_id in stalled(folder, now):
        if batch_file(folder, batch_id) is None:
            _lost_file(batch_id)
            continue
        enqueue(batch_id)
        queued.append(batch_id)
    return queued
