"""``flask --app wsgi territorio cargar [--sepomex FILE] [--localidades FILE]``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.catalog import geography as geo
from portal.territory import catalog

cli = AppGroup("territorio", help="Catálogos de localidades (INEGI) y códigos postales (SEPOMEX).")


@cli.command("cargar")
@click.option(
    "--sepomex",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CPdescarga.txt de SEPOMEX (todo el país; se toma solo el estado).",
)
@click.option(
    "--localidades",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Catálogo de localidades de INEGI (AGEEML, CSV).",
)
def load(sepomex: Path | None, localidades: Path | None) -> None:
    """Load the shipped seed, then the official files given; safe to repeat."""
    done = catalog.load_seed()
    click.echo(f"semilla: {done.localities} localidades, {done.settlements} asentamientos")
    state = geo.load_state().code
    if localidades is not None:
        text = localidades.read_text(encoding="utf-8-sig", errors="replace")
        done = catalog.store(catalog.read_inegi_localities(text, state), [])
        click.echo(f"INEGI: {done.localities} localidades")
    if sepomex is not None:
        text = sepomex.read_text(encoding="latin-1")
        done = catalog.store([], catalog.read_sepomex(text, state))
        click.echo(f"SEPOMEX: {done.settlements} asentamientos")
