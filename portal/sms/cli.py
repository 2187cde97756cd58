"""``flask sms-receiver``: the SMS receiver, a long-running process (docs/sms.md)."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app

from portal.sms import receiver
from portal.web.database import open_connection


@click.command("sms-receiver")
def sms_receiver() -> None:
    """Enlaza con el SMSC y atiende acuses y mensajes entrantes hasta recibir SIGTERM."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    open_connection()
    click.echo("Receptor SMS en marcha (SIGTERM para detenerlo).")
    receiver.run(current_app.config, stop)
