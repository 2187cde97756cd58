"""In Chromium, with axe: a lost QR replaced from the back office (JavaScript on
and off), and the person reading who looked at their record in /mis-datos."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.citizens import record as citizens
from portal.delivery import handover as delivery
from portal.models import Citizen
from portal.web.extensions import db
from portal.web.sessions import create_session_row
from tests.factories import make_agency, make_delivery_world

from .conftest import assert_accessible, portal_of_its_own


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with portal_of_its_own(tmp_path_factory.mktemp("credenciales-e2e")) as (app, address):
        db.connect(reuse_if_open=True)
        yield app, address


def _world():
    world = make_delivery_world(make_agency(name="Secretaría de Desarrollo Social"))
    Citizen.update(privacy_version=citizens.PRIVACY_VERSION).where(
        Citizen.id == world["citizen"].id
    ).execute()
    return world


def signed_in(browser, base_url, user, javascript=True):
    sid = create_session_row({"_user_id": user.get_id(), "_fresh": True})
    context = browser.new_context(base_url=base_url, java_script_enabled=javascript)
    context.add_cookies([{"name": "vu_sesion", "value": sid, "url": base_url}])
    return context


@pytest.mark.parametrize("javascript", [True, False])
def test_an_operator_replaces_a_lost_qr_and_the_person_sees_who_looked(browser, server, javascript):
    app, base_url = server
    with app.app_context():
        world = _world()
    operator = signed_in(browser, base_url, world["operator"], javascript)
    page = operator.new_page()
    page.goto("/oficina/credenciales")
    if javascript:
        assert_accessible(page)
    page.get_by_label("Folio de la solicitud").fill(world["application"].folio)
    page.get_by_role("button", name="Buscar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Credencial de entrega")
    if javascript:
        assert_accessible(page)
    page.locator("#reponer-motivo").select_option("perdida")
    page.get_by_role("button", name="Reponer").click()
    expect(page.locator(".flashes .notice-ok")).to_contain_text("Credencial repuesta")
    if javascript:
        assert_accessible(page)
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert delivery.current_credential(world["application"]).id != world["credential"].id

    person = signed_in(browser, base_url, world["citizen"], javascript).new_page()
    person.goto("/mis-datos")
    table = person.locator("table.record-views")
    expect(table).to_contain_text("Ana Operadora")
    expect(table).to_contain_text("Entrega de su apoyo")
    if javascript:
        assert_accessible(person)
