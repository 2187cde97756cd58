"""Signed checkpoints that anchor the audit trail outside the database.

The hash chain (audit.py) shows an edit only while nobody recomputes the
hashes after it, and cannot show that entries were cut off the end. A
checkpoint is the chain head (entry id, its hash, its time) signed with the
portal's Ed25519 key (``AUDIT_SIGNING_KEY``) and appended as one JSON line to
a file outside the database (``AUDIT_CHECKPOINT_PATH``), and printed so that
it can be published. Whoever can rewrite the database cannot sign a new
checkpoint without the key, and cannot unpublish the old ones.

``verify()`` walks the chain and checks every checkpoint on the way: an entry
whose hash no longer matches its checkpoint means the chain was rewritten
(between the previous matching checkpoint and that one); a checkpointed entry
that is gone means entries were deleted or cut off the end. A line whose
signature fails is refused as forged. Entries written after the latest
checkpoint are only as safe as the chain itself until the next checkpoint
(the queue writes one every 15 minutes; see portal/backoffice/tasks.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from portal.backoffice.audit import GENESIS, Break, _digest, _fields
from portal.config import development_secret
from portal.models import AuditEvent, utcnow
from portal.web.database import write
from portal.web.formatting import plain_datetime

KEY_FILE = "audit-signing.key"
CHECKPOINT_FILE = "audit-checkpoints.jsonl"
# What a signature covers starts with this, so an audit signature can never be
# passed off as any other signature the portal makes.
_CONTEXT = b"ventanilla-audit-checkpoint-v1\n"


class CheckpointError(Exception):
    """A checkpoint cannot be written or read; the message is plain Spanish."""


@dataclass(frozen=True)
class Checkpoint:
    """The chain head at ``signed_at``: entry ``entry_id`` with ``hash``, ``count`` entries."""

    entry_id: int
    hash: str
    entry_time: str
    count: int
    signed_at: str

    def payload(self) -> bytes:
        return _CONTEXT + json.dumps(asdict(self), sort_keys=True).encode()


@dataclass(frozen=True)
class Anchor:
    """Where the checkpoints live and the key that signs them."""

    path: Path
    key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.key.public_key()


# Keys and configuration -------------------------------------------------------


def load_key(text: str) -> Ed25519PrivateKey:
    """From an unencrypted PKCS#8 PEM or base64 of the raw 32-byte key."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError):
            raise CheckpointError(
                "AUDIT_SIGNING_KEY: el PEM no es una llave privada sin cifrar."
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise CheckpointError("AUDIT_SIGNING_KEY: la llave no es Ed25519.")
        return key
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise CheckpointError("AUDIT_SIGNING_KEY: no es PEM ni base64.") from None
    if len(raw) != 32:
        raise CheckpointError(
            f"AUDIT_SIGNING_KEY: una llave Ed25519 tiene 32 bytes, no {len(raw)}."
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def key_base64(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


def public_key_base64(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def anchor_from_config(config: dict) -> Anchor:
    """The configured anchor; in development a key is generated in the instance folder.

    Production refuses to make one up: checkpoints signed by a key that lives
    only on one server could not be checked by the others.
    """
    instance = Path(config["INSTANCE_PATH"])
    path = Path(config.get("AUDIT_CHECKPOINT_PATH") or instance / CHECKPOINT_FILE)
    configured = config.get("AUDIT_SIGNING_KEY", "")
    if configured.strip():
        return Anchor(path, load_key(configured))
    if config.get("PORTAL_ENV") == "production":
        raise CheckpointError(
            "AUDIT_SIGNING_KEY falta: en producción los puntos de control de la bitácora "
            "se firman con una llave configurada."
        )
    secret = development_secret(
        instance / KEY_FILE, lambda: key_base64(Ed25519PrivateKey.generate()) + "\n"
    )
    return Anchor(path, load_key(secret))


# Reading and writing checkpoints ------------------------------------------------


def read(anchor: Anchor) -> list[Checkpoint]:
    """Every checkpoint in the file, each signature checked; a forged line is refused."""
    if not anchor.path.exists():
        return []
    checkpoints: list[Checkpoint] = []
    for number, line in enumerate(anchor.path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            signature = base64.b64decode(data.pop("signature"), validate=True)
            checkpoint = Checkpoint(
                entry_id=int(data["entry_id"]),
                hash=str(data["hash"]),
                entry_time=str(data["entry_time"]),
                count=int(data["count"]),
                signed_at=str(data["signed_at"]),
            )
            if set(data) != set(asdict(checkpoint)):
                raise ValueError("unexpected fields")
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise CheckpointError(
                f"El punto de control de la línea {number} de {anchor.path} no se puede leer: "
                "fue alterado."
            ) from None
        try:
            anchor.public_key.verify(signature, checkpoint.payload())
        except InvalidSignature:
            raise CheckpointError(
                f"La firma del punto de control de la línea {number} de {anchor.path} no es "
                "válida: no lo firmó la llave de la bitácora (falsificado o alterado)."
            ) from None
        if checkpoints and checkpoint.entry_id < checkpoints[-1].entry_id:
            raise CheckpointError(
                f"El punto de control de la línea {number} retrocede al registro "
                f"{checkpoint.entry_id}: los puntos de control solo avanzan."
            )
        checkpoints.append(checkpoint)
    return checkpoints


def line_for(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> str:
    signature = base64.b64encode(key.sign(checkpoint.payload())).decode()
    return json.dumps({**asdict(checkpoint), "signature": signature}, sort_keys=True)


def write_checkpoint(anchor: Anchor) -> tuple[Checkpoint, str]:
    """Sign the current chain head and append it; the line written, for publication.

    The chain is checked first (from the latest checkpoint on), so a rewritten
    chain is never signed.
    """
    checkpoints = read(anchor)
    # The head first: the check below then covers it (and whatever came after).
    with write():
        head = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
        count = AuditEvent.select().count()
    problem = verify(checkpoints, since_latest=True)
    if problem is not None:
        raise CheckpointError(
            f"No se firma un punto de control sobre una bitácora alterada: registro "
            f"{problem.entry_id}: {problem.problem}"
        )
    checkpoint = Checkpoint(
        entry_id=head.id if head else 0,
        hash=head.hash if head else GENESIS,
        entry_time=head.created_at.isoformat(timespec="microseconds") if head else "",
        count=count,
        signed_at=utcnow().isoformat(timespec="seconds") + "Z",
    )
    line = line_for(checkpoint, anchor.key)
    anchor.path.parent.mkdir(parents=True, exist_ok=True)
    # Append-only, owner-only; fsync so a checkpoint printed is a checkpoint kept.
    handle = os.open(anchor.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(handle, (line + "\n").encode())
        os.fsync(handle)
    finally:
        os.close(handle)
    return checkpoint, line


# Verifying the chain against its checkpoints -------------------------------------


def _when(checkpoint: Checkpoint) -> str:
    return plain_datetime(datetime.fromisoformat(checkpoint.signed_at.rstrip("Z")))


def verify(
    checkpoints: list[Checkpoint], *, since_latest: bool = False, batch: int = 5000
) -> Break | None:
    """The first problem in the chain or against a checkpoint, or None.

    ``since_latest`` starts from the latest checkpoint's entry (checked against
    it) instead of the first entry: what a new checkpoint needs, in time
    proportional to the entries written since the last one.
    """
    pending = sorted(checkpoints, key=lambda c: c.entry_id)
    pending = [c for c in pending if c.entry_id > 0]
    prev, last_id = GENESIS, 0
    matched: Checkpoint | None = None
    if since_latest and pending:
        latest = pending[-1]
        row = AuditEvent.get_or_none(AuditEvent.id == latest.entry_id)
        if row is None or row.hash != latest.hash:
            return _against(latest, None, row, _last_id())
        prev, last_id, matched, pending = row.hash, row.id, latest, []
    while True:
        rows = list(
            AuditEvent.select().where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        )
        if not rows:
            break
        for row in rows:
            while pending and pending[0].entry_id < row.id:
                # The checkpointed entry is gone, though entries after it remain.
                return _against(pending[0], matched, None, last_id)
            if row.prev_hash != prev:
                return Break(row.id, "la cadena no continúa: falta o cambió un registro anterior")
            if _digest(prev, _fields(row)) != row.hash:
                return Break(row.id, "el contenido del registro fue alterado")
            if pending and pending[0].entry_id == row.id:
                if pending[0].hash != row.hash:
                    return _against(pending[0], matched, row, last_id)
                matched = pending.pop(0)
            prev, last_id = row.hash, row.id
    if pending:
        return _against(pending[0], matched, None, last_id)
    return None


def _last_id() -> int:
    head = AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id.desc()).first()
    return head.id if head else 0


def _against(
    checkpoint: Checkpoint, matched: Checkpoint | None, row: AuditEvent | None, last_id: int
) -> Break:
    """Name what a checkpoint shows: a rewrite (a range) or missing entries."""
    since = matched.entry_id + 1 if matched else 1
    if row is not None:
        return Break(
            checkpoint.entry_id,
            f"la bitácora fue reescrita: el registro {checkpoint.entry_id} no coincide con el "
            f"punto de control firmado el {_when(checkpoint)}; el primer registro alterado "
            f"está entre el {since} y el {checkpoint.entry_id} (hashes recalculados)",
        )
    if not AuditEvent.select().where(AuditEvent.id > checkpoint.entry_id).exists():
        return Break(
            last_id + 1,
            f"faltan registros: el punto de control firmado el {_when(checkpoint)} llega hasta "
            f"el registro {checkpoint.entry_id} ({checkpoint.count} registros) y la bitácora "
            f"termina en el {last_id}; faltan los registros del {last_id + 1} al "
            f"{checkpoint.entry_id}",
        )
    return Break(
        checkpoint.entry_id,
        f"falta el registro {checkpoint.entry_id}, anclado en el punto de control firmado el "
        f"{_when(checkpoint)}",
    )
