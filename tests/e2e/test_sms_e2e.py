"""SMS both ways with a real SMSC and the receiver, seen by the person in Chromium:
BAJA from their phone makes /mis-datos say notices stay in the portal; choosing
SMS again on the edit page brings status SMS back, and ESTADO answers the phone
on file. axe finds nothing on either page."""

from __future__ import annotations

import threading

import pytest

from portal.applications import workflow as apps
from portal.catalog import geography as geo
from portal.models import Citizen
from portal.rights import privacy
from portal.sms import receiver
from portal.web.extensions import db
from tests.conftest import sign_in_as
from tests.factories import make_application, make_citizen
from tests.support.smsc import PASSWORD, SYSTEM_ID, Smsc

from .conftest import assert_accessible, portal_of_its_own

PHONE = "4421234567"
STAFF = apps.Actor("personal", None, "admin_estatal")


@pytest.fixture(scope="module")
def smsc():
    with Smsc() as server:
        yield server


@pytest.fixture(scope="module")
def portal(tmp_path_factory, smsc):
    config = {
        "SMS_BACKEND": "smpp",
        "SMPP_HOST": "127.0.0.1",
        "SMPP_PORT": smsc.port,
        "SMPP_SYSTEM_ID": SYSTEM_ID,
        "SMPP_PASSWORD": PASSWORD,
        "SMPP_SOURCE_ADDR": "30100",
        "SMPP_TIMEOUT": 1,
        "QUEUE_IMMEDIATE": True,
    }
    with portal_of_its_own(tmp_path_factory.mktemp("sms-e2e"), **config) as (app, base):
        stop = threading.Event()

        def serve():
            with app.app_context():
                db.connect(reuse_if_open=True)
                try:
                    receiver.run(app.config, stop)
                finally:
                    db.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        smsc.wait_for(lambda e: e["event"] == "bind" and e["mode"] == "transceiver")
        yield app, base
        stop.set()
        thread.join(timeout=10)


def _reply(smsc):
    """The next SMS to the phone, its segments joined (the UDH says how many)."""

    def to_phone(e):
        return e["event"] == "submit_sm" and e["destination_addr"] == "52" + PHONE

    first = smsc.wait_for(to_phone)
    total = int(first["udh"][6:8], 16) if first["udh"] else 1
    parts = [first] + [smsc.wait_for(to_phone) for _ in range(total - 1)]
    return {**first, "text": "".join(p["text"] for p in parts)}


def test_baja_by_sms_shows_on_the_page_and_choosing_sms_again_brings_it_back(browser, portal, smsc):
    app, base = portal
    with app.app_context():
        db.connect(reuse_if_open=True)
        citizen = make_citizen(
            phone=PHONE,
            notify_channel="sms",
            state=geo.load_state().name,
            privacy_version=privacy.current().version,
        )
        application = make_application(citizen, status="enviada")
        folio = application.folio
        client = app.test_client()
        sign_in_as(client, citizen)
        db.close()

    smsc.phone_sends("52" + PHONE, "Baja")
    assert _reply(smsc)["text"].startswith("Listo: ya no le enviaremos SMS.")

    context = browser.new_context()
    context.add_cookies(
        [{"name": "vu_sesion", "value": client.get_cookie("vu_sesion").value, "url": base}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/mis-datos")
    channel = page.locator("dt:has-text('Avisos por') + dd").inner_text()
    assert "portal" in channel and "mensaje" not in channel
    assert_accessible(page)

    page.goto(f"{base}/mis-datos/editar")
    page.check("input[name=notify_channel][value=sms]")
    assert_accessible(page)
    page.click("button[type=submit]:has-text('Guardar')")
    page.wait_for_url(f"{base}/mis-datos")
    assert "mensaje" in page.locator("dt:has-text('Avisos por') + dd").inner_text()
    context.close()

    with app.app_context():
        db.connect(reuse_if_open=True)
        assert Citizen.get_by_id(citizen.id).notify_channel == "sms"
        apps.transition(Citizen.get_by_id(citizen.id).applications.get(), "en_revision", STAFF)
        db.close()
    assert _reply(smsc)["text"].startswith(f"Solicitud {folio}: En revisión")

    smsc.phone_sends("52" + PHONE, f"ESTADO {folio}")
    assert _reply(smsc)["text"] == f"Ventanilla Única. Solicitud {folio}: en revisión."
