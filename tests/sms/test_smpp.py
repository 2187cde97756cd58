"""Notices by SMS through a real SMSC on loopback: submit_sm, receipts, retries, caps."""

from __future__ import annotations

import time

import pytest

from portal.applications import notices
from portal.applications import workflow as apps
from portal.models import Outbox
from portal.sms import encoding, quota
from portal.sms.models import SmsPart
from tests.factories import make_application, make_citizen

STAFF = apps.Actor("personal", None, "admin_estatal")
PHONE = "4421234567"


def _until(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _submits(smsc):
    return [e for e in smsc.drain() if e["event"] == "submit_sm"]


def test_a_status_change_reaches_the_smsc_and_its_receipts_are_stored(app, running_receiver):
    smsc = running_receiver
    citizen = make_citizen(notify_channel="sms", phone=PHONE)
    application = make_application(citizen, status="enviada")
    apps.transition(application, "en_revision", STAFF)  # the queue runs at once in tests

    submit = smsc.wait_for(lambda e: e["event"] == "submit_sm")
    assert submit["mode"] == "transmitter"
    assert submit["destination_addr"] == "52" + PHONE and submit["dest_addr_ton"] == 1
    assert submit["source_addr"] == "30100"
    assert submit["registered_delivery"] == 1
    row = Outbox.get()
    notice = row.notice
    # "En revisión" is outside GSM 03.38: UCS-2, the title and the link only
    # (two segments; the whole notice would take three).
    link = f"https://ventanilla.example.org/mis-solicitudes/{application.folio}"
    expected = f"{notice.title}. {link}"
    submits = [submit] + [
        smsc.wait_for(lambda e: e["event"] == "submit_sm")
        for _ in range(len(encoding.split(expected)) - 1)
    ]
    assert "".join(s["text"] for s in submits) == expected
    assert {s["data_coding"] for s in submits} == {8}
    assert [s["udh"][-4:] for s in submits] == ["0201", "0202"]
    assert row.status == "enviado"
    parts = list(SmsPart.select().where(SmsPart.outbox == row.id).order_by(SmsPart.part))
    assert [p.message_id for p in parts] == [s["message_id"] for s in submits]
    assert {(p.encoding, p.parts) for p in parts} == {("ucs2", 2)}

    for part in parts:
        stored = _until(
            lambda p=part: SmsPart.get_by_id(p.id).receipt_at and SmsPart.get_by_id(p.id)
        )
        assert stored.state == "DELIVRD" and stored.error_code == "000"


def test_an_undelivered_receipt_is_stored_with_its_error(app, running_receiver):
    smsc = running_receiver
    smsc.command(cmd="receipt", stat="UNDELIV", err="011")
    citizen = make_citizen(notify_channel="sms", phone=PHONE)
    apps.transition(make_application(citizen, status="enviada"), "en_revision", STAFF)
    submit = smsc.wait_for(lambda e: e["event"] == "submit_sm")
    part = _until(
        lambda: SmsPart.get_or_none(
            (SmsPart.message_id == submit["message_id"]) & SmsPart.receipt_at.is_null(False)
        )
    )
    assert (part.state, part.error_code) == ("UNDELIV", "011")


def test_a_receipt_sent_while_the_receiver_is_down_is_stored_after_it_binds(
    app, smsc, start_receiver
):
    citizen = make_citizen(notify_channel="sms", phone=PHONE)
    apps.transition(make_application(citizen, status="enviada"), "en_revision", STAFF)
    submit = smsc.wait_for(lambda e: e["event"] == "submit_sm")
    time.sleep(0.3)
    assert SmsPart.get(SmsPart.message_id == submit["message_id"]).receipt_at is None
    start_receiver()
    _until(
        lambda: SmsPart.get_or_none(
            (SmsPart.message_id == submit["message_id"]) & SmsPart.receipt_at.is_null(False)
        )
    )


def test_accents_outside_gsm_go_as_ucs2_and_arrive_intact(app, smsc):
    citizen = make_citizen(notify_channel="sms", phone=PHONE)
    application = make_application(citizen, status="en_revision")
    apps.transition(application, "aprobada", STAFF)
    submits = _submits(smsc)
    assert submits, "nothing reached the SMSC"
    text = "".join(s["text"] for s in submits)
    row = Outbox.get()
    notice = row.notice
    if any(ch in notice.title for ch in "áíóúÁÍÓÚ"):
        assert {s["data_coding"] for s in submits} == {8}
    assert notice.title.rstrip(".") in text


def test_a_receipt_for_an_id_not_stored_yet_is_refused_until_it_is(app, running_receiver):
    smsc = running_receiver
    smsc.command(cmd="dlr", id="m77", stat="EXPIRED")
    refused = smsc.wait_for(lambda e: e["event"] == "deliver_sm_resp" and e["kind"] == "receipt")
    assert refused["command_status"] == 0x64  # ESME_RX_T_APPN: deliver it again later
    part = SmsPart.create(message_id="m77", encoding="gsm7")
    smsc.wait_for(
        lambda e: (
            e["event"] == "deliver_sm_resp" and e["kind"] == "receipt" and e["command_status"] == 0
        )
    )
    assert SmsPart.get_by_id(part.id).state == "EXPIRED"


def test_receipt_ids_match_in_decimal_or_hexadecimal(app):
    from portal.sms.receiver import record_receipt

    SmsPart.create(message_id="1a2b", encoding="gsm7")
    SmsPart.create(message_id="4096", encoding="gsm7")
    assert record_receipt(str(0x1A2B), "delivrd") and record_receipt("1000", "UNDELIV")
    assert [(p.message_id, p.state) for p in SmsPart.select().order_by(SmsPart.id)] == [
        ("1a2b", "DELIVRD"),
        ("4096", "UNDELIV"),
    ]
    assert record_receipt("zz", "DELIVRD") is False


def test_an_smsc_that_is_down_leaves_the_row_pending_with_backoff(app):
    app.config.update(SMS_BACKEND="smpp", SMPP_HOST="127.0.0.1", SMPP_PORT=1, SMPP_TIMEOUT=1)
    citizen = make_citizen(notify_channel="sms", phone=PHONE)
    apps.transition(make_application(citizen, status="enviada"), "en_revision", STAFF)
    row = Outbox.get()
    assert (row.status, row.attempts, row.last_error) == ("pendiente", 1, "ConnectionError")
    assert SmsPart.select().count() == 0
    # An outage spends nothing of the number's day.
    assert quota.used(PHONE, quota.SENT) == 0


def test_a_throttled_submit_is_retried_and_a_refused_address_is_given_up(app, smsc):
    citizen = make_citizen(notify_channel="sms", phone=PHONE)
    smsc.command(cmd="refuse", status=0x58)  # ESME_RTHROTTLED
    apps.transition(make_application(citizen, status="enviada"), "en_revision", STAFF)
    row = Outbox.get()
    assert (row.status, row.attempts, row.last_error) == ("pendiente", 1, "SmsRefused")
    assert quota.used(PHONE, quota.SENT) == 0

    other = make_citizen(notify_channel="sms", phone="4427654321")
    smsc.command(cmd="refuse", status=0x0B)  # ESME_RINVDSTADR
    apps.transition(make_application(other, status="enviada"), "en_revision", STAFF)
    given_up = Outbox.select().order_by(Outbox.id.desc()).get()
    assert (given_up.status, given_up.last_error) == ("fallido", "Undeliverable")
    assert SmsPart.select().count() == 0


def test_the_daily_cap_per_number_holds_the_rest_for_later(app, smsc):
    app.config["SMS_DAILY_CAP"] = 2
    citizen = make_citizen(notify_channel="sms", phone=PHONE)
    for _ in range(3):
        apps.transition(make_application(citizen, status="enviada"), "en_revision", STAFF)
    statuses = [(r.status, r.last_error) for r in Outbox.select().order_by(Outbox.id)]
    assert statuses == [("enviado", ""), ("enviado", ""), ("pendiente", "DailyCapReached")]
    assert quota.used("+52" + PHONE, quota.SENT) == quota.used(PHONE, quota.SENT) == 2
    sent = {p.outbox_id for p in SmsPart.select()}
    assert sent == {r.id for r in Outbox.select().where(Outbox.status == "enviado")}


def test_a_long_notice_is_sent_as_a_concatenated_sms(app, smsc):
    citizen = make_citizen(notify_channel="sms", phone=PHONE)
    body = "Revise su solicitud en línea; " * 8
    notices.announce(citizen, "Aviso", body, "", "prueba")
    assert notices.deliver_due(notices.senders_from_config(app.config))["enviado"] == 1
    submits = _submits(smsc)
    assert len(submits) == len(encoding.split(encoding.compose("Aviso", body))) > 2
    # node's smpp gives the UDH's information elements: 00 (concatenation), 03, ref, total, part.
    assert all(s["esm_class"] & 0x40 and s["udh"].startswith("0003") for s in submits)
    assert "".join(s["text"] for s in submits) == encoding.compose("Aviso", body)
    assert {p.parts for p in SmsPart.select()} == {len(submits)}


def test_log_backend_stays_the_default(app):
    assert isinstance(notices.senders_from_config(app.config)["sms"], notices.LoggingSmsSender)


def test_an_unknown_backend_is_refused(app):
    with pytest.raises(ValueError, match="smpp"):
        notices.senders_from_config({**app.config, "SMS_BACKEND": "twilio"})
