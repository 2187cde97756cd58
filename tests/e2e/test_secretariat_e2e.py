"""The coordinating secretariat in Chromium (issue 17, items 5-7): the
secretariat sets an obligation (a past date first); the reminder arrives by
e-mail through a real SMTP server and in the agency's inbox; the agency sees it
due and sends its quarterly report; the secretariat returns it with a comment;
a thread goes back and forth with its read receipt. axe checks every page."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from portal.models import StaffUser
from portal.rights.holidays import local_today
from portal.secretariat import calendar
from portal.web.extensions import db
from tests.applications.test_notices import Inbox, free_port
from tests.factories import make_agency, make_program, make_staff

from .conftest import assert_accessible, portal_of_its_own
from .test_delivery_e2e import signed_in


@pytest.fixture(scope="module")
def secretariat_server(tmp_path_factory):
    port = free_port()
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    folder = tmp_path_factory.mktemp("secretaria-e2e")
    config = {"QUEUE_IMMEDIATE": True, "MAIL_HOST": "127.0.0.1", "MAIL_PORT": port}
    try:
        with portal_of_its_own(folder, **config) as (app, address):
            db.connect(reuse_if_open=True)
            yield app, address, received
    finally:
        controller.stop()


def _secretariat() -> StaffUser:
    member = make_staff("admin_estatal")
    StaffUser.update(role="secretaria").where(StaffUser.id == member.id).execute()
    return StaffUser.get_by_id(member.id)


def test_calendar_reminder_validation_and_a_thread(browser, secretariat_server):
    app, base_url, received = secretariat_server
    agency = make_agency(name="Secretaría de Desarrollo Social")
    program = make_program(agency, name="Tarjeta Contigo")
    admin = make_staff("admin_dependencia", agency)
    secretariat = _secretariat()
    due = local_today() + dt.timedelta(days=3)

    office = signed_in(browser, base_url, secretariat).new_page()
    office.goto("/oficina/secretaria/obligaciones/nueva")
    assert_accessible(office)
    office.select_option("#dependencia", label=agency.name)
    office.select_option("#programa", label=f"{program.name} ({agency.name})")
    office.select_option("#tipo", "avance_trimestral")
    office.fill("#titulo", "Avance del cuarto trimestre")
    office.fill("#fecha_limite", "2020-01-01")
    office.fill("#aviso_dias", "5")
    office.get_by_role("button", name="Agregar al calendario").click()
    expect(office.locator("#fecha_limite-error")).to_contain_text("ya pasó")
    assert_accessible(office)
    office.fill("#fecha_limite", due.isoformat())
    office.get_by_role("button", name="Agregar al calendario").click()
    expect(office.locator("#obligaciones")).to_contain_text("Avance del cuarto trimestre")
    assert_accessible(office)

    with app.app_context():  # the morning task the queue runs
        assert calendar.send_reminders() == 1
    assert [m.rcpt_tos for m in received.messages] == [[admin.email]]
    reminder = email.message_from_bytes(received.messages[0].content, policy=email.policy.default)
    assert "Avance del cuarto trimestre" in reminder["Subject"]

    agency_page = signed_in(browser, base_url, admin).new_page()
    agency_page.goto("/oficina/secretaria/avisos")
    expect(agency_page.locator("#avisos")).to_contain_text(
        "Recordatorio: Avance del cuarto trimestre"
    )
    assert_accessible(agency_page)
    agency_page.goto("/oficina/secretaria/calendario")
    expect(agency_page.locator("#obligaciones")).to_contain_text("Por vencer")
    assert_accessible(agency_page)
    agency_page.get_by_role("link", name="Enviar a validación").click()
    agency_page.get_by_role("button", name="Enviar a la Secretaría").click()
    expect(agency_page.locator("#trimestre-error")).to_contain_text("trimestre")
    assert_accessible(agency_page)
    agency_page.select_option("#trimestre", "4")
    agency_page.get_by_role("button", name="Enviar a la Secretaría").click()
    expect(agency_page.locator("#estado")).to_contain_text("Enviada")
    assert_accessible(agency_page)

    office.goto("/oficina/secretaria/validacion")
    assert_accessible(office)
    office.get_by_role("link", name="Avance del cuarto trimestre (trimestre 4)").click()
    office.get_by_role("button", name="Empezar la revisión").click()
    expect(office.locator("#estado")).to_contain_text("En revisión")
    assert_accessible(office)
    parts = office.locator("section[id^=parte-]")
    expect(parts).to_have_count(3)
    for index in range(3):
        part = parts.nth(index)
        verdict = "Devolver con comentario" if index == 1 else "Aceptar"
        part.get_by_label(verdict).check()
    office.get_by_role("button", name="Guardar la decisión").click()
    expect(office.locator(".error-summary")).to_be_visible()
    assert_accessible(office)
    parts.nth(1).locator("textarea").fill("Falta el gasto de diciembre.")
    office.get_by_role("button", name="Guardar la decisión").click()
    expect(office.locator("#envios")).to_have_count(0)

    agency_page.reload()
    expect(agency_page.locator("#estado")).to_contain_text("Devuelta con comentarios")
    expect(agency_page.locator("section[id^=parte-]").nth(1)).to_contain_text(
        "Falta el gasto de diciembre."
    )
    assert_accessible(agency_page)
    agency_page.get_by_role("link", name="Escribir un mensaje sobre este envío").click()
    assert_accessible(agency_page)
    agency_page.fill("#asunto", "Gasto de diciembre")
    agency_page.fill(
        "#mensaje", "El gasto de diciembre se cierra el día 5. ¿Podemos enviarlo después?"
    )
    agency_page.get_by_role("button", name="Enviar el mensaje").click()
    expect(agency_page.locator("#mensajes")).to_contain_text("Sin leer todavía")
    assert_accessible(agency_page)

    office.goto("/oficina/secretaria/mensajes")
    expect(office.locator("#conversaciones")).to_contain_text("Sin leer")
    assert_accessible(office)
    office.get_by_role("link", name="Gasto de diciembre").click()
    office.fill("#mensaje", "Sí: envíelo a más tardar el día 8.")
    office.get_by_role("button", name="Enviar la respuesta").click()
    expect(office.locator("#mensajes")).to_contain_text("a más tardar el día 8")
    assert_accessible(office)

    agency_page.reload()
    expect(agency_page.locator("#mensajes li").first).to_contain_text("Leído")
    expect(agency_page.locator("#mensajes")).to_contain_text("a más tardar el día 8")
    assert_accessible(agency_page)
    # Each new message told the other side by e-mail too.
    recipients = [m.rcpt_tos[0] for m in received.messages]
    assert secretariat.email in recipients and recipients.count(admin.email) >= 2
