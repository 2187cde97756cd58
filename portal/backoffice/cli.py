"""``flask --app wsgi staff create|deactivate`` and ``audit verify``: the back office from the shell.

The staff commands call the same functions as the web (portal/backoffice/staff.py), which
write the same audit entries, with the system as the actor. ``audit verify``
checks the hash chain of the audit trail against every signed checkpoint;
``audit checkpoint`` signs the chain head, appends it to the checkpoint file and
prints it for publication (portal/backoffice/checkpoints.py)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from portal.backoffice import audit, checkpoints, staff
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


def _anchor() -> checkpoints.Anchor:
    try:
        return checkpoints.anchor_from_config(current_app.config)
    except checkpoints.CheckpointError as exc:
        raise click.ClickException(str(exc)) from exc


@audit_cli.command("verify")
def verify() -> None:
    """Exit 1 naming the first altered or missing entry; 0 when the chain is whole.

    The chain is checked link by link and against every signed checkpoint, so
    hashes recomputed after an edit and entries cut off the end are found too.
    """
    anchor = _anchor()
    with db.connection_context():
        try:
            anchored = checkpoints.read(anchor)
        except checkpoints.CheckpointError as exc:
            click.echo(f"bitácora no verificable: {exc}", err=True)
            sys.exit(1)
        problem = checkpoints.verify(anchored)
        total = AuditEvent.select().count()
        head = AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id.desc()).first()
    if problem is not None:
        click.echo(
            f"bitácora alterada en el registro {problem.entry_id}: {problem.problem}", err=True
        )
        sys.exit(1)
    if not anchored:
        click.echo(
            f"bitácora íntegra: {total} registros verificados; aviso: no hay puntos de control "
            f"firmados en {anchor.path} (ejecute «audit checkpoint»)"
        )
        return
    latest = anchored[-1]
    unanchored = AuditEvent.select().where(AuditEvent.id > latest.entry_id).count()
    click.echo(
        f"bitácora íntegra: {total} registros verificados contra {len(anchored)} puntos de "
        f"control; el último llega al registro {latest.entry_id} "
        f"({unanchored} registros posteriores aún sin anclar; último registro: "
        f"{head.id if head else 0})"
    )


@audit_cli.command("checkpoint")
def checkpoint() -> None:
    """Sign the chain head, append it to AUDIT_CHECKPOINT_PATH and print it for publication."""
    anchor = _anchor()
    with db.connection_context():
        try:
            signed, line = checkpoints.write_checkpoint(anchor)
        except checkpoints.CheckpointError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"punto de control firmado: registro {signed.entry_id}, {signed.count} registros, "
        f"guardado en {anchor.path}",
        err=True,
    )
    click.echo(f"llave pública: {checkpoints.public_key_base64(anchor.public_key)}", err=True)
    click.echo(line)
