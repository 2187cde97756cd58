"""Uploaded roll files at rest: encrypted like documents, kept only while needed.

A roll uploaded through the web (126,000 CURPs and names in plain text) waits
for its import on the queue. It is kept as a blob of the documents' own
AES-GCM storage (portal/applications/storage.py, :class:`EncryptedFileStorage`
with the same key ring, ``STORAGE_KEYS``) under its own root,
``INSTANCE_PATH/padron/cifrados``, and its blob key is written on the batch
(``import_batch.stored_file``). The import decrypts it into memory, never into
a plain file, and the blob is deleted when the import ends, whether it
finished or failed. :func:`sweep` (run by the recovery, portal/rolls/tasks.py)
deletes what a killed process left: blobs no unfinished batch names, the
storage's temporary files, and plain files of older versions of the portal.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from pathlib import Path

from flask import current_app

from portal.applications.documents import keyring_from_config
from portal.applications.storage import BlobNotFound, EncryptedFileStorage, StorageError

ENCRYPTED_FOLDER = "cifrados"
# Plain files that versions before the encryption left in the uploads folder.
LEGACY_PATTERNS = ("lote-*.csv", "lote-*.xlsx", "tmp*")

__all__ = ["BlobNotFound", "RollFiles", "StorageError", "roll_files"]


class RollFiles:
    """The encrypted store of uploaded rolls below ``folder`` (the uploads folder)."""

    def __init__(self, folder: Path, storage: EncryptedFileStorage) -> None:
        self.folder = Path(folder)
        self.storage = storage

    def put(self, data: bytes) -> str:
        return self.storage.put(data)

    def get(self, key: str) -> bytes:
        """The decrypted file; BlobNotFound when it is gone, StorageError when altered."""
        return self.storage.get(key)

    def exists(self, key: str) -> bool:
        try:
            return bool(key) and self.storage.exists(key)
        except StorageError:
            return False

    def delete(self, key: str) -> None:
        if key:
            try:
                self.storage.delete(key)
            except StorageError:
                pass  # not a key this storage issued: there is nothing of it to delete

    def sweep(self, keep: Iterable[str], older_than: dt.timedelta) -> int:
        """Delete every blob not in ``keep``, every temporary file of the storage
        and every legacy plain file, once older than ``older_than`` (a blob
        just written whose batch is being registered is left alone). Returns
        how many files went."""
        kept = set(keep)
        limit = time.time() - older_than.total_seconds()
        removed = 0
        root = self.storage.root
        for key in list(self.storage.blob_keys()):
            if key not in kept and _older(root / key, limit):
                self.storage.delete(key)
                removed += 1
        # Temporary files of an interrupted write (storage.py names them .tmp-*).
        for path in root.glob("*/*/.tmp-*"):
            if _older(path, limit):
                path.unlink(missing_ok=True)
                removed += 1
        for pattern in LEGACY_PATTERNS:
            for path in self.folder.glob(pattern):
                if path.is_file() and _older(path, limit):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed


def _older(path: Path, limit: float) -> bool:
    try:
        return path.stat().st_mtime < limit
    except FileNotFoundError:
        return False


def roll_files(folder: Path) -> RollFiles:
    """The app's store of uploaded rolls (its key ring is the documents' one)."""
    storage = current_app.extensions.get("roll_storage")
    if storage is None or storage.root != folder / ENCRYPTED_FOLDER:
        storage = EncryptedFileStorage(
            folder / ENCRYPTED_FOLDER, keyring_from_config(current_app.config)
        )
        current_app.extensions["roll_storage"] = storage
    return RollFiles(folder, storage)
