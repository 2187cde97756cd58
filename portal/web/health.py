"""What ``/healthz`` checks: can the portal read and write what it must?

A data folder that went read-only (a full disk remounted, a wrong owner after
a restore) leaves the pages that only read working; ``/healthz`` says what is
broken so that the load balancer and whoever is on call know. Each check
returns None when fine, or a short Spanish reason.

The write probes take a write lock for an instant (SQLite) or create a file,
so their result is kept ``HEALTH_PROBE_SECONDS`` (10 by default) per process:
a load balancer polling every second costs one probe per worker every ten.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from flask import current_app
from peewee import SQL, DatabaseError

from portal.web.extensions import db
from portal.web.models import WebSession
from portal.web.queue import huey

_cache: dict[str, tuple[float, str | None]] = {}


def database_readable() -> str | None:
    try:
        db.execute_sql("SELECT 1")
    except DatabaseError:
        return "sin conexión"
    return None


def database_writable() -> str | None:
    """A write that changes nothing, rolled back: it still needs the write lock,
    which a read-only file, ``mode=ro`` or ``PRAGMA query_only`` refuse."""
    try:
        with db.atomic() as transaction:
            WebSession.update(last_seen=WebSession.last_seen).where(SQL("1 = 0")).execute()
            transaction.rollback()
    except DatabaseError:
        return "no se puede escribir"
    return None


def folder_writable(folder: str) -> str | None:
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".salud-"):
            pass
    except OSError:
        return "no se puede escribir"
    return None


def queue_reachable() -> str | None:
    if huey.immediate:
        return None
    try:
        huey.storage.queue_size()
    except Exception:  # noqa: BLE001 - any storage error (sqlite3, redis) means the same
        return "sin conexión"
    filename = getattr(huey.storage, "filename", None)
    if filename:
        return folder_writable(str(Path(filename).parent))
    return None


def _probe(name: str, check) -> str | None:
    keep = current_app.config.get("HEALTH_PROBE_SECONDS", 10)
    now = time.monotonic()
    cached = _cache.get(name)
    if cached is not None and now - cached[0] < keep:
        return cached[1]
    result = check()
    _cache[name] = (now, result)
    return result


def report() -> tuple[bool, dict[str, str]]:
    """(healthy, {part: "ok" or what failed}) for database, storage and queue."""
    readable = database_readable()
    config = current_app.config
    parts = {
        "database": readable or _probe("database", database_writable) or "ok",
        "storage": _probe("storage", lambda: folder_writable(config["STORAGE_PATH"])) or "ok",
        "queue": _probe("queue", queue_reachable) or "ok",
    }
    return all(value == "ok" for value in parts.values()), parts
