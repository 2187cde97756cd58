"""Benefits over time in Chromium: the beneficiary sees their next payment date
and place and their history; the operator delivers period 2 and cannot deliver
it twice."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from portal.delivery import calendar, periods
from portal.models import Delivery
from portal.web.extensions import db
from tests.delivery.period_builders import confirm, make_beneficiary
from tests.factories import make_staff

from .conftest import assert_accessible, portal_of_its_own
from .test_delivery_e2e import signed_in


@pytest.fixture(scope="module")
def periods_server(tmp_path_factory):
    """A portal of its own, with none of the demo data."""
    with portal_of_its_own(tmp_path_factory.mktemp("periodos-e2e")) as (app, address):
        db.connect(reuse_if_open=True)
        yield app, address


def test_a_beneficiary_sees_the_next_payment_and_the_operator_delivers_period_2_once(
    browser, periods_server
):
    _, base_url = periods_server
    application, credential, point, operator = make_beneficiary()
    assert confirm(credential, operator, point, period=1).delivered
    second = periods.program_periods(application.program)[1]
    admin = make_staff("admin_dependencia", agency=application.program.agency)
    calendar.set_date(
        application.program, 2, second.starts, point.id, admin, hours="de 9:00 a 15:00"
    )
    folio = application.folio

    person = signed_in(browser, base_url, application.citizen)
    page = person.new_page()
    page.goto(f"/mis-solicitudes/{folio}")
    expect(page.locator("#periodo-actual")).to_contain_text("Ya puede recoger su apoyo")
    expect(page.locator("#periodo-actual")).to_contain_text("Periodo 2")
    expect(page.locator("#fecha-entrega")).to_contain_text("de 9:00 a 15:00")
    expect(page.locator("#fecha-entrega")).to_contain_text(point.name)
    history = page.locator(".benefit-history table tbody tr")
    expect(history).to_have_count(6)
    expect(history.nth(0)).to_contain_text("Entregado")
    expect(history.nth(0)).to_contain_text(point.name)
    expect(history.nth(1)).to_contain_text("Por entregar")
    assert_accessible(page)

    desk = signed_in(browser, base_url, operator)
    counter = desk.new_page()
    counter.goto("/entrega")
    counter.fill("#codigo", folio)
    counter.get_by_role("button", name="Buscar").click()
    expect(counter.locator("#veredicto")).to_have_text("Credencial válida")
    expect(counter.locator("#periodo-por-entregar")).to_contain_text("Periodo 2")
    assert_accessible(counter)
    counter.select_option("#punto", label=point.name)
    counter.select_option("#tipo_identificacion", "ine")
    counter.fill("#ultimos4", "4821")
    counter.check("#revisada")
    counter.get_by_role("button", name="Confirmar la entrega").click()
    expect(counter.locator("#veredicto")).to_have_text("Entrega registrada")
    expect(counter.locator(".verdict")).to_contain_text("periodo 2")
    assert_accessible(counter)

    # The same person again: period 2 was delivered, period 3 has not started.
    counter.fill("#codigo", folio)
    counter.get_by_role("button", name="Buscar").click()
    expect(counter.locator("#veredicto")).to_have_text("Ya entregado")
    expect(counter.locator("#periodo-entregado")).to_contain_text("Periodo 2")
    expect(counter.get_by_role("button", name="Confirmar la entrega")).to_have_count(0)
    assert_accessible(counter)
    desk.close()
    assert Delivery.select().where(Delivery.application == application.id).count() == 2

    page.reload()
    expect(page.locator("#periodo-actual")).to_contain_text("Su siguiente pago")
    expect(page.locator("#periodo-actual")).to_contain_text("Periodo 3")
    expect(history.nth(1)).to_contain_text("Entregado")
    assert_accessible(page)
    person.close()


def test_an_agency_admin_sets_a_delivery_date_on_the_calendar_page(browser, periods_server):
    _, base_url = periods_server
    application, credential, point, operator = make_beneficiary()
    program = application.program
    admin = make_staff("admin_dependencia", agency=program.agency)
    context = signed_in(browser, base_url, admin)
    page = context.new_page()
    page.goto("/oficina/calendario")
    assert_accessible(page)
    page.get_by_role("link", name=program.name).click()
    expect(page.locator("#calendario")).to_contain_text("Sin fecha")
    assert_accessible(page)
    first = periods.program_periods(program)[0]
    page.select_option("#periodo", "1")
    page.fill("#fecha", (first.ends + dt.timedelta(days=1)).isoformat())
    page.select_option("#punto", label=point.name)
    page.get_by_role("button", name="Guardar la fecha").click()
    expect(page.locator("#fecha-field")).to_contain_text("dentro del periodo 1")
    assert_accessible(page)
    page.fill("#fecha", first.starts.isoformat())
    page.fill("#horario", "de 10:00 a 13:00")
    page.get_by_role("button", name="Guardar la fecha").click()
    expect(page.locator(".flashes")).to_contain_text("Fecha guardada")
    expect(page.locator("#calendario")).to_contain_text(point.name)
    assert_accessible(page)
    context.close()
