"""``flask --app wsgi db upgrade|status``: numbered migrations in migrations/."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from playhouse.migrations import Runner

from portal.web import database
from portal.web.extensions import db

cli = AppGroup("db", help="Base de datos: migraciones.")


@cli.command("upgrade")
def upgrade() -> None:
    """Apply every pending migration."""
    applied = database.upgrade()
    if applied:
        for name in applied:
            click.echo(f"aplicada: {name}")
    else:
        click.echo("la base de datos ya está al día")


@cli.command("status")
def status() -> None:
    """List migrations and whether each is applied."""
    with db.connection_context():
        for migration in Runner(db.obj, str(database.MIGRATIONS)).status():
            mark = "aplicada" if migration.applied else "pendiente"
            click.echo(f"{migration.name}: {mark}")
