"""``flask --app wsgi estadisticas refresh``: rebuild the statistics and open data now."""

from __future__ import annotations

import time

import click

from portal.models import BeneficiaryCell
from portal.transparency import builds


@click.group("estadisticas")
def cli() -> None:
    """Estadísticas públicas de beneficiarios."""


@cli.command("refresh")
def refresh() -> None:
    """Rebuild the beneficiary summaries from every active enrollment, and every
    open-data file.

    The queue does this by itself every night, and rebuilds what changed every
    minute; run this after changes no writer marks (records edited by hand),
    or to publish at once.
    """
    start = time.perf_counter()
    report = builds.build(force=True)
    if report is None:
        raise click.ClickException("Otra construcción de los datos abiertos está en curso.")
    cells = BeneficiaryCell.select().count()
    click.echo(f"Resúmenes reconstruidos: {cells:,} celdas en {time.perf_counter() - start:.1f} s.")
    click.echo(
        f"Datos abiertos: {len(report.written)} archivos nuevos, "
        f"{len(report.unchanged)} sin cambios, {len(report.removed)} retirados."
    )
