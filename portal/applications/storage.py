"""Document storage: an interface, and encrypted files on disk as the default.

Views and commands talk to :class:`Storage` only, so an S3-compatible store
can be added later without touching them. :class:`EncryptedFileStorage` keeps
each blob in its own file under a random name, ``ab/cd/abcd<28 more hex>``,
below a root folder that must sit outside anything the web server serves.

Each file is AES-256-GCM encrypted (the ``cryptography`` package)::

    offset  size  field
    0       3     magic b"VUB"
    3       1     format version, 1
    4       1     length n of the key id
    5       n     key id, ASCII
    5+n     12    random nonce
    17+n    ...   ciphertext followed by the 16-byte GCM tag

The associated data is the header (bytes 0 to 5+n) followed by the blob key in
ASCII. Binding the key id means a header cannot be edited to point at another
key; binding the blob key means a file copied over another one (one citizen's
document swapped for another's) fails to decrypt instead of being served.

Keys come from configuration, never from the database or the repository, as a
comma-separated list ``id1:BASE64,id0:BASE64`` of 32-byte keys; the first is
the current key (used to encrypt), the others only decrypt. To rotate: put a
new key first, restart, run :func:`rotate`, then drop the old key.

What a crash can leave, and :func:`sweep` removes once it is older than a
grace period: a temporary file in ``root/.tmp/`` (killed while writing a
blob; every write goes there first and is then renamed into place), and a
blob no document row names (killed after the blob was written but before the
row's transaction committed). Nothing else is ever left half-written.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"VUB"
FORMAT_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12

_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_BLOB_KEY = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{28})")
_HEX_PAIR = re.compile(r"[0-9a-f]{2}")
_TEMP_PREFIX = ".tmp-"
# Where every write starts, on the same file system as the blobs so that the
# final rename is atomic; a crash leaves its temporary file here and nowhere else.
TEMP_FOLDER = ".tmp"
# How many blob keys are looked up in the database at once by the sweep.
SWEEP_BATCH = 500
# Magic, version, id length, the longest id, nonce and tag: enough to parse a
# header and to tell a truncated file.
_MAX_HEADER = 5 + 255 + NONCE_BYTES + 16


class StorageError(Exception):
    """Base class for storage failures."""


class InvalidBlobKey(StorageError, ValueError):
    """The key is not one this storage could have issued (e.g. ``../x``)."""


class BlobNotFound(StorageError):
    pass


class BlobIntegrityError(StorageError):
    """The blob failed authentication: altered, truncated, moved, or
    encrypted with a different key under the same key id."""


class UnknownKeyError(StorageError):
    """The blob was encrypted with a key that is not in the key ring."""


class KeyRingError(ValueError):
    """The key configuration cannot be used; the message says why and never
    contains key material."""


class Storage(Protocol):
    def put(self, data: bytes) -> str:
        """Store ``data``; return the new key that retrieves it."""
        ...

    def get(self, key: str) -> bytes:
        """The stored bytes; :class:`BlobNotFound` if there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing blob is not an error."""
        ...

    def exists(self, key: str) -> bool: ...


@dataclass(frozen=True, repr=False)
class KeyRing:
    """The current encryption key and older keys still needed to decrypt."""

    current_id: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if self.current_id not in self.keys:
            raise KeyRingError(f"the current key {self.current_id!r} is not in the key ring")
        for key_id, key in self.keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise KeyRingError(f"key id {key_id!r} must be 1 to 32 letters, digits, '-' or '_'")
            if len(key) != KEY_BYTES:
                raise KeyRingError(
                    f"key {key_id!r} is {len(key)} bytes; AES-256-GCM needs {KEY_BYTES}"
                )

    def __repr__(self) -> str:
        # Keys must never end up in logs or tracebacks.
        return f"KeyRing(current_id={self.current_id!r}, key_ids={sorted(self.keys)!r})"

    @classmethod
    def from_config(cls, config: str) -> KeyRing:
        """Parse ``id1:BASE64,id0:BASE64`` (standard or URL-safe base64; spaces
        and newlines around entries are ignored). The first key is current."""
        keys: dict[str, bytes] = {}
        entries = [entry.strip() for entry in config.split(",") if entry.strip()]
        if not entries:
            raise KeyRingError("no storage keys configured; expected 'id:BASE64,...'")
        for position, entry in enumerate(entries, start=1):
            key_id, separator, encoded = entry.partition(":")
            key_id = key_id.strip()
            if not separator or not key_id:
                raise KeyRingError(f"storage key entry {position} is not of the form 'id:BASE64'")
            if key_id in keys:
                raise KeyRingError(f"storage key id {key_id!r} appears twice")
            standard = encoded.strip().replace("-", "+").replace("_", "/")
            try:
                keys[key_id] = base64.b64decode(standard, validate=True)
            except binascii.Error:
                raise KeyRingError(f"storage key {key_id!r} is not valid base64") from None
        current_id = entries[0].partition(":")[0].strip()
        return cls(current_id=current_id, keys=keys)

    @staticmethod
    def new_entry(key_id: str) -> str:
        """A fresh random key as a configuration entry, ``id:BASE64``."""
        if not _KEY_ID.fullmatch(key_id):
            raise KeyRingError(f"key id {key_id!r} must be 1 to 32 letters, digits, '-' or '_'")
        return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"

    @property
    def current_key(self) -> bytes:
        return self.keys[self.current_id]


@dataclass(frozen=True)
class _Header:
    key_id: str
    size: int  # bytes before the nonce


def _parse_header(raw: bytes) -> _Header:
    if len(raw) < 5 or raw[:3] != MAGIC:
        raise BlobIntegrityError("not a blob written by this storage")
    if raw[3] != FORMAT_VERSION:
        raise BlobIntegrityError(f"unknown blob format version {raw[3]}")
    size = 5 + raw[4]
    try:
        key_id = raw[5:size].decode("ascii")
    except UnicodeDecodeError:
        raise BlobIntegrityError("the blob header is damaged") from None
    if len(raw) < size + NONCE_BYTES + 16 or not _KEY_ID.fullmatch(key_id):
        raise BlobIntegrityError("the blob header is damaged or truncated")
    return _Header(key_id=key_id, size=size)


def _encrypt(blob_key: str, data: bytes, keyring: KeyRing) -> bytes:
    key_id = keyring.current_id.encode("ascii")
    header = MAGIC + bytes([FORMAT_VERSION, len(key_id)]) + key_id
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(keyring.current_key).encrypt(nonce, data, header + blob_key.encode("ascii"))
    return header + nonce + sealed


def _decrypt(blob_key: str, raw: bytes, *keyrings: KeyRing) -> bytes:
    header = _parse_header(raw)
    for keyring in keyrings:
        key = keyring.keys.get(header.key_id)
        if key is not None:
            break
    else:
        raise UnknownKeyError(
            f"blob {blob_key} was encrypted with key {header.key_id!r}, "
            "which is not in the key ring"
        )
    nonce = raw[header.size : header.size + NONCE_BYTES]
    associated = raw[: header.size] + blob_key.encode("ascii")
    try:
        return AESGCM(key).decrypt(nonce, raw[header.size + NONCE_BYTES :], associated)
    except InvalidTag:
        raise BlobIntegrityError(
            f"blob {blob_key} failed authentication: altered, truncated, moved or wrong key"
        ) from None


def _write_atomically(path: Path, content: bytes, temporary_folder: Path) -> None:
    """Readers see the old file or the new one, never half of either, even
    if the process dies midway (a stray file may remain in ``temporary_folder``,
    for :func:`sweep`)."""
    # Level by level: mkdir(parents=True) would give the parents default modes.
    path.parent.parent.mkdir(exist_ok=True, mode=0o700)
    path.parent.mkdir(exist_ok=True, mode=0o700)
    temporary_folder.mkdir(exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=temporary_folder, prefix=_TEMP_PREFIX)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform.
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class EncryptedFileStorage:
    """Blobs as AES-GCM encrypted files under ``root`` (see module docs)."""

    def __init__(self, root: Path, keys: KeyRing) -> None:
        self.root = Path(root)
        self.keyring = keys
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def __repr__(self) -> str:
        return f"EncryptedFileStorage(root={str(self.root)!r}, keyring={self.keyring!r})"

    def put(self, data: bytes) -> str:
        name = secrets.token_hex(16)
        blob_key = f"{name[:2]}/{name[2:4]}/{name}"
        _write_atomically(
            self._path(blob_key), _encrypt(blob_key, data, self.keyring), self.temporary_folder
        )
        return blob_key

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        return _decrypt(key, raw, self.keyring)

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def blob_keys(self) -> Iterator[str]:
        """Every stored blob key, in sorted order; temporary files left by an
        interrupted write are not blobs and are skipped."""
        for first in sorted(self.root.iterdir()):
            if not (first.is_dir() and _HEX_PAIR.fullmatch(first.name)):
                continue
            for second in sorted(first.iterdir()):
                if not (second.is_dir() and _HEX_PAIR.fullmatch(second.name)):
                    continue
                for blob in sorted(second.iterdir()):
                    key = f"{first.name}/{second.name}/{blob.name}"
                    if _BLOB_KEY.fullmatch(key):
                        yield key

    def reencrypt(self, key: str, keyring: KeyRing) -> bool:
        """Re-encrypt one blob under ``keyring``'s current key, decrypting with
        ``keyring`` or this storage's own key ring. Returns False, after reading
        only the header, when the blob already uses that key or is gone."""
        path = self._path(key)
        try:
            with path.open("rb") as handle:
                if _parse_header(handle.read(_MAX_HEADER)).key_id == keyring.current_id:
                    return False
            raw = path.read_bytes()
        except FileNotFoundError:
            return False
        data = _decrypt(key, raw, keyring, self.keyring)
        _write_atomically(path, _encrypt(key, data, keyring), self.temporary_folder)
        return True

    @property
    def temporary_folder(self) -> Path:
        return self.root / TEMP_FOLDER

    def temporary_files(self) -> Iterator[Path]:
        """Files an interrupted write left behind: everything in the temporary
        folder, and (from before it existed) ``.tmp-`` files beside the blobs."""
        if self.temporary_folder.is_dir():
            yield from sorted(p for p in self.temporary_folder.iterdir() if p.is_file())
        for path in sorted(self.root.glob(f"*/*/{_TEMP_PREFIX}*")):
            if path.is_file() and _HEX_PAIR.fullmatch(path.parent.name):
                yield path

    def modified_at(self, key: str) -> float | None:
        """When the blob was last written (seconds since the epoch), or None."""
        try:
            return self._path(key).stat().st_mtime
        except FileNotFoundError:
            return None

    def _path(self, key: str) -> Path:
        # The pattern only admits what put() creates, so nothing can escape root.
        if not isinstance(key, str) or not _BLOB_KEY.fullmatch(key):
            raise InvalidBlobKey(f"not a storage key: {key!r}")
        return self.root / key


def rotate(storage: EncryptedFileStorage, new_keyring: KeyRing) -> int:
    """Re-encrypt every blob not yet under ``new_keyring``'s current key;
    return how many were re-encrypted.

    Each file is replaced atomically and blobs already under the current key
    are skipped, so an interrupted rotation is finished by running it again. A
    blob deleted while the rotation is re-encrypting it may reappear: run it
    when deletions are not expected, or delete again afterwards.
    """
    return sum(storage.reencrypt(key, new_keyring) for key in storage.blob_keys())


@dataclass(frozen=True)
class SweepResult:
    temporary_files: int
    orphan_blobs: int


def sweep(
    storage: EncryptedFileStorage,
    referenced: Callable[[Sequence[str]], set[str]],
    *,
    grace_seconds: float,
    now: float | None = None,
) -> SweepResult:
    """Delete what a crash left behind, once older than ``grace_seconds``:
    temporary files, and blobs that ``referenced`` does not name.

    ``referenced(keys)`` returns the keys among ``keys`` that something (a
    document row) still points to; it is asked in batches. The grace period
    must be much longer than the time between writing a blob and committing
    its row (milliseconds), so a blob being uploaded right now is never taken
    for an orphan.
    """
    cutoff = (time.time() if now is None else now) - grace_seconds
    temporary = 0
    for path in storage.temporary_files():
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                temporary += 1
    orphans = 0
    batch: list[str] = []

    def settle() -> int:
        keep = referenced(batch)
        doomed = [key for key in batch if key not in keep]
        for key in doomed:
            storage.delete(key)
        batch.clear()
        return len(doomed)

    for key in storage.blob_keys():
        written = storage.modified_at(key)
        if written is None or written >= cutoff:
            continue
        batch.append(key)
        if len(batch) >= SWEEP_BATCH:
            orphans += settle()
    if batch:
        orphans += settle()
    return SweepResult(temporary_files=temporary, orphan_blobs=orphans)
