"""``flask --app wsgi staff create|deactivate`` and ``audit verify``: the back office from the shell.

The staff commands call the same functions as the web (portal/backoffice/staff.py), which
write the same audit entries, with the system as the actor. ``audit verify``
checks the hash chain of the audit trail."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from portal.backoffice import audit, staff
from portal.models import STAFF_ROLES, AuditEvent
from portal.web.extensions import db

cli = AppGroup("staff", help="Cuentas del personal de las dependencias.")
audit_cli = AppGroup("audit", help="Bitácora de auditoría.")


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


@audit_cli.command("verify")
def verify() -> None:
    """Exit 1 and name the first altered or missing entry; 0 when the chain is whole."""
    with db.connection_context():
        problem = audit.verify()
        total = AuditEvent.select().count()
    if problem is None:
        click.echo(f"bitácora íntegra: {total} registros verificados")
        return
    click.echo(f"bitácora alterada en el registro {problem.entry_id}: {problem.problem}", err=True)
    sys.exit(1)
