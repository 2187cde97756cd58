"""The secretariat's fixtures: a real SMTP server for the staff e-mail."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from tests.applications.test_notices import Inbox, free_port


@pytest.fixture
def smtp(app):
    """A real SMTP server on a free port, started; yields what it received."""
    port = free_port()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox
    controller.stop()
