"""Command-line commands: ``flask --app wsgi <group> <command>``."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from portal.applications import cli as storage
    from portal.appointments import cli as appointments
    from portal.backoffice import cli as backoffice
    from portal.catalog import cli as catalog
    from portal.delivery import cli as credential
    from portal.demo import cli as demo
    from portal.planning import cli as planning
    from portal.rolls import cli as padron
    from portal.sms import cli as sms
    from portal.territory import cli as territory
    from portal.transparency import cli as transparency
    from portal.web import cli as database

    for command in (
        database.cli,
        database.sessions_cli,
        demo.demo_data,
        catalog.catalog_cli,
        catalog.eligibility_cli,
        backoffice.cli,
        storage.cli,
        backoffice.audit_cli,
        padron.cli,
        credential.cli,
        credential.recertification_cli,
        transparency.cli,
        planning.cli,
        sms.sms_receiver,
        appointments.offices_cli,
        appointments.appointments_cli,
        territory.cli,
    ):
        app.cli.add_command(command)
