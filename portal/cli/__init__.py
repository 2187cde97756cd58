"""Command-line commands: ``flask --app wsgi <group> <command>``."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from . import database, demo

    app.cli.add_command(database.cli)
    app.cli.add_command(demo.demo_data)

    from . import catalog

    app.cli.add_command(catalog.catalog_cli)
    app.cli.add_command(catalog.eligibility_cli)
    from . import staff

    app.cli.add_command(staff.cli)
    from . import padron

    app.cli.add_command(padron.cli)
    from . import transparency

    app.cli.add_command(transparency.cli)
