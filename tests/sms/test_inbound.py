"""Messages people send, through the real SMSC and the receiver: ESTADO, BAJA,
strangers, caps; and the answers' rules for every status."""

from __future__ import annotations

import pytest

from portal.applications import workflow as apps
from portal.backoffice.audit import Actor
from portal.catalog import geography as geo
from portal.models import AuditEvent, Citizen
from portal.sms import encoding, inbound, quota
from portal.sms.models import SmsPart
from portal.vocabulary import STATUSES
from tests.factories import make_application, make_citizen
from tests.sms.test_smpp import _until

PHONE = "4421234567"
OTHER = "4427654321"


def _answer(smsc, to):
    return smsc.wait_for(lambda e: e["event"] == "submit_sm" and e["destination_addr"] == to)


def _nothing_sent(smsc):
    smsc.wait_for(lambda e: e["event"] == "deliver_sm_resp" and e["kind"] == "mo")
    return [e for e in smsc.drain() if e["event"] == "submit_sm"] == []


@pytest.mark.parametrize(
    "typed", ["ESTADO {folio}", "estado {folio}", "Estádo: {folio}", "{folio}"]
)
def test_the_phone_on_file_gets_the_status_in_one_sms(app, running_receiver, typed):
    smsc = running_receiver
    citizen = make_citizen(phone=PHONE)
    application = make_application(citizen, status="en_revision")
    smsc.phone_sends("52" + PHONE, typed.format(folio=application.folio.lower()))
    reply = _answer(smsc, "52" + PHONE)
    assert reply["text"] == f"Ventanilla Única. Solicitud {application.folio}: en revisión."
    assert reply["udh"] is None and reply["data_coding"] == 8
    assert reply["mode"] == "transceiver"
    # The answer's receipt finds its segment too (a row with no outbox).
    part = _until(
        lambda: SmsPart.get_or_none(
            (SmsPart.message_id == reply["message_id"]) & SmsPart.receipt_at.is_null(False)
        )
    )
    assert (part.outbox_id, part.state) == (None, "DELIVRD")


def test_another_number_learns_nothing_about_the_folio(app, running_receiver):
    smsc = running_receiver
    citizen = make_citizen(phone=PHONE)
    application = make_application(citizen, status="aprobada")
    smsc.phone_sends("52" + OTHER, f"ESTADO {application.folio}")
    stranger = _answer(smsc, "52" + OTHER)["text"]
    assert application.folio not in stranger and "aprobada" not in stranger.lower()
    # A folio that exists reads exactly like one that does not.
    unknown = application.folio[:-2] + ("22" if application.folio[-2:] != "22" else "33")
    smsc.phone_sends("52" + OTHER, f"ESTADO {unknown}")
    assert _answer(smsc, "52" + OTHER)["text"] == stranger == inbound.NEUTRAL_ANSWER.source


def test_baja_stops_sms_notices_through_the_citizens_audited_change(app, running_receiver):
    smsc = running_receiver
    citizen = make_citizen(
        phone=PHONE, notify_channel="sms", email="ana@example.org", state=geo.load_state().name
    )
    smsc.phone_sends("+52 1 " + PHONE, "baja")
    reply = _answer(smsc, "52" + PHONE)
    assert reply["text"] == inbound.STOP_ANSWER.source
    refreshed = Citizen.get_by_id(citizen.id)
    assert (refreshed.notify_channel, refreshed.phone, refreshed.email) == (
        "portal",
        PHONE,
        "ana@example.org",
    )
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (event.actor_kind, event.actor_id, event.object_id) == (
        "ciudadano",
        citizen.id,
        str(citizen.id),
    )
    assert event.details == {"fields": ["notify_channel"]}
    # From now on a status change writes no SMS.
    application = make_application(refreshed, status="enviada")
    apps.transition(application, "en_revision", apps.Actor("personal", None, "admin_estatal"))
    assert [e for e in smsc.drain() if e["event"] == "submit_sm"] == []


def test_baja_from_an_unknown_number_gets_the_same_answer_and_changes_nothing(
    app, running_receiver
):
    smsc = running_receiver
    citizen = make_citizen(phone=PHONE, notify_channel="sms")
    smsc.phone_sends("52" + OTHER, "BAJA")
    assert _answer(smsc, "52" + OTHER)["text"] == inbound.STOP_ANSWER.source
    assert Citizen.get_by_id(citizen.id).notify_channel == "sms"


@pytest.mark.parametrize("source", ["15551234567", "12345", "ventanilla", ""])
def test_a_sender_that_is_not_a_mexican_number_gets_no_answer(app, running_receiver, source):
    smsc = running_receiver
    make_citizen(phone=PHONE, notify_channel="sms")
    smsc.phone_sends(source, "BAJA")
    assert _nothing_sent(smsc)
    assert Citizen.get(Citizen.phone == PHONE).notify_channel == "sms"


def test_questions_past_the_daily_cap_get_no_answer(app, running_receiver):
    smsc = running_receiver
    app.config["SMS_QUESTIONS_DAILY_CAP"] = 2
    application = make_application(make_citizen(phone=PHONE), status="aprobada")
    for _ in range(2):
        smsc.phone_sends("52" + PHONE, application.folio)
        _answer(smsc, "52" + PHONE)
    smsc.phone_sends("52" + PHONE, application.folio)
    assert _nothing_sent(smsc)
    assert quota.used(PHONE, quota.QUESTION) == 2


def test_anything_else_gets_the_help_text(app, running_receiver):
    smsc = running_receiver
    smsc.phone_sends("52" + OTHER, "hola, quiero saber de mi apoyo")
    assert _answer(smsc, "52" + OTHER)["text"] == inbound.HELP_ANSWER.source


def test_a_message_in_ucs2_is_read(app, running_receiver):
    smsc = running_receiver
    application = make_application(make_citizen(phone=PHONE), status="aprobada")
    smsc.phone_sends("52" + PHONE, f"Estádo {application.folio}", data_coding=8)
    assert "aprobada" in _answer(smsc, "52" + PHONE)["text"]


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_answer_fits_one_segment(app, status):
    citizen = make_citizen(phone=PHONE)
    application = make_application(citizen, status=status)
    text = inbound.status_answer(PHONE, application.folio)
    assert application.folio in text
    assert encoding.fits_one(text), text


def test_every_fixed_answer_fits_one_segment():
    for text in (inbound.NEUTRAL_ANSWER, inbound.HELP_ANSWER, inbound.STOP_ANSWER):
        assert encoding.fits_one(text.source), text.source


def test_stop_sms_changes_only_records_that_had_sms(app):
    with_sms = make_citizen(phone=PHONE, notify_channel="sms")
    by_mail = make_citizen(phone=PHONE, notify_channel="email", email="b@example.org")
    assert inbound.stop_sms(PHONE) == 1
    assert Citizen.get_by_id(with_sms.id).notify_channel == "portal"
    assert Citizen.get_by_id(by_mail.id).notify_channel == "email"
    assert Actor.citizen(with_sms).id == with_sms.id


def test_answers_and_notices_share_the_numbers_daily_cap(app, running_receiver):
    smsc = running_receiver
    app.config["SMS_DAILY_CAP"] = 1
    citizen = make_citizen(phone=PHONE, notify_channel="sms")
    application = make_application(citizen, status="enviada")
    apps.transition(application, "en_revision", apps.Actor("personal", None, "admin_estatal"))
    assert _answer(smsc, "52" + PHONE)
    smsc.drain(wait=1)  # the notice's other segment and the receipts
    smsc.phone_sends("52" + PHONE, application.folio)
    assert _nothing_sent(smsc)
    assert quota.used("+52" + PHONE, quota.SENT) == 1
