"""Filing a complaint or report at /quejas, signed in or anonymous, and
following it: folio and a code shown once, the same answer for any miss."""

from __future__ import annotations

import io
import re

import pytest

from portal.complaints import desk
from portal.models import AuditEvent, Complaint, ComplaintTally, Notice
from portal.rights.holidays import add_business_days, local_date
from portal.vocabulary import AuditAction
from tests.application_builders import png_bytes
from tests.factories import make_citizen, make_program
from tests.support.html import html, page_text

STORY = "El promotor me pidió dinero para inscribirme en el programa."


def _data(**overrides):
    data = {"kind": "queja", "subject": "servidor", "program": "", "description": STORY}
    data.update(overrides)
    return data


def _receipt(response) -> tuple[str, str]:
    soup = html(response)
    return soup.find(id="folio").get_text(strip=True), soup.find(id="codigo").get_text(strip=True)


def _follow(client, folio, code, **kw):
    return client.post("/quejas/seguimiento", data={"folio": folio, "code": code}, **kw)


def test_the_footer_and_the_page_offer_the_form_to_everyone(client, app):
    home = html(client.get("/"))
    assert home.select_one('footer a[href="/quejas"]') is not None
    form = html(client.get("/quejas")).select_one('form[action="/quejas"]')
    assert form["enctype"] == "multipart/form-data"
    assert {i["value"] for i in form.select("input[name=kind]")} == {"queja", "denuncia"}
    assert {i["value"] for i in form.select("input[name=subject]")} == set(desk.SUBJECT_LABELS)
    assert form.select_one("input[name=contact]") is not None


def test_an_anonymous_person_gets_a_folio_and_a_code_shown_once(client, app):
    program = make_program()
    response = client.post(
        "/quejas", data=_data(subject="entrega", program=str(program.id), contact="55 1234 5678")
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    folio, code = _receipt(response)
    assert re.fullmatch(r"QRO-QJ-\d{4}-000001", folio)
    assert len(code) == desk.CODE_LENGTH and set(code) <= set(desk.CODE_ALPHABET)
    row = Complaint.get()
    assert row.folio == folio and row.citizen_id is None
    assert row.agency_id == program.agency_id and row.program_id == program.id
    assert code not in row.code_hash and row.code_hash == desk.code_digest(folio, code)
    assert row.due_on == add_business_days(local_date(row.filed_at), 10)
    assert row.contact == "55 1234 5678"
    (entry,) = AuditEvent.select().where(AuditEvent.action == AuditAction.COMPLAINT_RECIBIDA)
    assert entry.actor_kind == "anonimo"
    assert "5678" not in str(entry.details) and STORY not in str(entry.details)
    assert ComplaintTally.get(program_key=program.id, status="recibida").count == 1
    # Following it: the code, typed in lower case with spaces, is the same code.
    shown = _follow(client, folio.lower(), " ".join(code.lower()))
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert "Recibida" in page_text(html(shown).find(id="estado"))


@pytest.mark.parametrize("which", ["wrong code", "unknown folio", "signed-in complaint"])
def test_a_miss_answers_the_same_whatever_it_missed(client, app, which):
    citizen_row = desk.file_complaint(
        desk.Filing("queja", "oficina", STORY), citizen=make_citizen()
    ).complaint
    filed = desk.file_complaint(desk.Filing("denuncia", "oficina", STORY))
    folio, code = {
        "wrong code": (filed.complaint.folio, "ABCDEFGHJK"),
        "unknown folio": ("QRO-QJ-2026-999999", filed.code),
        "signed-in complaint": (citizen_row.folio, ""),
    }[which]
    response = _follow(client, folio, code or "ABCDEFGHJK")
    assert response.status_code == 422
    assert "El folio o el código no coinciden" in page_text(html(response))
    assert filed.code not in response.get_data(as_text=True)


def test_guessing_codes_is_rate_limited(client, app):
    filed = desk.file_complaint(desk.Filing("denuncia", "oficina", STORY))
    for _ in range(10):
        assert _follow(client, filed.complaint.folio, "ABCDEFGHJK").status_code == 422
    refused = _follow(client, filed.complaint.folio, filed.code)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    other = _follow(
        client, filed.complaint.folio, filed.code, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert other.status_code == 200


def test_a_signed_in_person_files_under_their_account_and_is_notified(client, login, app):
    citizen = make_citizen()
    login(citizen)
    page = html(client.get("/quejas"))
    assert page.select_one("input[name=contact]") is None
    response = client.post("/quejas", data=_data(contact="no se guarda"))
    assert response.status_code == 303
    row = Complaint.get()
    assert response.headers["Location"].endswith(f"/quejas/mias/{row.folio}")
    assert row.citizen_id == citizen.id and row.code_hash == "" and row.contact == ""
    assert row.agency_id is None  # about no program: the state level answers
    (notice,) = Notice.select().where(Notice.citizen == citizen)
    assert row.folio in notice.title and notice.link == f"/quejas/mias/{row.folio}"
    assert row.folio in page_text(html(client.get("/quejas/mias")))
    assert STORY in page_text(html(client.get(f"/quejas/mias/{row.folio}")))


def test_a_person_cannot_open_another_persons_complaint(client, login, app):
    row = desk.file_complaint(
        desk.Filing("queja", "oficina", STORY), citizen=make_citizen()
    ).complaint
    login(make_citizen())
    assert client.get(f"/quejas/mias/{row.folio}").status_code == 404


def test_my_complaints_need_a_signed_in_person(client, app):
    assert client.get("/quejas/mias").status_code in (302, 303)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_data(kind=""), "Elija si es una queja o una denuncia"),
        (_data(kind="chisme"), ""),
        (_data(subject=""), "Elija de qué se trata"),
        (_data(subject="programa"), "Elija el programa"),
        (_data(program="999999"), "Elija un programa de la lista"),
        (_data(program="abc", subject="programa"), "Elija el programa"),
        (_data(description="   "), "Cuente qué pasó"),
        (_data(description="muy corto"), "entre 20 y 4000"),
        (_data(description="x" * 4001), "entre 20 y 4000"),
        (_data(happened_on="31/02/2026"), "Escriba la fecha"),
        (_data(happened_on="2999-01-01"), "posterior a hoy"),
        (_data(place="x" * 201), "Máximo 200"),
        (_data(contact="x" * 201), "Máximo 200"),
    ],
)
def test_a_bad_complaint_answers_422_and_nothing_is_written(client, app, data, message):
    response = client.post("/quejas", data=data)
    assert response.status_code == 422
    assert message in page_text(html(response).select_one(".error-summary"))
    assert Complaint.select().count() == 0
    assert ComplaintTally.select().count() == 0
    assert (
        AuditEvent.select().where(AuditEvent.action == AuditAction.COMPLAINT_RECIBIDA).count() == 0
    )


def _stored_files() -> list:
    return [p for p in desk.attachment_storage().root.rglob("*") if p.is_file()]


def test_a_20_mb_attachment_is_refused_with_a_message_and_nothing_is_saved(client, app):
    big = io.BytesIO(b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024))
    response = client.post(
        "/quejas",
        data={**_data(), "attachment": (big, "prueba.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    error = page_text(html(response).select_one("#attachment-field .error-message"))
    assert "más de 5 MB" in error and "no se guardó" in error
    assert html(response).select_one('form[action="/quejas"]') is not None
    assert Complaint.select().count() == 0 and AuditEvent.select().count() == 0
    assert _stored_files() == []


def test_a_refused_complaint_leaves_no_attachment_behind(client, app):
    response = client.post(
        "/quejas",
        data={**_data(description="corto"), "attachment": (io.BytesIO(png_bytes()), "foto.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert _stored_files() == [] and Complaint.select().count() == 0


def test_an_attachment_of_another_kind_is_refused_on_its_field(client, app):
    response = client.post(
        "/quejas",
        data={**_data(), "attachment": (io.BytesIO(b"MZ\x90\x00 no soy foto"), "virus.exe")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert page_text(html(response).select_one("#attachment-field .error-message"))
    assert Complaint.select().count() == 0


def test_a_photo_is_kept_encrypted_and_reencoded(client, app):
    response = client.post(
        "/quejas",
        data={**_data(), "attachment": (io.BytesIO(png_bytes()), "foto.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    row = Complaint.get()
    assert row.attachment_key and row.attachment_filename.endswith(".png")
    assert desk.attachment_storage().get(row.attachment_key).startswith(b"\x89PNG")
    assert len(_stored_files()) == 1
    assert png_bytes() not in _stored_files()[0].read_bytes()  # encrypted at rest


def test_the_form_needs_its_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post("/quejas", data=_data())
    assert response.status_code == 400
    assert Complaint.select().count() == 0
