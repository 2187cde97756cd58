"""Delivery credentials: issuing, checking every bad token, delivering once,
the holder's QR page, the operator's pages and the offline CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from portal.applications.folio import new_folio
from portal.backoffice.audit import verify as verify_audit
from portal.delivery import credentials
from portal.delivery import handover as delivery
from portal.models import (
    Application,
    ApplicationEvent,
    AuditEvent,
    Credential,
    Delivery,
    DeliveryPoint,
)
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_delivery_point,
    make_delivery_world,
    make_program,
    make_staff,
)
from tests.support.html import html

TODAY = dt.date.today()


@pytest.fixture
def keys(app):
    private_key = app.extensions["credential_private_key"]
    return private_key, private_key.public_key()


@pytest.fixture
def world(app):
    return make_delivery_world()


def token_of(credential, keys) -> str:
    return delivery.token_for(Credential.get_by_id(credential.id), keys[0])


def id_check() -> delivery.IdCheck:
    return delivery.IdCheck.parse("ine", "4821")


def confirmation(credential, point, last4: str = "4821") -> dict:
    """What the operator's confirmation form posts."""
    return {
        "credencial": credential.credential_id,
        "punto": point.id,
        "tipo_identificacion": "ine",
        "ultimos4": last4,
        "revisada": "y",
    }


# Issuing ----------------------------------------------------------------------


def test_an_approved_application_gets_one_credential_and_issuing_again_returns_it(world):
    again = delivery.issue_credential(world["application"])
    assert again.id == world["credential"].id
    assert Credential.select().count() == 1
    credential = world["credential"]
    # Issued on the day the fixture ran, which may be past midnight after TODAY was set.
    assert credential.issued_on in (TODAY, dt.date.today())
    assert credential.expires_on == credential.issued_on + dt.timedelta(days=delivery.VALID_DAYS)


@pytest.mark.parametrize(
    "status", ["enviada", "en_revision", "rechazada", "cancelada", "entregada"]
)
def test_only_an_approved_application_gets_a_credential(app, status):
    application = make_application(status=status, folio=new_folio(year=2026))
    with pytest.raises(delivery.DeliveryError, match="aprobada"):
        delivery.issue_credential(application)
    assert Credential.select().count() == 0


def test_the_token_signs_the_folio_program_and_credential_id(world, keys):
    claims = credentials.verify(token_of(world["credential"], keys), keys[1])
    assert claims.folio == world["application"].folio
    assert claims.program_id == world["program"].id
    assert claims.credential_id == world["credential"].credential_id


def test_issuing_is_audited_without_the_token(world, keys):
    entry = AuditEvent.get(AuditEvent.action == "credencial.emitida")
    assert entry.object_id == world["application"].folio
    assert token_of(world["credential"], keys) not in json.dumps(entry.details)


# Checking: every bad kind of token has its reason -----------------------------


def test_a_genuine_token_is_valid_for_an_operator_of_the_agency(world, keys):
    verdict = delivery.check_token(token_of(world["credential"], keys), keys[1], world["operator"])
    assert verdict.ok and verdict.signature_checked
    assert verdict.application.id == world["application"].id


def test_a_credential_url_in_any_case_is_read_like_its_token(world, keys):
    url = credentials.credential_url(token_of(world["credential"], keys), "https://v.example.org")
    assert delivery.check_token(url.lower(), keys[1], world["operator"]).ok


def test_a_token_signed_with_another_key_is_forged(world, keys):
    other_private, _ = credentials.generate_keypair()
    forged = delivery.token_for(world["credential"], other_private)
    verdict = delivery.check_token(forged, keys[1], world["operator"])
    assert verdict.code == "falsa" and verdict.application is None
    assert "falsa o fue alterada" in verdict.message


def test_an_altered_token_is_refused(world, keys):
    token = token_of(world["credential"], keys)
    raw = bytearray(int(token).to_bytes(credentials.TOKEN_BYTES, "big"))
    raw[15] ^= 1  # a folio character
    altered = str(int.from_bytes(raw, "big")).zfill(credentials.TOKEN_DIGITS)
    assert delivery.check_token(altered, keys[1], world["operator"]).code in {"falsa", "malformada"}


@pytest.mark.parametrize("garbage", ["", "hola", "1" * 211, "9" * 212, "https://x/E/123"])
def test_garbage_is_not_a_credential(world, keys, garbage):
    verdict = delivery.check_token(garbage, keys[1], world["operator"])
    assert verdict.code == "malformada"
    assert verdict.message == "El código no es una credencial del portal o está incompleto."


def test_an_expired_token_is_refused_with_its_date(world, keys):
    token = token_of(world["credential"], keys)
    later = world["credential"].expires_on + dt.timedelta(days=1)
    verdict = delivery.check_token(token, keys[1], world["operator"], today=later)
    assert verdict.code == "vencida" and verdict.expires == world["credential"].expires_on


def test_a_genuine_signature_on_an_unregistered_credential_is_refused(world, keys):
    claims = credentials.CredentialClaims(
        credentials.new_credential_id(),
        world["application"].folio,
        world["program"].id,
        TODAY,
        None,
    )
    verdict = delivery.check_token(credentials.sign(claims, keys[0]), keys[1], world["operator"])
    assert verdict.code == "desconocida"


def test_an_operator_of_another_agency_is_told_other_program_and_sees_nothing(world, keys):
    stranger = make_staff("entrega", agency=make_agency())
    verdict = delivery.check_token(token_of(world["credential"], keys), keys[1], stranger)
    assert verdict.code == "otro_programa" and verdict.application is None


def test_reissuing_invalidates_the_old_token(world, keys):
    old_token = token_of(world["credential"], keys)
    new = delivery.reissue(world["application"], world["operator"], "Perdió su teléfono")
    assert delivery.check_token(old_token, keys[1], world["operator"]).code == "reemplazada"
    assert delivery.check_token(token_of(new, keys), keys[1], world["operator"]).ok
    old = Credential.get_by_id(world["credential"].id)
    assert old.superseded_by_id == new.id and old.reason == "Perdió su teléfono"


def test_revoking_invalidates_the_token(world, keys):
    token = token_of(world["credential"], keys)
    delivery.revoke(world["application"], None, "Solicitud cancelada")
    assert delivery.check_token(token, keys[1], world["operator"]).code == "revocada"
    assert delivery.current_credential(world["application"]) is None


@pytest.mark.parametrize("action", [delivery.reissue, delivery.revoke])
def test_reissue_and_revoke_need_a_reason(world, action):
    with pytest.raises(delivery.DeliveryError, match="motivo"):
        action(world["application"], None, "  ")


def test_an_application_no_longer_approved_is_refused(world, keys):
    Application.update(status="cancelada").where(
        Application.id == world["application"].id
    ).execute()
    verdict = delivery.check_token(token_of(world["credential"], keys), keys[1], world["operator"])
    assert verdict.code == "no_aprobada"


def test_a_delivered_credential_is_refused_with_when_where_and_who(world, keys):
    delivery.confirm_delivery(world["credential"], world["operator"], world["point"], id_check())
    verdict = delivery.check_token(token_of(world["credential"], keys), keys[1], world["operator"])
    assert verdict.code == "entregada"
    assert verdict.delivery.point.name == "Oficinas centrales"
    assert verdict.delivery.operator.name == "Ana Operadora"


def test_a_typed_folio_is_checked_without_signature_and_scoped_to_the_agency(world):
    folio = world["application"].folio
    verdict = delivery.check_folio(folio.lower(), world["operator"], "QRO")
    assert verdict.ok and not verdict.signature_checked
    stranger = make_staff("entrega", agency=make_agency())
    assert delivery.check_folio(folio, stranger, "QRO").code == "folio_desconocido"


# Confirming -------------------------------------------------------------------


def test_confirming_delivers_records_the_event_and_audits(world):
    outcome = delivery.confirm_delivery(
        world["credential"], world["operator"], world["point"], id_check()
    )
    assert outcome.delivered
    assert Application.get_by_id(world["application"].id).status == "entregada"
    record = Delivery.get()
    assert (record.id_type, record.id_last4, record.point_id) == ("ine", "4821", world["point"].id)
    event = ApplicationEvent.get(ApplicationEvent.application == world["application"])
    assert (event.from_status, event.to_status, event.actor_staff_id) == (
        "aprobada",
        "entregada",
        world["operator"].id,
    )
    entry = AuditEvent.get(AuditEvent.action == "entrega.confirmada")
    assert "4821" not in json.dumps(entry.details)
    assert verify_audit() is None


def test_a_second_confirmation_is_refused_and_audited(world):
    delivery.confirm_delivery(world["credential"], world["operator"], world["point"], id_check())
    second = make_staff("entrega", agency=world["agency"])
    outcome = delivery.confirm_delivery(world["credential"], second, world["point"], id_check())
    assert not outcome.delivered and outcome.verdict.code == "entregada"
    assert outcome.delivery.operator_id == world["operator"].id
    assert Delivery.select().count() == 1
    refused = AuditEvent.get(AuditEvent.action == "entrega.rechazada")
    assert refused.outcome == "rechazada" and refused.details["motivo"] == "entregada"


def test_a_point_of_another_program_is_refused(world):
    elsewhere = make_delivery_point(make_program(world["agency"]))
    with pytest.raises(delivery.DeliveryError, match="punto de entrega"):
        delivery.confirm_delivery(world["credential"], world["operator"], elsewhere, id_check())
    assert Delivery.select().count() == 0


@pytest.mark.parametrize(
    ("id_type", "last4", "message"),
    [
        ("", "1234", "tipo de identificación"),
        ("ine", "12", "últimos 4"),
        ("ine", "12345", "últimos 4"),
        ("ine", "12$4", "últimos 4"),
    ],
)
def test_bad_id_checks_are_explained(id_type, last4, message):
    with pytest.raises(delivery.DeliveryError, match=message):
        delivery.IdCheck.parse(id_type, last4)


def test_the_last_four_are_normalised():
    assert delivery.IdCheck.parse("pasaporte", " g1-2b ").last4 == "G12B"


# Keys -------------------------------------------------------------------------


def test_development_keeps_a_generated_key_in_the_instance_folder(tmp_path):
    first = delivery.signing_key("", str(tmp_path), production=False)
    again = delivery.signing_key("", str(tmp_path), production=False)
    assert credentials.key_id(first.public_key()) == credentials.key_id(again.public_key())
    assert (tmp_path / delivery.KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_production_refuses_to_start_without_the_key(tmp_path):
    tmp_path = tmp_path / "produccion"
    with pytest.raises(delivery.DeliveryError, match="CREDENTIAL_PRIVATE_KEY"):
        delivery.signing_key("", str(tmp_path), production=True)
    configured = credentials.private_key_base64(credentials.generate_keypair()[0])
    assert delivery.signing_key(configured, str(tmp_path), production=True)
    assert not (tmp_path / delivery.KEY_FILE).exists()


# The holder's pages -----------------------------------------------------------


def test_the_holder_sees_the_qr_inline_with_a_png_download(world, login, keys):
    client = login(world["application"].citizen)
    folio = world["application"].folio
    page = html(client.get(f"/mis-solicitudes/{folio}/credencial"))
    svg = page.select_one(".qr-box svg[role=img]")
    assert svg is not None and svg.title.get_text() == "Código QR de la credencial de entrega"
    link = page.find("a", href=f"/mis-solicitudes/{folio}/credencial.png")
    assert link is not None
    png = client.get(link["href"])
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert "attachment" in png.headers["Content-Disposition"]
    assert png.headers["Cache-Control"] == "no-store"


def test_another_citizen_gets_404_for_the_credential_and_its_png(world, login):
    client = login(make_citizen())
    folio = world["application"].folio
    assert client.get(f"/mis-solicitudes/{folio}/credencial").status_code == 404
    assert client.get(f"/mis-solicitudes/{folio}/credencial.png").status_code == 404


def test_staff_cannot_open_a_citizens_credential_page(world, login):
    client = login(world["operator"])
    assert (
        client.get(f"/mis-solicitudes/{world['application'].folio}/credencial").status_code == 403
    )


def test_a_delivered_application_shows_no_qr(world, login):
    delivery.confirm_delivery(world["credential"], world["operator"], world["point"], id_check())
    client = login(world["application"].citizen)
    folio = world["application"].folio
    page = html(client.get(f"/mis-solicitudes/{folio}/credencial"))
    assert page.select_one("svg") is None
    assert "Apoyo entregado" in page.get_text()
    assert client.get(f"/mis-solicitudes/{folio}/credencial.png").status_code == 404


# Public pages -----------------------------------------------------------------


def test_the_public_key_is_published_as_a_jwk_set(app, client, keys):
    response = client.get("/.well-known/credenciales.json")
    assert response.json == {"keys": [credentials.public_key_jwk(keys[1])]}
    assert response.headers["Cache-Control"] == "public, max-age=3600"


def test_a_camera_app_opening_the_qr_url_sees_authenticity_without_the_name(world, client, keys):
    token = token_of(world["credential"], keys)
    for path in (f"/E/{token}", f"/e/{token}"):
        response = client.get(path)
        page = html(response)
        assert response.status_code == 200
        assert "Credencial auténtica y vigente" in page.get_text()
        assert world["application"].citizen.first_surname not in page.get_text()
    assert AuditEvent.select().where(AuditEvent.action == "entrega.verificacion").count() == 0


def test_a_forged_qr_url_says_why(world, client):
    response = client.get("/E/" + "7" * 212)
    assert response.status_code == 422
    assert "no sirve para recibir el apoyo" in html(response).get_text()


# The delivery point -----------------------------------------------------------


@pytest.mark.parametrize("role", ["revisor", "admin_dependencia", "admin_estatal"])
def test_only_delivery_operators_enter_the_delivery_pages(world, login, role, keys):
    client = login(make_staff(role, agency=None if role == "admin_estatal" else world["agency"]))
    assert client.get("/entrega").status_code == 403
    assert (
        client.post("/entrega/verificar", data={"codigo": world["application"].folio}).status_code
        == 403
    )
    assert client.post("/entrega/confirmar", data={"credencial": "x"}).status_code == 403


def test_a_citizen_cannot_enter_the_delivery_pages(world, login):
    client = login(world["application"].citizen)
    assert client.get("/entrega").status_code == 403


def test_the_delivery_page_allows_the_camera_and_loads_the_scanner_there_only(world, login, client):
    login(world["operator"])
    response = client.get("/entrega")
    assert response.headers["Permissions-Policy"].startswith("camera=(self)")
    scripts = [s["src"] for s in html(response).select("script[src]")]
    assert any("/vendor/jsQR." in s for s in scripts) and any("/js/scanner." in s for s in scripts)
    assert html(response).select_one("#escaner")["hidden"] is not None
    home = client.get("/")
    assert "camera=()" in home.headers["Permissions-Policy"]
    assert not any("jsQR" in s["src"] for s in html(home).select("script[src]"))


def test_an_operator_scans_sees_the_person_and_confirms(world, login, client, keys):
    login(world["operator"])
    token = token_of(world["credential"], keys)
    response = client.post("/entrega/verificar", data={"codigo": f"HTTP://X.MX/E/{token}"})
    page = html(response)
    assert response.status_code == 200
    text = page.get_text(" ")
    assert "Credencial válida" in text and "María Gómez Ruiz" in text and "$1,500 bimestral" in text
    assert "Verificada con la llave pública" in text
    confirm = client.post(
        "/entrega/confirmar",
        data=confirmation(world["credential"], world["point"]),
    )
    assert confirm.status_code == 303
    receipt = client.get(confirm.headers["Location"])
    assert "Entrega registrada" in html(receipt).get_text()
    assert Application.get_by_id(world["application"].id).status == "entregada"
    assert AuditEvent.get(AuditEvent.action == "entrega.verificacion").details["medio"] == "codigo"


def test_the_htmx_confirmation_returns_the_result_fragment(world, login, client):
    login(world["operator"])
    response = client.post(
        "/entrega/confirmar",
        headers={"HX-Request": "true"},
        data=confirmation(world["credential"], world["point"]),
    )
    page = html(response)
    assert response.status_code == 200 and page.html is None
    assert page.select_one("#veredicto").get_text() == "Entrega registrada"


def test_a_second_attempt_shows_when_where_and_by_whom(world, login, client, keys):
    delivery.confirm_delivery(world["credential"], world["operator"], world["point"], id_check())
    login(make_staff("entrega", agency=world["agency"]))
    response = client.post(
        "/entrega/verificar", data={"codigo": token_of(world["credential"], keys)}
    )
    text = html(response).get_text(" ")
    assert response.status_code == 409
    assert "Ya entregado" in text and "Oficinas centrales" in text and "Ana Operadora" in text


def test_a_second_confirmation_through_the_form_is_refused(world, login, client):
    delivery.confirm_delivery(world["credential"], world["operator"], world["point"], id_check())
    login(make_staff("entrega", agency=world["agency"]))
    response = client.post(
        "/entrega/confirmar",
        data=confirmation(world["credential"], world["point"], last4="9999"),
    )
    assert response.status_code == 409
    assert Delivery.select().count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("revisada", "", "Confirme que revisó la identificación"),
        ("tipo_identificacion", "", "Elija el tipo de identificación"),
        ("ultimos4", "", "Escriba los últimos 4 caracteres"),
        ("ultimos4", "12", "últimos 4 caracteres del número"),
        ("punto", "999999", "Not a valid choice"),
    ],
)
def test_bad_confirmations_are_explained_and_write_nothing(
    world, login, client, field, value, message
):
    login(world["operator"])
    data = confirmation(world["credential"], world["point"])
    data[field] = value
    response = client.post("/entrega/confirmar", data=data)
    assert response.status_code == 422
    if message != "Not a valid choice":
        assert message in html(response).select_one(".error-summary").get_text()
    assert Delivery.select().count() == 0
    assert Application.get_by_id(world["application"].id).status == "aprobada"


def test_a_retired_point_is_not_offered_but_past_deliveries_still_name_it(
    world, login, client, keys
):
    delivery.confirm_delivery(world["credential"], world["operator"], world["point"], id_check())
    # Removed from the program after that delivery (portal.catalog.store.save_delivery_points).
    DeliveryPoint.update(active=False).where(DeliveryPoint.id == world["point"].id).execute()
    make_delivery_point(world["program"], name="Módulo norte")
    waiting = delivery.issue_credential(
        make_application(program=world["program"], status="aprobada")
    )
    login(world["operator"])
    page = html(client.post("/entrega/verificar", data={"codigo": token_of(waiting, keys)}))
    assert [o.text for o in page.select("select[name=punto] option")] == ["Módulo norte"]
    response = client.post(
        "/entrega/confirmar",
        data=confirmation(waiting, world["point"]),
    )
    assert response.status_code == 422
    retired = DeliveryPoint.get_by_id(world["point"].id)
    with pytest.raises(delivery.DeliveryError, match="ya no está en uso"):
        delivery.confirm_delivery(waiting, world["operator"], retired, id_check())
    assert Delivery.select().count() == 1
    earlier = client.post(
        "/entrega/verificar", data={"codigo": token_of(world["credential"], keys)}
    )
    assert "Oficinas centrales" in html(earlier).get_text(" ")


def test_confirming_another_agencys_credential_is_404(world, login, client):
    login(make_staff("entrega", agency=make_agency()))
    response = client.post(
        "/entrega/confirmar", data={"credencial": world["credential"].credential_id}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Escriba el folio o pegue la dirección"),
        ("QRO-26-OOOOOOO", "no puede llevar «O»"),
        ("QRO-26-2222223", "error de escritura"),
    ],
)
def test_bad_typed_folios_are_explained(world, login, client, typed, message):
    login(world["operator"])
    response = client.post("/entrega/verificar", data={"codigo": typed})
    assert response.status_code == 422
    assert message in html(response).get_text()


def test_an_operator_opening_the_qr_url_gets_the_confirmation_form(world, login, client, keys):
    login(world["operator"])
    page = html(client.get(f"/E/{token_of(world['credential'], keys)}"))
    assert page.select_one("form[action='/entrega/confirmar']") is not None
    assert AuditEvent.get(AuditEvent.action == "entrega.verificacion").details["medio"] == "enlace"


def test_the_confirmation_needs_a_csrf_token(world, login, client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    login(world["operator"])
    response = client.post(
        "/entrega/confirmar",
        data={"credencial": world["credential"].credential_id, "punto": world["point"].id},
    )
    assert response.status_code == 400
    assert Delivery.select().count() == 0


def test_the_receipt_is_only_for_the_operators_agency(world, login, client):
    outcome = delivery.confirm_delivery(
        world["credential"], world["operator"], world["point"], id_check()
    )
    login(make_staff("entrega", agency=make_agency()))
    assert client.get(f"/entrega/entregas/{outcome.delivery.id}").status_code == 404


# Command line -----------------------------------------------------------------


def test_the_cli_exports_the_public_key_and_verifies_offline(world, app, keys, tmp_path):
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["credential", "export-public-key"])
    assert json.loads(exported.output) == {"keys": [credentials.public_key_jwk(keys[1])]}
    key_file = tmp_path / "llave.json"
    key_file.write_text(exported.output)
    token = token_of(world["credential"], keys)
    result = runner.invoke(args=["credential", "verify", token, "--public-key", str(key_file)])
    assert result.exit_code == 0, result.output
    assert "firma válida" in result.output and world["application"].folio in result.output
    pem = runner.invoke(args=["credential", "export-public-key", "--format", "pem"]).output
    key_file.write_text(pem)
    forged = delivery.token_for(world["credential"], credentials.generate_keypair()[0])
    refused = runner.invoke(args=["credential", "verify", forged, "--public-key", str(key_file)])
    assert refused.exit_code == 1 and "falsa o fue alterada" in refused.output


def test_the_cli_explains_an_unusable_key_file(app, tmp_path):
    key_file = tmp_path / "llave.txt"
    key_file.write_text("no es una llave")
    result = app.test_cli_runner().invoke(
        args=["credential", "verify", "1" * 212, "--public-key", str(key_file)]
    )
    assert result.exit_code == 1 and "la llave pública no sirve" in result.output


def test_a_confirmation_without_its_credential_asks_to_look_it_up_again(world, login, client):
    login(world["operator"])
    data = confirmation(world["credential"], world["point"])
    del data["credencial"]
    response = client.post("/entrega/confirmar", data=data)
    assert response.status_code == 422
    summary = html(response).find(class_="error-summary").get_text()
    assert "Busque otra vez el folio o el código QR" in summary
    assert Delivery.select().count() == 0
