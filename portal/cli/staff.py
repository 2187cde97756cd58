"""``flask --app wsgi staff create|deactivate``: staff accounts from the shell.

The commands call the same functions as the web (portal/staff.py), which
write the same audit entries, with the system as the actor."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .. import audit, staff
from ..models import STAFF_ROLES

cli = AppGroup("staff", help="Cuentas del personal de las dependencias.")


@cli.command("create")
@click.option("--email", required=True, help="Correo institucional (es el usuario).")
@click.option("--name", required=True, help="Nombre completo.")
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
@click.option("--agency", "agency_slug", default=None, help="Slug de la dependencia.")
@click.option("--password-stdin", is_flag=True, help="Leer la contraseña de la entrada estándar.")
def create(email, name, role, agency_slug, password_stdin) -> None:
    """Create a staff account; the password is prompted unless --password-stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Contraseña", hide_input=True, confirmation_prompt=True)
    try:
        agency_id = staff.agency_id_for(agency_slug) if agency_slug else None
        user = staff.create(email, name, role, password, agency_id, audit.SYSTEM)
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"cuenta creada: {user.id} ({role})")


@cli.command("deactivate")
@click.option("--email", required=True)
def deactivate(email) -> None:
    """Deactivate a staff account, end all its sessions now and release its cases."""
    try:
        user, ended, released = staff.deactivate(email, audit.SYSTEM)
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"cuenta desactivada: {user.id}; sesiones terminadas: {ended}; "
        f"solicitudes liberadas: {' '.join(released) or 'ninguna'}"
    )
