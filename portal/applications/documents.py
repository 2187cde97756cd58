"""Documents in the web app: the configured storage and the one way to serve a file.

The encryption keys come from ``STORAGE_KEYS``. In development and tests, when
it is empty, a key is generated once and kept in the instance folder (never in
the repository or the database); production refuses to start without it.
Staff previews (the back office) and citizens' downloads both go through
:func:`serve_document`, which checks nothing itself: callers load the document
through a query scoped to who is asking.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flask import Response, current_app

from portal.applications import storage as blobs
from portal.applications.storage import EncryptedFileStorage, KeyRing
from portal.config import development_secret
from portal.models import Document
from portal.web.downloads import attachment_headers

DEV_KEY_FILE = "storage-dev-key"


class StorageNotConfigured(RuntimeError):
    pass


def keyring_from_config(config) -> KeyRing:
    configured = config.get("STORAGE_KEYS", "")
    if configured:
        return KeyRing.from_config(configured)
    if config.get("PORTAL_ENV") == "production":
        raise StorageNotConfigured(
            "STORAGE_KEYS falta: en producción la llave de los documentos viene de la "
            "configuración."
        )
    path = Path(config["INSTANCE_PATH"]) / DEV_KEY_FILE
    return KeyRing.from_config(development_secret(path, lambda: KeyRing.new_entry("dev1")))


def get_storage() -> EncryptedFileStorage:
    """The app's document storage, built once per app."""
    storage = current_app.extensions.get("document_storage")
    if storage is None:
        storage = EncryptedFileStorage(
            Path(current_app.config["STORAGE_PATH"]), keyring_from_config(current_app.config)
        )
        current_app.extensions["document_storage"] = storage
    return storage


def referenced_keys(keys: Sequence[str]) -> set[str]:
    """The keys among ``keys`` that a document row still points to."""
    if not keys:
        return set()
    rows = Document.select(Document.storage_key).where(Document.storage_key.in_(list(keys)))
    return {row.storage_key for row in rows}


def sweep_orphans(grace_minutes: int | None = None) -> blobs.SweepResult:
    """Delete the temporary files and row-less blobs a crash left, once older
    than ``STORAGE_SWEEP_GRACE_MINUTES`` (see :func:`storage.sweep`)."""
    if grace_minutes is None:
        grace_minutes = int(current_app.config["STORAGE_SWEEP_GRACE_MINUTES"])
    return blobs.sweep(get_storage(), referenced_keys, grace_seconds=grace_minutes * 60)


def serve_document(document: Document, inline: bool = False) -> Response:
    """The decrypted file, as a download (or inline for a staff preview).

    The sandboxing CSP and nosniff make even a file that slipped past the
    checks inert: no scripts, no plugins, no same-origin access.
    """
    data = get_storage().get(document.storage_key)
    response = Response(data, mimetype=document.content_type)
    # Names like "José 😀.jpg" need RFC 5987 encoding: gunicorn sends headers
    # as latin-1 and answers 500 on anything else.
    response.headers.update(attachment_headers(document.filename, inline=inline))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "no-store"
    return response
