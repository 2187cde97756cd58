"""The reporting calendar (issue 17, item 5): obligations per agency, what is
due, overdue and done, the state-wide board, and reminders sent once by inbox
and e-mail."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.models import AuditEvent, ReportObligation, StaffNotice, StaffOutbox
from portal.rights.holidays import local_today
from portal.secretariat import calendar, inbox
from portal.secretariat.calendar import Standing
from tests.factories import make_agency, make_citizen, make_staff
from tests.secretariat.builders import (
    agency_world,
    make_obligation,
    make_secretariat,
)
from tests.support.html import html, page_text

NEW = "/oficina/secretaria/obligaciones/nueva"
CALENDAR = "/oficina/secretaria/calendario"
OVERDUE = "/oficina/secretaria/vencidas"
NOTICES = "/oficina/secretaria/avisos"
MEXICO = ZoneInfo("America/Mexico_City")


def _error(response, field):
    found = html(response).select_one(f"#{field}-error")
    return found.get_text(" ", strip=True) if found else ""


# Where an obligation stands ------------------------------------------------------------


def test_standing_on_the_days_around_the_due_date():
    due = dt.date(2026, 3, 31)
    assert calendar.standing(due, 5, False, dt.date(2026, 3, 25)) == Standing.PENDIENTE
    assert calendar.standing(due, 5, False, dt.date(2026, 3, 26)) == Standing.POR_VENCER
    assert calendar.standing(due, 5, False, due) == Standing.POR_VENCER
    assert calendar.standing(due, 5, False, dt.date(2026, 4, 1)) == Standing.VENCIDA
    assert calendar.standing(due, 5, True, dt.date(2026, 4, 1)) == Standing.CUMPLIDA


@given(
    due=st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)),
    today=st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)),
    remind=st.integers(0, calendar.MAX_REMIND_DAYS),
    done=st.booleans(),
)
def test_standing_is_done_first_then_overdue_exactly_after_the_due_day(due, today, remind, done):
    found = calendar.standing(due, remind, done, today)
    if done:
        assert found == Standing.CUMPLIDA
    elif today > due:
        assert found == Standing.VENCIDA
    elif (due - today).days <= remind:
        assert found == Standing.POR_VENCER
    else:
        assert found == Standing.PENDIENTE


@given(
    moment=st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2030, 12, 31)),
    zone=st.sampled_from(["UTC", "America/Mexico_City", "America/Tijuana", "Asia/Tokyo"]),
)
def test_the_day_is_the_states_whatever_zone_the_moment_comes_in(moment, zone):
    aware = moment.replace(tzinfo=ZoneInfo(zone))
    expected = aware.astimezone(MEXICO).date()
    assert calendar.state_day(aware) == expected
    naive_utc = aware.astimezone(dt.UTC).replace(tzinfo=None)
    assert calendar.state_day(naive_utc) == expected


def test_an_obligation_due_today_is_overdue_from_midnight_in_queretaro_not_in_utc():
    due = dt.date(2026, 6, 30)
    # 23:30 on the 30th in Querétaro is already the 1st in UTC: not yet overdue.
    late_evening = dt.datetime(2026, 7, 1, 5, 30)
    assert calendar.standing(due, 0, False, calendar.state_day(late_evening)) == Standing.POR_VENCER
    after_midnight = dt.datetime(2026, 7, 1, 6, 30)
    assert calendar.standing(due, 0, False, calendar.state_day(after_midnight)) == Standing.VENCIDA


# Setting obligations -------------------------------------------------------------------


def _form(agency, **overrides):
    data = {
        "dependencia": str(agency.id),
        "programa": "",
        "tipo": "avance_trimestral",
        "titulo": "Avance del cuarto trimestre",
        "fecha_limite": (local_today() + dt.timedelta(days=20)).isoformat(),
        "aviso_dias": "7",
    }
    data.update(overrides)
    return data


def test_the_secretariat_sets_an_obligation_and_it_is_audited(app, login):
    world = agency_world()
    secretariat = make_secretariat()
    client = login(secretariat)
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, data=_form(world["a"], programa=str(world["program_a"].id)))
    assert response.status_code == 303
    saved = ReportObligation.get()
    assert (saved.agency_id, saved.program_id, saved.remind_days) == (
        world["a"].id,
        world["program_a"].id,
        7,
    )
    assert saved.remind_on == saved.due_on - dt.timedelta(days=7)
    entry = AuditEvent.get(AuditEvent.action == "obligacion.alta")
    assert (entry.actor_id, entry.object_id) == (secretariat.id, str(saved.id))
    page = html(client.get(CALENDAR))
    assert page.select_one(f"#obligacion-{saved.id}") is not None


def test_reminder_days_default_to_five(app, login):
    client = login(make_secretariat())
    agency = make_agency()
    assert client.post(NEW, data=_form(agency, aviso_dias="")).status_code == 303
    assert ReportObligation.get().remind_days == calendar.DEFAULT_REMIND_DAYS


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({"dependencia": ""}, "dependencia", "Elija la dependencia"),
        ({"dependencia": "999999"}, "dependencia", "Elija la dependencia"),
        ({"programa": "OTHER"}, "programa", "programa de esa dependencia"),
        ({"tipo": "chisme"}, "tipo", "Elija qué debe entregar"),
        ({"tipo": ""}, "tipo", "Elija qué debe entregar"),
        ({"titulo": "   "}, "titulo", "Escriba un nombre"),
        ({"titulo": "x" * 201}, "titulo", "demasiado largo"),
        ({"titulo": "Avisar a ana@example.org"}, "titulo", "datos personales"),
        ({"fecha_limite": ""}, "fecha_limite", "fecha límite"),
        ({"fecha_limite": "31/31/2026"}, "fecha_limite", ""),
        ({"fecha_limite": "2020-01-01"}, "fecha_limite", "ya pasó"),
        ({"fecha_limite": "2099-01-01"}, "fecha_limite", "demasiado lejos"),
        ({"aviso_dias": "61"}, "aviso_dias", "de 0 a 60"),
        ({"aviso_dias": "cinco"}, "aviso_dias", "Escriba solo un número"),
        ({"aviso_dias": "2.5"}, "aviso_dias", "entero"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(app, login, overrides, field, says):
    world = agency_world()
    client = login(make_secretariat())
    if overrides.get("programa") == "OTHER":
        overrides = {"programa": str(world["program_b"].id)}
    response = client.post(NEW, data=_form(world["a"], **overrides))
    assert response.status_code == 422
    message = _error(response, field)
    assert message
    assert says in message
    assert ReportObligation.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "obligacion.alta").count() == 0


# Who sees what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin_dependencia", "revisor", "supervisor", "entrega"])
def test_only_the_secretariat_sets_obligations_and_sees_the_state_board(app, login, role):
    client = login(make_staff(role))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, data=_form(make_agency())).status_code == 403
    assert client.get(OVERDUE).status_code == 403
    assert ReportObligation.select().count() == 0


@pytest.mark.parametrize("role", ["revisor", "supervisor", "entrega", "admin_estatal"])
def test_staff_outside_reporting_do_not_open_the_calendar(app, login, role):
    assert login(make_staff(role)).get(CALENDAR).status_code == 403


def test_a_citizen_and_a_stranger_are_kept_out(app, client):
    for url in (CALENDAR, NEW, OVERDUE, NOTICES):
        assert client.get(url).status_code == 302  # to the staff sign-in
    from tests.conftest import sign_in_as

    sign_in_as(client, make_citizen())
    for url in (CALENDAR, NEW, OVERDUE, NOTICES):
        assert client.get(url).status_code == 403


def test_an_agency_sees_only_its_own_obligations(app, login):
    world = agency_world()
    mine = make_obligation(world["a"], title="Reglas de la dependencia A")
    theirs = make_obligation(world["b"], title="Reglas de la dependencia B")
    page = html(login(world["admin_a"]).get(CALENDAR))
    assert page.select_one(f"#obligacion-{mine.id}") is not None
    assert page.select_one(f"#obligacion-{theirs.id}") is None
    assert "dependencia B" not in page_text(page)


def test_an_agency_marks_its_obligation_done_but_not_another_agencys(app, login):
    world = agency_world()
    mine = make_obligation(world["a"])
    theirs = make_obligation(world["b"])
    client = login(world["admin_a"])
    assert client.post(f"/oficina/secretaria/obligaciones/{theirs.id}/cumplida").status_code == 404
    assert ReportObligation.get_by_id(theirs.id).done_at is None
    assert client.post(f"/oficina/secretaria/obligaciones/{mine.id}/cumplida").status_code == 303
    assert ReportObligation.get_by_id(mine.id).done_at is not None
    # Twice is once: one audit entry.
    assert client.post(f"/oficina/secretaria/obligaciones/{mine.id}/cumplida").status_code == 303
    assert AuditEvent.select().where(AuditEvent.action == "obligacion.cumplida").count() == 1
    page = html(client.get(CALENDAR))
    assert "Cumplida" in page_text(page.select_one(f"#obligacion-{mine.id}"))
    assert client.post("/oficina/secretaria/obligaciones/999999/cumplida").status_code == 404


def test_the_secretariat_does_not_mark_an_agencys_obligation_done(app, login):
    obligation = make_obligation()
    client = login(make_secretariat())
    assert (
        client.post(f"/oficina/secretaria/obligaciones/{obligation.id}/cumplida").status_code == 403
    )


def test_the_state_board_lists_every_agencys_overdue_obligations_only(app, login):
    world = agency_world()
    due_soon = make_obligation(world["a"], title="Todavía a tiempo")
    late_a = make_obligation(world["a"], title="Atrasada A")
    late_b = make_obligation(world["b"], title="Atrasada B")
    done = make_obligation(world["b"], title="Cumplida B")
    yesterday = local_today() - dt.timedelta(days=1)
    ReportObligation.update(due_on=yesterday).where(
        ReportObligation.id.in_([late_a.id, late_b.id, done.id])
    ).execute()
    calendar.complete(done, calendar.Actor.staff(world["admin_b"]))
    page = html(login(make_secretariat()).get(OVERDUE))
    listed = {row["id"] for row in page.select("#vencidas tbody tr")}
    assert listed == {f"obligacion-{late_a.id}", f"obligacion-{late_b.id}"}
    assert due_soon.id not in {int(x.split("-")[1]) for x in listed}


def test_the_secretariat_sees_every_agencys_calendar(app, login):
    world = agency_world()
    a, b = make_obligation(world["a"]), make_obligation(world["b"])
    page = html(login(make_secretariat()).get(CALENDAR))
    assert page.select_one(f"#obligacion-{a.id}") and page.select_one(f"#obligacion-{b.id}")
    assert not page.select("#obligaciones form")  # only agencies mark their own


# Reminders -----------------------------------------------------------------------------


def test_a_reminder_arrives_by_email_and_inbox_once(app, login, smtp):
    world = agency_world()
    colleague = make_staff("admin_dependencia", world["a"])
    reviewer = make_staff("revisor", world["a"])
    soon = make_obligation(world["a"], days=3, remind_days=5, title="Padrón de noviembre")
    later = make_obligation(world["a"], days=30, remind_days=5)
    assert calendar.send_reminders() == 1
    # QUEUE_IMMEDIATE under tests: the reminder's commit woke the sender.
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(
        [world["admin_a"].email, colleague.email]
    )
    message = email.message_from_bytes(smtp.messages[0].content, policy=email.policy.default)
    assert "Padrón de noviembre" in message["Subject"]
    assert "Padrón de noviembre" in message.get_content()
    assert StaffOutbox.select().where(StaffOutbox.status == "enviado").count() == 2
    assert ReportObligation.get_by_id(soon.id).reminded_at is not None
    assert ReportObligation.get_by_id(later.id).reminded_at is None
    assert not StaffNotice.select().where(StaffNotice.staff == reviewer.id).exists()
    assert not StaffNotice.select().where(StaffNotice.staff == world["admin_b"].id).exists()
    # Idempotent: the next run (or a second consumer) sends nothing again.
    assert calendar.send_reminders() == 0
    assert len(smtp.messages) == 2
    client = login(world["admin_a"])
    page = html(client.get(NOTICES))
    assert "Padrón de noviembre" in page_text(page.select_one("#avisos"))
    assert "Nuevo" in page_text(page.select_one("#avisos"))
    assert "Nuevo" not in page_text(html(client.get(NOTICES)).select_one("#avisos"))


def test_reminder_day_is_configurable_and_done_obligations_are_not_reminded(app):
    world = agency_world()
    today = local_today()
    week = make_obligation(world["a"], days=7, remind_days=7)
    six = make_obligation(world["a"], days=7, remind_days=6)
    done = make_obligation(world["a"], days=1, remind_days=5)
    calendar.complete(done, calendar.Actor.staff(world["admin_a"]))
    assert calendar.send_reminders(today) == 1
    assert ReportObligation.get_by_id(week.id).reminded_at is not None
    assert ReportObligation.get_by_id(six.id).reminded_at is None
    assert calendar.send_reminders(today + dt.timedelta(days=1)) == 1
    assert ReportObligation.get_by_id(done.id).reminded_at is None


def test_a_mail_outage_keeps_the_reminder_for_a_retry(app, smtp):
    # The server runs, but the portal is pointed where nothing listens.
    world = agency_world()
    app.config.update(MAIL_PORT=1)  # nothing listens there
    make_obligation(world["a"], days=2)
    assert calendar.send_reminders() == 1
    row = StaffOutbox.get()
    assert (row.status, row.attempts, row.last_error) == ("pendiente", 1, "ConnectionRefusedError")
    assert smtp.messages == []


def test_one_staff_member_never_sees_anothers_notices(app, login):
    world = agency_world()
    make_obligation(world["a"], days=1)
    calendar.send_reminders()
    page = html(login(world["admin_b"]).get(NOTICES))
    assert page.select_one("#sin-avisos") is not None
    assert inbox.mark_read(world["admin_b"], [n.id for n in StaffNotice.select()]) == 0


def test_the_queue_tasks_remind_and_retry_until_the_mail_server_answers(app, smtp):
    from portal.secretariat import tasks

    world = agency_world()
    port = app.config["MAIL_PORT"]
    app.config.update(MAIL_PORT=1)  # the mail server is down at first
    make_obligation(world["a"], days=2, title="Reglas de operación 2027")
    tasks.remind_report_obligations_every_morning()
    row = StaffOutbox.get()
    assert (row.status, row.attempts) == ("pendiente", 1)
    app.config.update(MAIL_PORT=port)
    # Before its backoff has passed the row waits; after it, it goes out once.
    assert inbox.deliver_due(inbox.senders_config(app.config))["enviado"] == 0
    later = row.next_attempt_at + dt.timedelta(seconds=1)
    assert inbox.deliver_due(inbox.senders_config(app.config), now=later)["enviado"] == 1
    assert len(smtp.messages) == 1
    assert StaffOutbox.get_by_id(row.id).status == "enviado"
    tasks.remind_report_obligations_every_morning()
    assert len(smtp.messages) == 1
