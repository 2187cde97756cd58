"""Notices in the person's language (issue 20, item 5): stored as a kind and its
facts with their Spanish text, rendered when read, in the inbox in the page's
language and in e-mail in the language the person last chose."""

from __future__ import annotations

import json

from portal.applications import notice_texts, notices
from portal.applications import workflow as apps
from portal.backoffice.audit import Actor
from portal.models import AuditEvent, Citizen, Document, Notice, Outbox
from portal.rights import arco
from portal.vocabulary import AuditAction
from portal.web.database import write
from portal.web.extensions import db
from portal.web.i18n import LANGUAGE_COOKIE
from tests.factories import make_application, make_citizen, make_program, make_staff
from tests.support.html import html

STAFF = apps.Actor("personal", None, "admin_estatal")
RULE = "Es para personas de 65 años o más."
ENGLISH = {
    "name": "Food Support",
    "summary": "Food every month.",
    "reasons": {RULE: "It is for people aged 65 or over."},
    "requirements": {"identificacion": {"name": "Official ID"}},
}


def _translated(**overrides):
    return make_program(name="Apoyo Alimentario", i18n={"en": ENGLISH}, **overrides)


def _in(client, lang):
    client.set_cookie(LANGUAGE_COOKIE, lang)
    return client


def _rejected(program, reason: str, citizen=None):
    application = make_application(citizen or make_citizen(), program, status="en_revision")
    apps.reject(application, STAFF, reason)
    return application, Notice.get(Notice.application == application)


def _notice_items(page):
    return page.find_all("li", class_="notice")


# What is stored


def test_a_status_notice_keeps_its_kind_its_facts_and_its_spanish_text(app):
    program = _translated()
    application, notice = _rejected(program, RULE)
    assert notice.kind == "estado"
    assert notice.facts == {
        "status": "rechazada",
        "program": program.id,
        "folio": application.folio,
        "reason": RULE,
    }
    assert notice.title == f"Solicitud {application.folio}: Rechazada"
    assert notice.body == f"Su solicitud a «Apoyo Alimentario» fue rechazada. Motivo: {RULE}"


def test_the_facts_hold_no_contact_data_or_curp(app):
    citizen = make_citizen(email="ana@example.org", phone="4421234567")
    _, notice = _rejected(_translated(), "Falta la firma.", citizen)
    stored = str(notice.facts)
    assert citizen.curp not in stored and "ana@example.org" not in stored
    assert "4421234567" not in stored


# The inbox


def test_the_inbox_shows_a_notice_in_english_with_the_programs_english_texts(login):
    citizen = make_citizen()
    application, _ = _rejected(_translated(), RULE, citizen)
    page = html(_in(login(citizen), "en").get("/avisos"))
    (item,) = _notice_items(page)
    assert item.h2.get_text(" ", strip=True) == f"New Application {application.folio}: Rejected"
    body = item.find("p")
    assert body.get_text(strip=True) == (
        "Your application to “Food Support” was rejected. Reason: It is for people aged 65 or over."
    )
    assert not body.get("lang") and not body.find("span", lang=True)
    assert not item.h2.a.get("lang")


def test_an_untranslated_name_and_a_staff_reason_read_in_spanish_marked_as_such(login):
    citizen = make_citizen()
    _rejected(make_program(name="Becas Benito"), "Falta la firma.", citizen)
    page = html(_in(login(citizen), "en").get("/avisos"))
    body = _notice_items(page)[0].find("p")
    assert body.get_text(strip=True).startswith("Your application to “Becas Benito” was rejected.")
    spanish = [(span.get_text(), span["lang"]) for span in body.find_all("span")]
    assert spanish == [("Becas Benito", "es-MX"), ("Falta la firma.", "es-MX")]


def test_the_same_notice_reads_as_stored_on_a_spanish_page(login):
    citizen = make_citizen()
    _, notice = _rejected(_translated(), RULE, citizen)
    page = html(_in(login(citizen), "es").get("/avisos"))
    body = _notice_items(page)[0].find("p")
    assert body.get_text() == notice.body and not body.find("span")


def test_an_otomi_reader_gets_spanish_words_and_the_otomi_name_marked(login):
    citizen = make_citizen()
    program = make_program(name="Apoyo Alimentario", i18n={"otq": {"name": "Nombre en hñöñho"}})
    _rejected(program, "Falta la firma.", citizen)
    page = html(_in(login(citizen), "otq").get("/avisos"))
    body = _notice_items(page)[0].find("p")
    assert body.get_text(strip=True).startswith("Su solicitud a «Nombre en hñöñho» fue rechazada.")
    assert body.find("span", string="Nombre en hñöñho")["lang"] == "otq"
    assert not body.find("span", string="Falta la firma.")  # Spanish in a Spanish interface


def test_a_notice_written_before_kinds_shows_as_stored(login):
    citizen = make_citizen()
    Notice.create(citizen=citizen, title="Solicitud QRO-1: Enviada", body="Recibimos su solicitud.")
    page = html(_in(login(citizen), "en").get("/avisos"))
    body = page.find("p", string="Recibimos su solicitud.")
    assert body["lang"] == "es-MX"


def test_a_notice_of_a_kind_the_code_no_longer_has_shows_as_stored(login):
    citizen = make_citizen()
    Notice.create(
        citizen=citizen, kind="retirado", facts={"x": 1}, title="Aviso viejo", body="Texto viejo."
    )
    page = html(_in(login(citizen), "en").get("/avisos"))
    assert page.find("p", string="Texto viejo.")["lang"] == "es-MX"


def _queries_of(client, url) -> list[str]:
    seen: list[str] = []
    db.obj.query_hooks.append(lambda event: seen.append(event.sql))
    try:
        assert client.get(url).status_code == 200
    finally:
        db.obj.query_hooks.pop()
    return seen


# notice_texts.program_texts: the one query for the programs of a page of notices.
PROGRAM_LOOKUP = 'SELECT "t1"."id", "t1"."name", "t1"."i18n" FROM "program"'


def test_the_inbox_reads_the_programs_of_all_its_notices_in_one_query(login):
    citizen = make_citizen()
    client = _in(login(citizen), "en")
    _rejected(_translated(), RULE, citizen)
    client.get("/avisos")
    few = _queries_of(client, "/avisos")
    for _ in range(6):
        _rejected(_translated(), RULE, citizen)
    client.get("/avisos")  # marks the new ones read, as the first visit did
    many = _queries_of(client, "/avisos")
    assert len(many) == len(few), many
    lookups = [sql for sql in many if sql.startswith(PROGRAM_LOOKUP)]
    assert len(lookups) == 1, many


# Other kinds, rendered in English


def test_a_rejected_document_is_named_from_the_programs_translations(app):
    program = _translated(requirements=("identificacion",))
    application = make_application(make_citizen(), program, status="en_revision")
    requirement = program.requirements.get()
    document = Document.create(
        application=application,
        requirement=requirement,
        version=1,
        storage_key="x/y/z",
        filename="ine.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
    )
    apps.review_document(application, document, "rechazado", STAFF, reason="Se ve borrosa.")
    notice = Notice.get(Notice.application == application)
    shown = notice_texts.plain(notice, "en")
    assert shown.title == f"Application {application.folio}: document rejected"
    assert shown.body == (
        "The document “Official ID” of your application was rejected. Reason: Se ve borrosa."
    )
    assert notice.body.startswith("El documento «Identificacion» de su solicitud")


def test_a_delivery_date_reads_with_the_date_in_english(app):
    application = make_application(make_citizen(), _translated(), status="aprobada")
    when = {
        "period": 2,
        "day": "2027-03-03",
        "hours": "9:00 a 14:00",
        "point": "Centro Comunitario",
        "address": "Calle Juárez 1",
    }
    with write():
        notice = notices.delivery_date_notice(application, "recordatorio", when)
    assert notice.body == (
        "Recordatorio: recoja su apoyo del periodo 2 el 3 de marzo de 2027, 9:00 a 14:00, en "
        "Centro Comunitario (Calle Juárez 1). Lleve una identificación oficial y su código QR."
    )
    assert notices_in_english(notice).body == (
        "Reminder: collect your support for period 2 on March 3, 2027, 9:00 a 14:00, at "
        "Centro Comunitario (Calle Juárez 1). Bring an official ID and your QR code."
    )


def notices_in_english(notice):
    return notice_texts.plain(notice, "en")


def test_an_arco_request_is_acknowledged_in_english(app):
    citizen = make_citizen()
    row = arco.file_request(
        "acceso", "Quiero saber qué datos tienen de mí.", Actor.citizen(citizen), citizen=citizen
    )
    notice = Notice.get(Notice.citizen == citizen)
    shown = notices_in_english(notice)
    assert shown.title == f"ARCO rights request {row.folio}: received"
    assert shown.body.startswith("We received your request for access of your personal data.")
    assert f"{row.due_on.year}" in shown.body and "de " not in shown.body
    assert notice.body.startswith("Recibimos su solicitud de acceso de sus datos personales.")


def test_an_unknown_status_uses_the_general_sentence(app):
    program = _translated()
    text = notice_texts.spanish_texts(
        "estado", {"status": "nuevo", "program": program.id, "folio": "F-1"}, program.name
    )
    assert text == ("Solicitud F-1: nuevo", "Su solicitud a «Apoyo Alimentario» cambió.")


# E-mail and SMS from the queue


class Collecting:
    def __init__(self):
        self.messages = []

    def send(self, message):
        self.messages.append(message)


def _sent(citizen) -> notices.Message:
    application = make_application(citizen, _translated(), status="en_revision")
    with write():
        apps.reject(application, STAFF, RULE)
    sender = Collecting()
    counts = notices.deliver_due({"email": sender, "sms": sender}, base_url="https://vu.test")
    assert counts["enviado"] == 1
    return sender.messages[0]


def test_email_is_written_in_the_language_the_person_chose(app):
    message = _sent(make_citizen(notify_channel="email", email="ana@example.org", language="en"))
    assert message.subject.endswith(": Rejected")
    assert message.body.startswith("Your application to “Food Support” was rejected.")
    assert "Do not reply to this e-mail." in message.body
    assert "This program is public" in message.body


def test_email_is_in_spanish_for_a_person_who_never_chose(app):
    citizen = make_citizen(notify_channel="email", email="ana@example.org")
    assert citizen.language == "es"
    message = _sent(citizen)
    assert message.body.startswith("Su solicitud a «Apoyo Alimentario» fue rechazada.")
    assert "No responda a este correo." in message.body
    assert "Este programa es público" in message.body


def test_a_states_own_legend_goes_out_as_written_in_english_email(app):
    app.config["LEGAL_LEGEND"] = "Leyenda del estado."
    message = _sent(make_citizen(notify_channel="email", email="ana@example.org", language="en"))
    assert "Leyenda del estado." in message.body and "This program is public" not in message.body


def test_sms_is_written_in_the_language_the_person_chose(app):
    message = _sent(make_citizen(notify_channel="sms", phone="4421234567", language="en"))
    assert message.body.startswith("Your application to “Food Support” was rejected.")
    assert "Do not reply" not in message.body


# Remembering the language


def _language_audits(citizen) -> list[AuditEvent]:
    return list(
        AuditEvent.select().where(
            (AuditEvent.action == AuditAction.RECORD_UPDATE)
            & (AuditEvent.object_id == str(citizen.id))
        )
    )


def test_a_signed_in_person_who_switches_language_gets_it_remembered(login):
    citizen = make_citizen()
    client = login(citizen)
    response = client.get("/idioma/en?next=/avisos")
    assert response.status_code == 303 and response.headers["Location"].endswith("/avisos")
    assert Citizen.get_by_id(citizen.id).language == "en"
    (entry,) = _language_audits(citizen)
    assert entry.details == {"fields": ["language"]}  # the field, never the language
    client.get("/idioma/en")
    assert len(_language_audits(citizen)) == 1  # nothing changed, nothing recorded
    client.get("/idioma/es")
    assert Citizen.get_by_id(citizen.id).language == "es"


def test_an_unknown_language_is_refused_and_nothing_is_stored(login):
    citizen = make_citizen()
    client = login(citizen)
    assert client.get("/idioma/fr").status_code == 404
    assert Citizen.get_by_id(citizen.id).language == "es" and not _language_audits(citizen)


def test_switching_language_anonymously_or_as_staff_stores_nothing(client, login):
    citizen = make_citizen()
    assert client.get("/idioma/en").status_code == 303
    login(make_staff())
    assert client.get("/idioma/en").status_code == 303
    assert Citizen.get_by_id(citizen.id).language == "es"
    assert not AuditEvent.select().where(AuditEvent.action == AuditAction.RECORD_UPDATE).exists()


def test_the_record_export_includes_the_language(login):
    citizen = make_citizen(language="en")
    data = login(citizen).get("/mis-datos/descargar.json")
    assert json.loads(data.get_data(as_text=True))["record"]["language"] == "en"


def test_an_outbox_row_is_sent_once_in_the_language_of_sending_time(app):
    citizen = make_citizen(notify_channel="email", email="ana@example.org")
    application = make_application(citizen, _translated(), status="en_revision")
    with write():
        apps.reject(application, STAFF, RULE)
    Citizen.update(language="en").where(Citizen.id == citizen.id).execute()
    sender = Collecting()
    notices.deliver_due({"email": sender})
    assert sender.messages[0].body.startswith("Your application")
    assert Outbox.get().status == "enviado"
