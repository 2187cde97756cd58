"""A lost QR credential replaced or revoked from the back office: who may, the
reason, the audit entry, the person's notice, the old code refused, the new one shown."""

from __future__ import annotations

import pytest

from portal.delivery import credentials
from portal.delivery import handover as delivery
from portal.models import Application, AuditEvent, Credential, Notice
from portal.vocabulary import AuditAction
from tests.conftest import sign_in_as
from tests.factories import make_agency, make_delivery_world, make_staff
from tests.support.html import html


@pytest.fixture
def world(app):
    return make_delivery_world()


@pytest.fixture
def keys(app):
    private_key = app.extensions["credential_private_key"]
    return private_key, private_key.public_key()


def token_of(credential, keys) -> str:
    return delivery.token_for(Credential.get_by_id(credential.id), keys[0])


def url(world, action="") -> str:
    return f"/oficina/credenciales/{world['application'].folio}{action}"


@pytest.mark.parametrize("role", ["entrega", "admin_dependencia"])
def test_the_agencys_operators_and_admins_reissue_and_the_old_code_is_refused(
    world, login, keys, role
):
    old_token = token_of(world["credential"], keys)
    staff = make_staff(role, world["agency"], name="Quien Repone")
    client = login(staff)
    page = html(client.get(url(world)))
    assert "María Gómez Ruiz" in page.get_text() and page.find("select", id="reponer-motivo")
    response = client.post(url(world, "/reponer"), data={"reponer-motivo": "perdida"})
    assert response.status_code == 303 and response.location.endswith(url(world))
    new = delivery.current_credential(world["application"])
    assert new.id != world["credential"].id and new.issued_by_id == staff.id
    old = Credential.get_by_id(world["credential"].id)
    assert old.superseded_by_id == new.id
    assert old.reason == "La persona perdió su teléfono o la credencial impresa"
    entry = AuditEvent.get(AuditEvent.action == AuditAction.CREDENTIAL_REPLACE)
    assert (entry.actor_id, entry.role, entry.object_id) == (
        staff.id,
        role,
        world["application"].folio,
    )
    assert entry.details["motivo"] == "perdida"
    assert entry.details["anterior"] == world["credential"].credential_id
    # At the delivery point the old code is refused, the new one accepted.
    operator = login(world["operator"]) if role != "entrega" else client
    refused = operator.post("/entrega/verificar", data={"codigo": old_token})
    assert refused.status_code == 422 and "reemplazada" in refused.get_data(as_text=True)
    accepted = operator.post("/entrega/verificar", data={"codigo": token_of(new, keys)})
    assert accepted.status_code == 200 and "Credencial válida" in accepted.get_data(as_text=True)


def test_the_person_gets_a_notice_and_sees_the_new_code(world, login, keys, app):
    before = delivery.token_for(world["credential"], keys[0])
    client = login(world["operator"])
    client.post(url(world, "/reponer"), data={"reponer-motivo": "robada"})
    notice = Notice.get(Notice.citizen == world["citizen"].id)
    assert "credencial de entrega" in notice.title
    assert "Le robaron el teléfono" in notice.body and "anterior ya no sirve" in notice.body
    person = app.test_client()
    sign_in_as(person, world["citizen"])
    assert (
        person.get(f"/mis-solicitudes/{world['application'].folio}/credencial").status_code == 200
    )
    new = delivery.current_credential(world["application"])
    png = person.get(f"/mis-solicitudes/{world['application'].folio}/credencial.png")
    base_url = app.config["PORTAL_BASE_URL"]
    shown = credentials.credential_url(delivery.token_for(new, keys[0]), base_url)
    assert png.data == credentials.qr_png(shown)
    assert png.data != credentials.qr_png(credentials.credential_url(before, base_url))


def test_revoking_without_replacing_refuses_the_code_and_tells_the_person(world, login, keys, app):
    token = token_of(world["credential"], keys)
    client = login(make_staff("admin_dependencia", world["agency"]))
    response = client.post(url(world, "/revocar"), data={"revocar-motivo": "compartida"})
    assert response.status_code == 303
    assert delivery.current_credential(world["application"]) is None
    entry = AuditEvent.get(AuditEvent.action == AuditAction.CREDENTIAL_REVOKE)
    assert entry.details == {
        "credencial": world["credential"].credential_id,
        "motivo": "compartida",
    }
    notice = Notice.get(Notice.citizen == world["citizen"].id)
    assert (
        "Revocamos su credencial" in notice.body and "Otra persona tiene el código" in notice.body
    )
    assert delivery.check_token(token, keys[1], world["operator"]).code == "revocada"
    person = app.test_client()
    sign_in_as(person, world["citizen"])
    page = html(person.get(f"/mis-solicitudes/{world['application'].folio}/credencial"))
    assert "Su código fue revocado" in page.get_text() and not page.select(".qr-box")


@pytest.mark.parametrize("role", ["revisor", "supervisor", "admin_estatal"])
def test_other_roles_may_not_touch_credentials(world, login, role):
    agency = None if role == "admin_estatal" else world["agency"]
    client = login(make_staff(role, agency))
    assert client.get("/oficina/credenciales").status_code == 403
    assert client.get(url(world)).status_code == 403
    assert (
        client.post(url(world, "/reponer"), data={"reponer-motivo": "perdida"}).status_code == 403
    )
    assert (
        client.post(url(world, "/revocar"), data={"revocar-motivo": "perdida"}).status_code == 403
    )
    assert delivery.current_credential(world["application"]).id == world["credential"].id


@pytest.mark.parametrize("role", ["entrega", "admin_dependencia"])
def test_another_agencys_staff_get_404(world, login, role):
    client = login(make_staff(role, make_agency()))
    assert client.get(url(world)).status_code == 404
    assert (
        client.post(url(world, "/reponer"), data={"reponer-motivo": "perdida"}).status_code == 404
    )
    assert (
        client.post(url(world, "/revocar"), data={"revocar-motivo": "perdida"}).status_code == 404
    )
    assert delivery.current_credential(world["application"]).id == world["credential"].id
    assert not Notice.select().exists()


@pytest.mark.parametrize("reason", ["", "por-que-si"])
def test_a_reason_from_the_list_is_required(world, login, reason):
    client = login(world["operator"])
    response = client.post(url(world, "/reponer"), data={"reponer-motivo": reason})
    assert response.status_code == 422
    assert delivery.current_credential(world["application"]).id == world["credential"].id
    assert not Notice.select().exists()
    assert (
        not AuditEvent.select().where(AuditEvent.action == AuditAction.CREDENTIAL_REPLACE).exists()
    )


def test_a_delivered_application_cannot_be_reissued(world, login):
    delivery.confirm_delivery(
        world["credential"], world["operator"], world["point"], delivery.IdCheck("ine", "4821")
    )
    client = login(world["operator"])
    response = client.post(url(world, "/reponer"), data={"reponer-motivo": "perdida"})
    assert response.status_code == 303
    page = html(client.get(url(world)))
    assert "Solo se repone la credencial" in page.get_text()
    assert Application.get_by_id(world["application"].id).status == "entregada"


def test_the_search_goes_to_the_folio_and_explains_a_bad_one(world, login):
    client = login(world["operator"])
    found = client.get(
        "/oficina/credenciales", query_string={"folio": world["application"].folio.lower()}
    )
    assert found.status_code == 303 and found.location.endswith(url(world))
    bad = client.get("/oficina/credenciales", query_string={"folio": "QRO-XX"})
    assert bad.status_code == 422


def test_opening_the_credential_page_is_a_view_of_the_record(world, login):
    client = login(world["operator"])
    client.get(url(world))
    view = AuditEvent.get(AuditEvent.action == AuditAction.RECORD_VIEW)
    assert view.object_id == str(world["citizen"].id)
    assert view.details == {"motivo": "entrega", "folio": world["application"].folio}


def test_a_delivery_check_that_shows_the_person_is_a_view_of_their_record(world, login, keys):
    client = login(world["operator"])
    client.post("/entrega/verificar", data={"codigo": token_of(world["credential"], keys)})
    view = AuditEvent.get(AuditEvent.action == AuditAction.RECORD_VIEW)
    assert (view.object_id, view.details["motivo"]) == (str(world["citizen"].id), "entrega")


def test_another_agencys_operator_scanning_sees_nothing_and_no_view_is_recorded(world, login, keys):
    client = login(make_staff("entrega", make_agency()))
    client.post("/entrega/verificar", data={"codigo": token_of(world["credential"], keys)})
    assert not AuditEvent.select().where(AuditEvent.action == AuditAction.RECORD_VIEW).exists()
