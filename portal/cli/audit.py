"""``flask --app wsgi audit verify``: check the hash chain of the audit trail."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .. import audit
from ..extensions import db
from ..models import AuditEvent

cli = AppGroup("audit", help="Bitácora de auditoría.")


@cli.command("verify")
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
