"""The citizen record as its owner sees it: privacy notice, /mis-datos, the
downloads, profile completion, correction requests, kiosk reset."""

from __future__ import annotations

import csv
import io
import json

import pytest

from portal.citizens import record as citizens
from portal.citizens.models import CorrectionRequest, Identity
from portal.models import AuditEvent, Citizen
from portal.territory.catalog import load_seed
from portal.web.kiosk import CLEAR_SITE_DATA, DEVICE_COOKIE, device_marker
from tests.factories import make_citizen, make_staff
from tests.support.html import html


@pytest.fixture
def citizen():
    return make_citizen(privacy_version=citizens.PRIVACY_VERSION, profile={"household_size": 3})


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/mis-datos")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/entrar")


def test_staff_cannot_open_citizen_pages(client, login):
    login(make_staff())
    assert client.get("/mis-datos").status_code == 403


def test_full_privacy_notice_is_public_and_cacheable(client):
    response = client.get("/privacidad")
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    assert html(response).h1.get_text() == "Aviso de privacidad integral"


def test_profile_editing_waits_for_the_privacy_notice(client, login):
    person = make_citizen()
    login(person)
    response = client.get("/mis-datos/editar")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/mis-datos/aviso")


def test_accepting_the_notice_stores_the_version(client, login):
    person = make_citizen()
    login(person)
    assert client.post("/mis-datos/aviso", data={}).status_code == 422
    assert Citizen.get_by_id(person.id).privacy_accepted_at is None
    response = client.post("/mis-datos/aviso", data={"accept": "y", "next": "/mis-datos"})
    assert response.headers["Location"] == "/mis-datos"
    stored = Citizen.get_by_id(person.id)
    assert stored.privacy_version == citizens.PRIVACY_VERSION and stored.privacy_accepted_at
    assert AuditEvent.get(AuditEvent.action == "privacy.accept").actor_id == person.id


def test_my_data_shows_everything_held(client, login, citizen):
    Identity.create(issuer="http://idp", subject="abc", citizen=citizen)
    login(citizen)
    page = html(client.get("/mis-datos"))
    text = page.get_text()
    assert citizen.curp in text and "Personas en el hogar" in text and "http://idp" in text
    assert "household_size" not in text
    assert page.find("a", href="/mis-datos/descargar.json")
    assert page.find("a", href="/mis-datos/descargar.csv")


def test_json_download_holds_the_record(client, login, citizen):
    login(citizen)
    response = client.get("/mis-datos/descargar.json")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["record"]["curp"] == citizen.curp
    assert data["questionnaire"] == {"household_size": 3}
    event = AuditEvent.get(AuditEvent.action == "record.export")
    assert event.details == {"format": "json"}


def test_csv_download_is_safe_against_formulas(client, login):
    person = make_citizen(
        privacy_version=citizens.PRIVACY_VERSION, road_name='=HYPERLINK("http://x")'
    )
    login(person)
    rows = list(
        csv.reader(io.StringIO(client.get("/mis-datos/descargar.csv").get_data(as_text=True)))
    )
    road = next(r for r in rows if r[2] == "Calle")
    assert road[3].startswith("'=")


def test_unknown_download_format_goes_back(client, login, citizen):
    login(citizen)
    assert client.get("/mis-datos/descargar.xml").status_code == 303


def test_profile_completion_saves_contact_and_address(client, login, citizen):
    load_seed()
    login(citizen)
    page = html(client.get("/mis-datos/editar"))
    assert page.find("select", attrs={"name": "municipality"}).find("option", value="22014")
    response = client.post(
        "/mis-datos/editar",
        data={
            "notify_channel": "sms",
            "phone": "4421234567",
            "email": "",
            "road_type": "Calle",
            "road_name": "Hidalgo",
            "exterior_number": "12",
            "settlement": "Colonia|Centro",
            "postal_code": "76000",
            "locality_code": "220140001",
            "municipality": "22014",
        },
    )
    assert response.status_code == 303
    stored = Citizen.get_by_id(citizen.id)
    assert (stored.phone, stored.notify_channel, stored.municipality_id, stored.state) == (
        "4421234567",
        "sms",
        "22014",
        "Querétaro",
    )
    assert (stored.locality, stored.locality_code, stored.settlement_name) == (
        "Santiago de Querétaro",
        "220140001",
        "Centro",
    )
    event = AuditEvent.get(AuditEvent.action == "record.update")
    assert "phone" in event.details["fields"] and "4421234567" not in json.dumps(event.details)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("phone", "12345", "10 dígitos"),
        ("postal_code", "7600", "5 dígitos"),
        ("email", "no-es-correo", "nombre@ejemplo.com"),
        ("municipality", "99999", "Not a valid choice"),
    ],
)
def test_profile_completion_rejects_bad_input(client, login, citizen, field, value, message):
    login(citizen)
    before = Citizen.get_by_id(citizen.id)
    response = client.post("/mis-datos/editar", data={"notify_channel": "portal", field: value})
    assert response.status_code == 422
    assert html(response).find(class_="error-summary")
    after = Citizen.get_by_id(citizen.id)
    assert (after.phone, after.postal_code, after.email) == (
        before.phone,
        before.postal_code,
        before.email,
    )


def test_sms_channel_needs_a_phone(client, login, citizen):
    login(citizen)
    response = client.post("/mis-datos/editar", data={"notify_channel": "sms"})
    assert response.status_code == 422
    assert "escriba su teléfono" in html(response).find(class_="error-summary").get_text()


def test_identity_fields_cannot_be_changed_by_posting_them(client, login, citizen):
    login(citizen)
    client.post(
        "/mis-datos/editar", data={"notify_channel": "portal", "curp": "X", "given_names": "Otra"}
    )
    stored = Citizen.get_by_id(citizen.id)
    assert stored.given_names == citizen.given_names and stored.curp == citizen.curp


def test_correction_request_is_stored_and_audited(client, login, citizen):
    login(citizen)
    page = html(client.get("/mis-datos/correccion"))
    values = [o["value"] for o in page.find("select").find_all("option")]
    # No digital ID linked: names can be corrected, and the questionnaire answers.
    assert "given_names" in values and "profile.household_size" in values
    response = client.post(
        "/mis-datos/correccion",
        data={
            "field": "profile.household_size",
            "requested_value": "4",
            "reason": "Nació mi hija",
        },
    )
    assert response.status_code == 303
    row = CorrectionRequest.get()
    assert (row.citizen_id, row.field, row.status) == (
        citizen.id,
        "profile.household_size",
        "pendiente",
    )
    assert AuditEvent.get(AuditEvent.action == "correction.request").object_id == str(row.id)


def test_names_from_the_digital_id_are_not_correctable_here(client, login, citizen):
    Identity.create(issuer="http://idp", subject="abc", citizen=citizen)
    login(citizen)
    response = client.post(
        "/mis-datos/correccion", data={"field": "given_names", "requested_value": "Otra"}
    )
    assert response.status_code == 422
    assert not CorrectionRequest.select().exists()


def test_correction_request_needs_a_value(client, login, citizen):
    login(citizen)
    response = client.post(
        "/mis-datos/correccion", data={"field": "given_names", "requested_value": ""}
    )
    assert response.status_code == 422
    assert "Escriba cómo debe decir" in html(response).get_text()
    assert not CorrectionRequest.select().exists()


def test_pages_with_personal_data_are_not_stored(client, login, citizen):
    login(citizen)
    assert client.get("/mis-datos").headers["Cache-Control"] == "no-store"


def test_kiosk_sign_out_clears_site_data_and_keeps_the_device_marker(app, client, login, citizen):
    marker = device_marker(1)
    client.set_cookie(DEVICE_COOKIE, marker)
    login(citizen)
    response = client.post("/salir", data={"reason": "idle"})
    assert response.headers["Clear-Site-Data"] == CLEAR_SITE_DATA
    assert response.headers["Location"] == "/"
    assert client.get_cookie(DEVICE_COOKIE).value == marker
    assert client.get("/mis-datos").status_code == 302


def test_kiosk_anonymous_reset_never_signs_anyone_out(client, login, citizen):
    client.set_cookie(DEVICE_COOKIE, device_marker(1))
    login(citizen)
    response = client.get("/kiosco/reinicio")
    assert "Clear-Site-Data" not in response.headers
    assert client.get("/mis-datos").status_code == 200


def test_extend_session_needs_a_signed_in_person(client, login, citizen):
    assert client.post("/sesion/extender").status_code == 401
    login(citizen)
    assert client.post("/sesion/extender").status_code == 204


def test_signed_in_pages_carry_the_idle_warning(client, login, citizen):
    login(citizen)
    dialog = html(client.get("/mis-datos")).find("dialog", id="session-warning")
    assert dialog["data-idle-seconds"] == "900" and dialog["data-kiosk"] == "false"
