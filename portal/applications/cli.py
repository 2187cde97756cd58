"""``flask --app wsgi storage new-key|rotate-key|sweep``: document encryption
keys, and the sweep of what crashed uploads left behind.

Rotation in production: put a new key first in STORAGE_KEYS (``storage
new-key`` prints one), keep the old one after it, restart, run ``storage
rotate-key``, then drop the old key. An interrupted rotation is finished by
running it again.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.applications.documents import (
    DEV_KEY_FILE,
    get_storage,
    keyring_from_config,
    sweep_orphans,
)
from portal.applications.storage import KeyRing, rotate

cli = AppGroup("storage", help="Documentos: llaves de cifrado y limpieza de restos.")


@cli.command("new-key")
@click.argument("key_id")
def new_key(key_id: str) -> None:
    """Print a fresh key entry (id:BASE64) to put first in STORAGE_KEYS."""
    click.echo(KeyRing.new_entry(key_id))


@cli.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt every document under the current key.

    Without STORAGE_KEYS (development), a new key is first added in front of
    the key file in the instance folder.
    """
    config = current_app.config
    if not config["STORAGE_KEYS"]:
        keyring_from_config(config)  # makes sure the file exists
        path = Path(config["INSTANCE_PATH"]) / DEV_KEY_FILE
        entries = path.read_text().strip()
        new_id = f"dev{len(entries.split(',')) + 1}"
        path.write_text(f"{KeyRing.new_entry(new_id)},{entries}")
        current_app.extensions.pop("document_storage", None)
    storage = get_storage()
    count = rotate(storage, keyring_from_config(config))
    click.echo(f"documentos cifrados de nuevo con la llave {storage.keyring.current_id}: {count}")


@cli.command("sweep")
@click.option(
    "--grace-minutes",
    type=click.IntRange(min=1),
    default=None,
    help="Antigüedad mínima de lo que se borra (por omisión STORAGE_SWEEP_GRACE_MINUTES).",
)
def sweep(grace_minutes: int | None) -> None:
    """Delete temporary files and documents with no row left by crashed uploads."""
    result = sweep_orphans(grace_minutes)
    click.echo(
        f"archivos temporales borrados: {result.temporary_files}; "
        f"documentos sin registro borrados: {result.orphan_blobs}"
    )
