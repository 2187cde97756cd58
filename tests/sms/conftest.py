"""A real SMSC on loopback (tests/support/smsc.cjs) and the portal bound to it."""

from __future__ import annotations

import threading

import pytest

from portal.sms import receiver
from portal.web.extensions import db
from tests.support.smsc import PASSWORD, SYSTEM_ID, Smsc


@pytest.fixture
def smsc(app):
    with Smsc() as server:
        app.config.update(
            SMS_BACKEND="smpp",
            SMPP_HOST="127.0.0.1",
            SMPP_PORT=server.port,
            SMPP_SYSTEM_ID=SYSTEM_ID,
            SMPP_PASSWORD=PASSWORD,
            SMPP_SOURCE_ADDR="30100",
            SMPP_TIMEOUT=1,
            PORTAL_BASE_URL="https://ventanilla.example.org",
        )
        yield server


@pytest.fixture
def start_receiver(app, smsc):
    """Starts ``flask sms-receiver``'s loop in a thread, bound as transceiver;
    stopped (and checked to stop) at the end of the test."""
    stop = threading.Event()
    threads = []

    def serve():
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                receiver.run(app.config, stop)
            finally:
                db.close()

    def start():
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        threads.append(thread)
        smsc.wait_for(lambda e: e["event"] == "bind" and e["mode"] == "transceiver")

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()


@pytest.fixture
def running_receiver(smsc, start_receiver):
    start_receiver()
    return smsc
