"""``flask --app wsgi offices load [FILE]`` and ``flask --app wsgi appointments
remind|sweep``: the offices' file, and the queue's daily work by hand."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.appointments import bookings, offices

offices_cli = AppGroup("offices", help="Oficinas de atención del estado.")
appointments_cli = AppGroup("appointments", help="Citas: recordatorios e inasistencias.")


@offices_cli.command("load")
@click.argument(
    "path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def load_offices(path: Path | None) -> None:
    """Create or update the offices of the file (by default the one shipped)."""
    try:
        counts = offices.load(path or offices.OFFICES_FILE)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))


@appointments_cli.command("remind")
def remind() -> None:
    """Send the reminders of tomorrow's appointments (once each)."""
    click.echo(f"recordatorios: {bookings.send_reminders()}")


@appointments_cli.command("sweep")
def sweep() -> None:
    """Mark as no-shows the bookings whose slot ended, freeing their places."""
    click.echo(f"inasistencias: {bookings.sweep_no_shows()}")
