"""``flask --app wsgi estadisticas refresh``: rebuild the statistics summaries."""

from __future__ import annotations

import time

import click

from portal.transparency import public as transparency


@click.group("estadisticas")
def cli() -> None:
    """Estadísticas públicas de beneficiarios."""


@cli.command("refresh")
def refresh() -> None:
    """Rebuild the beneficiary summaries from every active enrollment.

    Pages rebuild them by themselves when enrollments change; run this after
    changes to citizen records alone (people who moved to another municipality).
    """
    start = time.perf_counter()
    cells = transparency.refresh_summary()
    click.echo(f"Resúmenes reconstruidos: {cells:,} celdas en {time.perf_counter() - start:.1f} s.")
