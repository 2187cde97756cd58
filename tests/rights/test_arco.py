"""ARCO requests: filed from /mis-datos or at the counter, a folio and a deadline
in business days, the office's queue by due date, the answer and its notices."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from portal.backoffice.audit import Actor, views_of
from portal.models import ArcoRequest, AuditEvent, Notice
from portal.rights import arco
from portal.rights.holidays import add_business_days, local_date
from portal.vocabulary import AuditAction
from tests.application_builders import png_bytes
from tests.factories import make_citizen, make_staff, valid_curp
from tests.support.html import html, page_text

JS_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
    b"4 0 obj\n<< /S /JavaScript /JS (app.alert('hola')) >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


@pytest.fixture
def citizen(app):
    return make_citizen()


@pytest.fixture
def office(app):
    return make_staff("admin_estatal")


def _file(citizen, kind="acceso", text="Quiero saber qué datos míos tienen.") -> ArcoRequest:
    return arco.file_request(kind, text, Actor.citizen(citizen), citizen=citizen)


def _actions(action):
    return list(AuditEvent.select().where(AuditEvent.action == action))


# Filing ------------------------------------------------------------------------------


def test_a_person_files_a_request_from_my_data_and_gets_a_folio_and_deadline(
    client, login, citizen
):
    login(citizen)
    form = html(client.get("/mis-datos/derechos")).select_one('form[action="/mis-datos/derechos"]')
    assert {i["value"] for i in form.select("input[name=kind]")} == set(arco.KIND_LABELS)
    response = client.post(
        "/mis-datos/derechos",
        data={"kind": "rectificacion", "description": "Mi segundo apellido es Ruíz, con acento."},
    )
    assert response.status_code == 303
    row = ArcoRequest.get()
    assert re.fullmatch(r"QRO-ARCO-\d{4}-000001", row.folio)
    assert response.headers["Location"].endswith(f"/mis-datos/derechos/{row.folio}")
    assert row.channel == "portal" and row.citizen_id == citizen.id and row.curp == citizen.curp
    assert row.due_on == add_business_days(local_date(row.filed_at), 20)
    page = page_text(html(client.get(response.headers["Location"])))
    assert row.folio in page and "Rectificación" in page
    assert "Aún no respondemos" in page
    (notice,) = Notice.select().where(Notice.citizen == citizen)
    assert row.folio in notice.title and notice.link == f"/mis-datos/derechos/{row.folio}"
    (entry,) = _actions(AuditAction.ARCO_FILE)
    assert entry.details == {
        "derecho": "rectificacion",
        "canal": "portal",
        "vence": row.due_on.isoformat(),
    }
    assert citizen.curp not in str(entry.details)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "", "description": "Quiero saber qué datos tienen."}, "Elija qué derecho"),
        ({"kind": "borrar-todo", "description": "Quiero saber qué datos tienen."}, ""),
        ({"kind": "acceso", "description": "   "}, "Describa lo que pide"),
        ({"kind": "acceso", "description": "corto"}, "entre 10 y 2000"),
        ({"kind": "acceso", "description": "x" * 2001}, "entre 10 y 2000"),
    ],
)
def test_a_bad_request_answers_422_and_nothing_is_written(client, login, citizen, data, message):
    login(citizen)
    response = client.post("/mis-datos/derechos", data=data)
    assert response.status_code == 422
    assert message in page_text(html(response).select_one(".error-summary"))
    assert ArcoRequest.select().count() == 0
    assert Notice.select().count() == 0
    assert _actions(AuditAction.ARCO_FILE) == []


def test_cancellation_says_what_the_law_obliges_to_keep(client, login, citizen):
    login(citizen)
    text = page_text(html(client.get("/mis-datos/derechos")))
    assert "padrón de beneficiarios publicado" in text
    assert "bitácora de auditoría" in text
    row = _file(citizen, "cancelacion", "Quiero que borren mis datos de contacto.")
    detail = page_text(html(client.get(f"/mis-datos/derechos/{row.folio}")))
    assert "lo que la ley nos obliga a conservar" in detail


def test_my_data_lists_the_persons_requests(client, login, citizen):
    row = _file(citizen)
    login(citizen)
    section = html(client.get("/mis-datos")).find(id="derechos").find_next("ul")
    assert row.folio in page_text(section)


def test_a_person_cannot_open_another_persons_request(client, login, citizen):
    row = _file(make_citizen())
    login(citizen)
    assert client.get(f"/mis-datos/derechos/{row.folio}").status_code == 404
    assert client.get(f"/mis-datos/derechos/{row.folio}/respuesta.pdf").status_code == 404


def test_filing_needs_a_signed_in_person(client):
    response = client.get("/mis-datos/derechos")
    assert response.status_code in (302, 303, 401)
    assert client.post("/mis-datos/derechos", data={"kind": "acceso"}).status_code in (
        302,
        303,
        401,
    )
    assert ArcoRequest.select().count() == 0


# At the counter -------------------------------------------------------------------------


def _counter_data(curp, **overrides):
    data = {
        "curp": curp,
        "id_type": "pasaporte",
        "id_number": "G12345678",
        "kind": "acceso",
        "description": "Quiero saber qué datos míos tienen.",
    }
    data.update(overrides)
    return data


def test_the_counter_files_for_someone_without_an_account_with_curp_and_id(client, login):
    clerk = make_staff("revisor")
    login(clerk)
    curp = valid_curp()
    response = client.post("/oficina/derechos/ventanilla", data=_counter_data(curp))
    assert response.status_code == 200
    row = ArcoRequest.get()
    assert row.citizen_id is None and row.curp == curp and row.channel == "ventanilla"
    assert row.id_type == "pasaporte" and row.id_number == "G12345678"
    assert row.filed_by_id == clerk.id
    page = html(response)
    assert row.folio in page_text(page.select_one(".receipt"))
    assert page.select_one(".receipt .legal-legend") is not None
    (entry,) = _actions(AuditAction.ARCO_FILE)
    assert "G12345678" not in str(entry.details) and curp not in str(entry.details)


def test_a_counter_request_of_someone_with_a_record_reaches_their_my_data(client, login, citizen):
    login(make_staff("revisor"))
    client.post("/oficina/derechos/ventanilla", data=_counter_data(citizen.curp))
    row = ArcoRequest.get()
    assert row.citizen_id == citizen.id
    assert Notice.select().where(Notice.citizen == citizen).count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"curp": "GOMA850312MQTMRN0"}, "CURP"),
        ({"curp": ""}, "Escriba la CURP"),
        ({"id_number": "1111"}, "no es un número de identificación"),
        ({"id_number": ""}, "Escriba el número"),
        ({"id_type": "tarjeta"}, ""),
        ({"description": "corto"}, "entre 10 y 2000"),
    ],
)
def test_a_bad_counter_request_answers_422_and_nothing_is_written(
    client, login, overrides, message
):
    login(make_staff("revisor"))
    response = client.post(
        "/oficina/derechos/ventanilla", data={**_counter_data(valid_curp()), **overrides}
    )
    assert response.status_code == 422
    assert message in page_text(html(response).select_one(".error-summary"))
    assert ArcoRequest.select().count() == 0


def test_delivery_staff_do_not_file_at_the_counter(client, login):
    login(make_staff("entrega"))
    assert client.get("/oficina/derechos/ventanilla").status_code == 403


# The office ------------------------------------------------------------------------------


def test_the_office_queue_lists_open_requests_soonest_due_first_by_pages(
    client, login, office, monkeypatch
):
    monkeypatch.setattr("portal.rights.views.PAGE_SIZE", 2)
    people = [make_citizen() for _ in range(3)]
    rows = [_file(person) for person in people]
    ArcoRequest.update(due_on=dt.date(2027, 1, 20)).where(ArcoRequest.id == rows[0].id).execute()
    ArcoRequest.update(due_on=dt.date(2027, 1, 10)).where(ArcoRequest.id == rows[1].id).execute()
    ArcoRequest.update(due_on=dt.date(2027, 1, 15)).where(ArcoRequest.id == rows[2].id).execute()
    login(office)
    first = html(client.get("/oficina/derechos"))
    folios = [a.get_text(strip=True) for a in first.select("tbody td:first-child a")]
    assert folios == [rows[1].folio, rows[2].folio]
    following = first.select_one("a[rel=next]")["href"]
    second = html(client.get(following))
    assert [a.get_text(strip=True) for a in second.select("tbody td:first-child a")] == [
        rows[0].folio
    ]


@pytest.mark.parametrize("role", ["revisor", "entrega", "supervisor", "admin_dependencia"])
def test_only_the_data_protection_office_sees_the_queue(client, login, role, citizen):
    row = _file(citizen)
    login(make_staff(role))
    assert client.get("/oficina/derechos").status_code == 403
    assert client.get(f"/oficina/derechos/{row.folio}").status_code == 403


def test_opening_a_request_is_a_view_of_the_persons_record_they_can_read(
    client, login, office, citizen
):
    row = _file(citizen)
    login(office)
    page = page_text(html(client.get(f"/oficina/derechos/{row.folio}")))
    assert citizen.curp in page
    (view,) = views_of(citizen.id)
    assert view.reason == "arco" and view.staff_name == office.name
    login(citizen)
    shown = page_text(html(client.get("/mis-datos")).find(id="consultas").find_next("table"))
    assert "Atención de su solicitud de derechos ARCO" in shown


def test_the_office_answers_with_a_pdf_that_is_disarmed_and_the_person_reads_it(
    client, login, office, citizen
):
    row = _file(citizen)
    login(office)
    response = client.post(
        f"/oficina/derechos/{row.folio}",
        data={
            "outcome": "procedente",
            "response": "Le enviamos la relación de sus datos personales.",
            "attachment": (io.BytesIO(JS_PDF), "respuesta.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    answered = ArcoRequest.get_by_id(row.id)
    assert answered.status == "respondida" and answered.outcome == "procedente"
    assert answered.responded_by_id == office.id and answered.response_key
    stored = arco.response_storage().get(answered.response_key)
    assert stored.startswith(b"%PDF") and b"JavaScript" not in stored
    (entry,) = _actions(AuditAction.ARCO_RESPOND)
    assert entry.details == {"resultado": "procedente", "adjunto": True}
    assert Notice.select().where(Notice.citizen == citizen).count() == 2
    login(citizen)
    page = page_text(html(client.get(f"/mis-datos/derechos/{row.folio}")))
    assert "Le enviamos la relación" in page and "Procede" in page
    download = client.get(f"/mis-datos/derechos/{row.folio}/respuesta.pdf")
    assert download.status_code == 200 and download.data == stored
    assert download.headers["Cache-Control"] == "no-store"


def test_an_answer_is_given_once(client, login, office, citizen):
    row = _file(citizen)
    arco.respond(row.folio, office, "improcedente", "No tenemos datos suyos en el portal.")
    with pytest.raises(arco.ArcoRefused, match="ya fue respondida"):
        arco.respond(row.folio, office, "procedente", "Otra respuesta distinta a la primera.")
    assert ArcoRequest.get_by_id(row.id).outcome == "improcedente"
    assert len(_actions(AuditAction.ARCO_RESPOND)) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"outcome": "", "response": "Una respuesta suficiente."}, "procede o no"),
        ({"outcome": "procedente", "response": ""}, "Escriba la respuesta"),
        ({"outcome": "procedente", "response": "x" * 5001}, "entre 10 y 5000"),
        (
            {
                "outcome": "procedente",
                "response": "Una respuesta suficiente.",
                "attachment": (io.BytesIO(png_bytes()), "respuesta.png"),
            },
            "solo acepta PDF",
        ),
        (
            {
                "outcome": "procedente",
                "response": "Una respuesta suficiente.",
                "attachment": (io.BytesIO(b"%PDF-1.4 roto"), "respuesta.pdf"),
            },
            "",
        ),
    ],
)
def test_a_bad_answer_answers_422_and_nothing_is_written(
    client, login, office, citizen, data, message
):
    row = _file(citizen)
    login(office)
    response = client.post(
        f"/oficina/derechos/{row.folio}", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert message in page_text(html(response).select_one(".error-summary"))
    assert ArcoRequest.get_by_id(row.id).status == "recibida"
    assert _actions(AuditAction.ARCO_RESPOND) == []
    assert list(arco.response_storage().blob_keys()) == []


def test_an_unknown_folio_is_404_for_the_office(client, login, office):
    login(office)
    assert client.get("/oficina/derechos/QRO-ARCO-2026-999999").status_code == 404


def test_the_answer_without_attachment_has_no_download(client, login, office, citizen):
    row = _file(citizen)
    arco.respond(row.folio, office, "procedente", "Corregimos su segundo apellido.")
    login(citizen)
    page = html(client.get(f"/mis-datos/derechos/{row.folio}"))
    assert page.find("a", href=f"/mis-datos/derechos/{row.folio}/respuesta.pdf") is None
    assert client.get(f"/mis-datos/derechos/{row.folio}/respuesta.pdf").status_code == 404


def test_a_granted_cancellation_erases_contact_address_and_answers_and_keeps_the_rest(app, office):
    citizen = make_citizen(phone="4421234567", road_name="Hidalgo", profile={"household_size": 4})
    row = _file(citizen, "cancelacion", "Quiero que borren todos mis datos personales.")
    arco.respond(row.folio, office, "procedente", "Borramos su contacto, domicilio y respuestas.")
    fresh = type(citizen).get_by_id(citizen.id)
    assert (fresh.email, fresh.phone, fresh.road_name, fresh.municipality_id) == ("", "", "", None)
    assert fresh.profile == {}
    assert fresh.curp == citizen.curp and fresh.full_name == citizen.full_name
    assert AuditEvent.select().count() > 0  # the trail stays


def test_a_refused_cancellation_erases_nothing(app, office):
    citizen = make_citizen(phone="4421234567")
    row = _file(citizen, "cancelacion", "Quiero que borren todos mis datos personales.")
    arco.respond(row.folio, office, "improcedente", "Tiene una solicitud en trámite.")
    assert type(citizen).get_by_id(citizen.id).phone == "4421234567"


def test_the_counter_start_page_links_to_filing_a_request(client, login):
    login(make_staff("revisor"))
    page = html(client.get("/oficina/ventanilla"))
    assert page.find("a", href="/oficina/derechos/ventanilla") is not None
