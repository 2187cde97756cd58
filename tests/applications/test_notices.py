"""Notices: inbox rows, the outbox, and sending through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import logging
import socket

import pytest
from aiosmtpd.controller import Controller

from portal.applications import notices
from portal.applications import workflow as apps
from portal.models import Notice, Outbox, utcnow
from portal.web import queue
from tests.factories import accept_documents, make_application, make_citizen

STAFF = apps.Actor("personal", None, "admin_estatal")


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    port = free_port()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    yield controller, inbox
    try:
        controller.stop()
    except AssertionError:
        pass  # already stopped by the test


def senders(app):
    return notices.senders_from_config(app.config)


def test_email_goes_out_through_smtp(app, smtp):
    controller, inbox = smtp
    controller.start()
    citizen = make_citizen(notify_channel="email", email="ana@example.org")
    application = make_application(citizen, status="enviada")
    # QUEUE_IMMEDIATE under tests: the change itself wakes the task.
    apps.transition(application, "en_revision", STAFF)
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message.rcpt_tos == ["ana@example.org"]
    assert application.folio in message.content.decode()
    row = Outbox.get()
    assert (row.status, row.attempts) == ("enviado", 1)


def test_mail_server_outage_keeps_the_row_and_retries_with_backoff(app, smtp, caplog):
    controller, inbox = smtp
    citizen = make_citizen(notify_channel="email", email="ana@example.org")
    application = make_application(citizen, status="enviada")
    with caplog.at_level(logging.WARNING, logger="portal.notices"):
        apps.transition(application, "en_revision", STAFF)  # server down
    row = Outbox.get()
    assert (row.status, row.attempts, row.last_error) == ("pendiente", 1, "ConnectionRefusedError")
    assert row.next_attempt_at > utcnow()
    assert "ana@example.org" not in caplog.text and application.folio not in caplog.text
    # Not due yet: nothing is tried.
    assert notices.deliver_due(senders(app)) == {"enviado": 0, "reintento": 0, "fallido": 0}
    controller.start()
    later = utcnow() + dt.timedelta(minutes=2)
    assert notices.deliver_due(senders(app), now=later)["enviado"] == 1
    assert len(inbox.messages) == 1
    assert Outbox.get().status == "enviado"


def test_backoff_doubles_up_to_six_hours():
    assert [notices.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert notices.backoff(30) == dt.timedelta(hours=6)


def test_gives_up_after_the_last_attempt(app):
    citizen = make_citizen(notify_channel="email")
    notice = Notice.create(citizen=citizen, title="t", body="b")
    Outbox.create(notice=notice, channel="email", attempts=notices.MAX_ATTEMPTS - 1)

    class Down:
        def send(self, message):
            raise OSError("caído")

    assert notices.deliver_due({"email": Down()})["fallido"] == 1
    assert Outbox.get().status == "fallido"


def test_sms_sender_logs_only_the_outbox_id(app, caplog):
    citizen = make_citizen(notify_channel="sms", phone="4421234567")
    application = make_application(citizen, status="enviada")
    with caplog.at_level(logging.INFO, logger="portal.notices"):
        apps.transition(application, "en_revision", STAFF)
    row = Outbox.get()
    assert row.channel == "sms" and row.status == "enviado"
    assert f"outbox {row.id}" in caplog.text
    assert "4421234567" not in caplog.text and application.folio not in caplog.text


@pytest.mark.parametrize(
    ("channel", "email", "phone", "expected"),
    [
        ("portal", "a@b.mx", "4421234567", []),
        ("email", "", "", []),
        ("email", "a@b.mx", "", ["email"]),
        ("sms", "", "4421234567", ["sms"]),
    ],
)
def test_outbox_follows_the_persons_channel(app, channel, email, phone, expected):
    citizen = make_citizen(notify_channel=channel, email=email, phone=phone)
    assert notices.channels_for(citizen) == expected


def test_a_failed_transaction_leaves_no_notice(app, monkeypatch):
    application = accept_documents(make_application(status="en_revision"))
    monkeypatch.setattr(
        apps, "on_approved", [lambda a: (_ for _ in ()).throw(RuntimeError("falla"))]
    )
    with pytest.raises(RuntimeError):
        apps.approve(accept_documents(application), STAFF)
    assert Notice.select().count() == 0


def test_queue_is_immediate_under_tests_and_sqlite_otherwise(tmp_path):
    from huey.storage import SqliteStorage

    from portal import create_app

    create_app(
        {
            "QUEUE_URL": f"sqlite:///{tmp_path / 'cola.db'}",
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        }
    )
    try:
        assert not queue.huey.immediate and isinstance(queue.huey.storage, SqliteStorage)
        assert (tmp_path / "cola.db").exists()
    finally:
        queue.huey.immediate = True


def test_marking_notices_read_touches_only_the_persons_own(app):
    mine, theirs = make_citizen(), make_citizen()
    unread = Notice.create(citizen=mine, title="t", body="b")
    other = Notice.create(citizen=theirs, title="t", body="b")
    assert notices.mark_read(mine.id, [unread.id, other.id]) == 1
    assert Notice.get_by_id(unread.id).read_at is not None
    assert Notice.get_by_id(other.id).read_at is None
    assert notices.unread_count(mine) == 0
