"""``flask --app wsgi db upgrade|status``: numbered migrations in migrations/;
``flask --app wsgi sessions purge``: expired web sessions."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from playhouse.migrations import Runner

from portal.web import database, sessions
from portal.web.extensions import db

cli = AppGroup("db", help="Base de datos: migraciones.")
sessions_cli = AppGroup("sessions", help="Sesiones web.")


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


@sessions_cli.command("purge")
def purge() -> None:
    """Delete every session past its idle or absolute limit."""
    with db.connection_context():
        removed = sessions.purge_expired()
    click.echo(f"sesiones caducadas borradas: {removed}")
