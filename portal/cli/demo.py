"""``flask --app wsgi demo-data``: everything a demo or a benchmark needs."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from .. import catalog
from ..catalog_store import load_catalog
from ..db import write
from ..models import Municipality

DATA = Path(__file__).resolve().parent.parent / "data"


def load_municipalities(path: Path = DATA / "municipios.yaml") -> int:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    state = data["state"]["code"]
    rows = [
        {"code": m["code"], "name": m["name"], "state_code": state} for m in data["municipalities"]
    ]
    with write():
        Municipality.insert_many(rows).on_conflict(
            conflict_target=[Municipality.code], preserve=[Municipality.name]
        ).execute()
    return len(rows)


@click.command("demo-data")
def demo_data() -> None:
    """Load the demo catalog, staff accounts and citizen personas."""
    count = load_municipalities()
    click.echo(f"municipios: {count}")
    summary = load_catalog(catalog.load_catalog(DATA / "catalogo-demo.yaml"))
    click.echo(
        f"programas: {len(summary.programs_created)} nuevos, "
        f"{len(summary.programs_updated)} actualizados, "
        f"{len(summary.programs_unchanged)} sin cambios"
    )
