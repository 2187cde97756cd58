"""Command-line commands: ``flask --app wsgi <group> <command>``."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from . import audit, catalog, credential, database, demo, padron, staff, storage, transparency

    for command in (
        database.cli,
        demo.demo_data,
        catalog.catalog_cli,
        catalog.eligibility_cli,
        staff.cli,
        storage.cli,
        audit.cli,
        padron.cli,
        credential.cli,
        transparency.cli,
    ):
        app.cli.add_command(command)
