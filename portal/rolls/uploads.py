"""Rolls uploaded through the web: the file kept for its batch, the run, the recovery.

The request that uploads only checks the file, keeps it encrypted
(portal/rolls/files.py: the documents' AES-GCM storage, its blob key on the
batch) and registers the batch (:func:`receive`); the import runs on the
background queue (portal/rolls/tasks.py calls :func:`run`), which decrypts the
file into memory and deletes it when the import ends, finished or failed. A
batch whose run was lost (the consumer or the server restarted, even by
``kill -9``) still has its file and left only staged rows, invisible to
everyone: :func:`recover` removes those and queues the batch again once it
has shown no sign of life for STALLED_AFTER, and sweeps files nothing needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from portal.applications.storage import StorageError
from portal.messages import _l
from portal.models import ImportBatch, Program, utcnow
from portal.rolls import preview, writing
from portal.rolls.files import roll_files
from portal.rolls.reading import RollError

STALLED_AFTER = writing.STALLED_AFTER
UNFINISHED = ("pendiente", "en_proceso")
LOST_FILE = _l("Se perdió el archivo de esta carga y no se guardó nada. Vuelva a subirlo.")


def uploads_folder(instance_path: str | Path) -> Path:
    """Where uploaded rolls wait, encrypted, for their import, and their progress files."""
    return Path(instance_path) / "padron"


def receive(
    folder: Path,
    source: IO[bytes],
    filename: str,
    program: Program,
    created_by_id: int | None,
    preview: bool = False,
) -> tuple[ImportBatch, bool]:
    """Check an uploaded file, keep it encrypted and register its batch (see
    writing.prepare_batch).

    Returns (batch, True) when the batch is to be imported: its file is then
    kept for :func:`run`. Raises RollError, keeping nothing, for a file that
    cannot be a roll (portal/rolls/reading.py). The plain bytes stay in
    memory (the request's size limit bounds them): nothing of them is written
    to disk unencrypted.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = source.read()
    files = roll_files(folder)
    # The checks first, so a file that is no roll is never stored; then the
    # blob, then the batch naming it (a process killed in between leaves a
    # blob no batch names, which the sweep deletes).
    writing.check_source(data)
    key = files.put(data)
    try:
        batch, pending, replaced = writing.register_batch(
            data, filename, program, created_by_id, stored_file=key, checked=True, preview=preview
        )
    except BaseException:  # a file that is no roll, or the database failing
        files.delete(key)
        raise
    if not pending:
        files.delete(key)  # already imported: nothing new to keep
    if replaced and replaced != key:
        files.delete(replaced)
    return batch, pending


def run(folder: Path, batch_id: int) -> ImportBatch:
    """Import the batch from its stored file, then let the file go.

    Safe to call twice for one batch (the same file uploaded again while it
    waits, a recovery): only one run claims it (writing.claim_batch), and a
    batch that finished meanwhile is left as it is.
    """
    claim = writing.claim_batch(batch_id, utcnow() - STALLED_AFTER)
    if claim is None:
        return ImportBatch.get_by_id(batch_id)  # another run holds it, or it is over
    batch = ImportBatch.get_by_id(batch_id)
    files = roll_files(folder)
    key = batch.stored_file
    try:
        data = files.get(key)
    except (StorageError, ValueError):
        return _lost_file(batch_id, claim)
    del batch
    progress = writing.ProgressFile(folder, batch_id)
    try:
        progress(0, 0)  # a sign of life before the file is counted
        return writing.run_batch(batch_id, data, progress=progress, claim=claim)
    finally:
        progress.remove()
        if ImportBatch.get_by_id(batch_id).status in ("terminado", "fallido"):
            files.delete(key)  # the import ended (not when another run took it over)


def run_preview(folder: Path, batch_id: int) -> ImportBatch:
    """Make the dry run of a batch waiting as ``vista_previa`` from its stored
    file (portal/rolls/preview.py); a batch decided meanwhile is left alone."""
    batch = ImportBatch.get_by_id(batch_id)
    if batch.status != "vista_previa" or batch.preview is not None:
        return batch
    try:
        data = roll_files(folder).get(batch.stored_file)
    except (StorageError, ValueError):
        return writing.fail_batch(batch_id, str(LOST_FILE))
    try:
        findings = preview.build(data, batch.program)
    except RollError as exc:
        return writing.fail_batch(batch_id, str(exc.message))
    preview.store(batch_id, findings)
    return ImportBatch.get_by_id(batch_id)


def discard(folder: Path, batch_id: int, actor: Any, request_id: str = "") -> ImportBatch:
    """Drop a previewed upload (portal/rolls/preview.py ``discard``) and its file."""
    batch, key = preview.discard(batch_id, actor, request_id)
    if key:
        roll_files(folder).delete(key)
    return batch


def _lost_file(batch_id: int, claim: dt.datetime | None = None) -> ImportBatch:
    failed = writing.fail_batch(batch_id, str(LOST_FILE), claim)
    writing.discard_staged(batch_id)
    return failed


def stalled(folder: Path, now: dt.datetime | None = None) -> list[int]:
    """Batches left pendiente or en_proceso STALLED_AFTER past their last sign
    of life, oldest first."""
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
    if batch.heartbeat_at is not None:
        signs.append(batch.heartbeat_at)
    progress = writing.ProgressFile(folder, batch.id).read()
    if progress is not None:
        signs.append(dt.datetime.fromtimestamp(progress["at"], dt.UTC).replace(tzinfo=None))
    return max(signs)


def recover(
    folder: Path,
    enqueue: Callable[[int], Any],
    now: dt.datetime | None = None,
    enqueue_preview: Callable[[int], Any] | None = None,
) -> list[int]:
    """After lost runs: queue again every stalled batch whose file is still
    kept; fail, with a message, a stalled batch without one (a web upload
    whose file is gone, or a ``padron import`` command that was killed); remove
    the staged rows of every batch that did not finish; sweep files no
    unfinished batch needs (portal/rolls/files.py). Returns the ids queued again.
    """
    files = roll_files(folder)
    queued = []
    for batch_id in stalled(folder, now):
        batch = ImportBatch.get_by_id(batch_id)
        if not files.exists(batch.stored_file):
            _lost_file(batch_id)
            continue
        enqueue(batch_id)
        queued.append(batch_id)
    if enqueue_preview is not None:
        # A preview whose run was lost: made again (it writes nothing but its findings).
        limit = (now or utcnow()) - STALLED_AFTER
        for batch in ImportBatch.select(ImportBatch.id).where(
            (ImportBatch.status == "vista_previa")
            & ImportBatch.preview.is_null()
            & (ImportBatch.created_at < limit)
        ):
            enqueue_preview(batch.id)
    for batch in ImportBatch.select(ImportBatch.id).where(ImportBatch.status == "fallido"):
        if writing.has_staged(batch.id):  # a run killed while it was failing
            writing.discard_staged(batch.id)
    keep = [
        b.stored_file
        for b in ImportBatch.select(ImportBatch.stored_file).where(
            ImportBatch.status.in_((*UNFINISHED, "vista_previa"))
        )
        if b.stored_file
    ]
    files.sweep(keep, older_than=STALLED_AFTER)
    _sweep_progress(folder)
    return queued


def _sweep_progress(folder: Path) -> None:
    """Progress files of batches that ended (their run was killed before it
    could remove them): counts only, but nothing needs them any more."""
    ended = set()
    for path in folder.glob("progreso-*.json"):
        try:
            ended.add(int(path.stem.removeprefix("progreso-")))
        except ValueError:
            continue
    if not ended:
        return
    running = {
        b.id
        for b in ImportBatch.select(ImportBatch.id).where(
            ImportBatch.id.in_(sorted(ended)) & ImportBatch.status.in_(UNFINISHED)
        )
    }
    for batch_id in ended - running:
        writing.ProgressFile(folder, batch_id).remove()
