"""``flask --app wsgi planeacion recalcular``: the planning figures from scratch.

The figures are kept by the writes (portal/planning/tally.py); this counts
them again from the enrollments, deliveries and decisions, for the programs
named or every program. Run it once after the upgrade that brought planning
(enrollments and deliveries made before it are not in the kept sums), and
whenever the figures are in doubt. It reads every enrollment of a program.
"""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from portal.backoffice import audit
from portal.models import Program
from portal.planning import tally
from portal.vocabulary import AuditAction

cli = AppGroup("planeacion", help="Presupuesto, metas y avance de los programas.")


@cli.command("recalcular")
@click.argument("slugs", nargs=-1)
def recount(slugs: tuple[str, ...]) -> None:
    """Recount the figures of the programs SLUGS (every program without any)."""
    query = Program.select().order_by(Program.id)
    if slugs:
        query = query.where(Program.slug.in_(slugs))
    programs = list(query)
    missing = set(slugs) - {p.slug for p in programs}
    if missing:
        raise click.ClickException(f"No existe el programa: {', '.join(sorted(missing))}.")
    for program in programs:
        start = time.perf_counter()
        counted = tally.recount(program)
        audit.record(
            AuditAction.PLAN_RECOUNT,
            object_type="programa",
            object_id=program.slug,
            details=counted,
        )
        click.echo(
            f"{program.slug}: {counted['celdas']} celdas, {counted['decisiones']} grupos de "
            f"decisiones en {time.perf_counter() - start:.1f} s."
        )
