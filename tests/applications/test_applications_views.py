"""Citizen pages of applications: apply, upload, follow, correct, cancel, download."""

from __future__ import annotations

import hashlib
import io
import re
import zlib

import pytest
from flask import Blueprint

from portal.applications import workflow as apps
from portal.models import Application, Document, Notice
from tests.application_builders import (
    MINIMAL_PDF,
    jpeg_bytes,
    png_bytes,
    staff_actor,
    submitted,
)
from tests.conftest import sign_in_as
from tests.factories import accept_documents, make_citizen, make_program, make_staff
from tests.support.html import html


@pytest.fixture(autouse=True)
def sign_in_pages(app):
    """The shell links to the sign-out endpoints, which the sign-in areas serve;
    plain endpoints stand in for them until those branches are merged."""
    if "auth.sign_out" not in app.view_functions:
        bp = Blueprint("auth", __name__)
        bp.add_url_rule("/entrar", "start", lambda: "entrar")
        bp.add_url_rule("/salir", "sign_out", lambda: "salir", methods=["POST"])
        app.register_blueprint(bp)
    if "oficina_auth.logout" not in app.view_functions:
        staff = Blueprint("oficina_auth", __name__)
        staff.add_url_rule("/oficina/salir", "logout", lambda: "salir", methods=["POST"])
        app.register_blueprint(staff)


@pytest.fixture
def citizen(app):
    return make_citizen()


@pytest.fixture
def program(app):
    return make_program(requirements=("identificacion", "comprobante"))


def start(client, program):
    page = html(client.get(f"/programas/{program.slug}/solicitar"))
    key = page.find("input", {"name": "idempotency_key"})["value"]
    response = client.post(f"/programas/{program.slug}/solicitar", data={"idempotency_key": key})
    assert response.status_code == 303
    return Application.get(Application.idempotency_key == key), key


def upload(client, application, requirement, data, name):
    return client.post(
        f"/mis-solicitudes/{application.folio}/requisitos/{requirement.id}",
        data={"document": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_signed_out_visitors_are_sent_to_sign_in(client, program):
    response = client.get(f"/programas/{program.slug}/solicitar")
    assert response.status_code == 302 and "/entrar" in response.location


def test_staff_cannot_use_citizen_pages(login, program):
    client = login(make_staff())
    assert client.get("/mis-solicitudes").status_code == 403


def test_the_whole_journey_apply_upload_submit_receipt(login, citizen, program):
    client = login(citizen)
    page = html(client.get(f"/programas/{program.slug}/solicitar"))
    assert citizen.full_name in page.get_text()
    application, _ = start(client, program)
    documents = html(client.get(f"/mis-solicitudes/{application.folio}/documentos"))
    inputs = documents.find_all("input", {"type": "file"})
    # A PDF is accepted too, so the field does not go straight to the camera.
    assert [(i["accept"], i.get("capture")) for i in inputs] == [
        (".jpg,.jpeg,image/jpeg,.png,image/png,.pdf,application/pdf", None)
    ] * 2
    first, second = apps.required_requirements(application)
    assert upload(client, application, first, jpeg_bytes(), "foto.jpg").status_code == 303
    assert upload(client, application, second, MINIMAL_PDF, "recibo.pdf").status_code == 303
    response = client.post(f"/mis-solicitudes/{application.folio}/enviar")
    assert response.status_code == 303 and response.location.endswith("/comprobante")
    receipt = html(client.get(response.location))
    assert application.folio in receipt.find(class_="folio").get_text()
    assert receipt.find("link", {"media": "print"}) is not None
    detail = html(client.get(f"/mis-solicitudes/{application.folio}"))
    assert "Enviada" in detail.find(class_="timeline").get_text()
    listing = html(client.get("/mis-solicitudes"))
    assert application.folio in listing.find("table").get_text()
    notices = html(client.get("/avisos"))
    assert application.folio in notices.get_text()
    assert Notice.get().read_at is not None


def test_double_post_of_the_start_form_creates_one_application(login, citizen, program):
    client = login(citizen)
    application, key = start(client, program)
    again = client.post(f"/programas/{program.slug}/solicitar", data={"idempotency_key": key})
    assert again.location.endswith(f"/mis-solicitudes/{application.folio}/documentos")
    assert Application.select().count() == 1


def test_double_submit_sends_once(login, citizen, program):
    client = login(citizen)
    application = submitted(citizen, make_program())
    for _ in range(2):
        assert client.post(f"/mis-solicitudes/{application.folio}/enviar").status_code == 303
    assert application.events.count() == 1


def test_submitting_without_documents_lists_what_is_missing(login, citizen, program):
    client = login(citizen)
    application, _ = start(client, program)
    response = client.post(f"/mis-solicitudes/{application.folio}/enviar")
    assert response.status_code == 422
    summary = html(response).find(class_="error-summary").get_text()
    assert "Falta el documento «Identificacion»" in summary
    assert Application.get_by_id(application.id).status == "borrador"


def test_ineligible_person_sees_the_reasons_and_no_form(login, program):
    program.eligibility = [
        {"field": "sex", "op": "eq", "value": "M", "reason": "Es solo para mujeres."}
    ]
    program.save()
    client = login(make_citizen(sex="H"))
    page = html(client.get(f"/programas/{program.slug}/solicitar"))
    assert "Es solo para mujeres." in page.get_text()
    assert page.find("input", {"name": "idempotency_key"}) is None


def _polyglot() -> bytes:
    return jpeg_bytes() + b"<html><script>alert(1)</script></html>"


def _bomb() -> bytes:
    # A PNG header declaring 50,000 x 50,000 pixels: refused before decoding.
    def chunk(kind, data):
        return (
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
        )

    header = (50_000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


BAD_UPLOADS = [
    ("renamed.jpg", b"MZ\x90\x00" + b"\0" * 200, "no es"),
    (
        "dibujo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "no es",
    ),
    ("pagina.html", b"<!doctype html><html><body>hola</body></html>", "no es"),
    ("truncado.jpg", jpeg_bytes()[:60], "dañada"),
    ("truncado.pdf", MINIMAL_PDF[:-8], "incompleto"),
    ("vacio.pdf", b"", "vacío"),
    ("bomba.png", _bomb(), "demasiados píxeles"),
    ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", "no es"),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
def test_bad_uploads_are_refused_and_nothing_is_stored(
    login, citizen, program, app, name, data, message
):
    client = login(citizen)
    application, _ = start(client, program)
    requirement = apps.required_requirements(application)[0]
    response = upload(client, application, requirement, data, name)
    assert response.status_code == 422
    error = html(response).find(id=f"archivo-{requirement.id}-error")
    assert message in error.get_text()
    assert Document.select().count() == 0
    storage_root = app.config["STORAGE_PATH"]
    assert not any(p.is_file() for p in __import__("pathlib").Path(storage_root).rglob("*"))


def test_a_polyglot_image_is_stored_without_its_payload(login, citizen, program):
    client = login(citizen)
    application, _ = start(client, program)
    requirement = apps.required_requirements(application)[0]
    assert upload(client, application, requirement, _polyglot(), "foto.jpg").status_code == 303
    document = Document.get()
    body = client.get(f"/mis-solicitudes/{application.folio}/documentos/{document.id}").data
    assert body.startswith(b"\xff\xd8\xff") and b"<script>" not in body


def test_path_traversal_name_is_made_safe(login, citizen, program):
    client = login(citizen)
    application, _ = start(client, program)
    requirement = apps.required_requirements(application)[0]
    upload(client, application, requirement, png_bytes(), "../../../etc/passwd.png")
    assert Document.get().filename == "passwd.png"


def test_oversized_upload_is_refused_from_its_declared_length(login, citizen, program, app):
    client = login(citizen)
    application, _ = start(client, program)
    requirement = apps.required_requirements(application)[0]
    big = b"%PDF-1.4\n" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    assert upload(client, application, requirement, big, "grande.pdf").status_code == 413
    assert Document.select().count() == 0


def test_file_just_over_the_limit_gets_a_clear_message(login, citizen, program, app):
    app.config["MAX_UPLOAD_MB"] = 1
    client = login(citizen)
    application, _ = start(client, program)
    requirement = apps.required_requirements(application)[0]
    data = MINIMAL_PDF[:-6] + b"0" * (1024 * 1024) + b"%%EOF\n"
    response = upload(client, application, requirement, data, "grande.pdf")
    assert response.status_code == 413
    assert "el máximo es 1 MB" in html(response).get_text()


def test_upload_without_a_file_asks_for_one(login, citizen, program):
    client = login(citizen)
    application, _ = start(client, program)
    requirement = apps.required_requirements(application)[0]
    response = client.post(
        f"/mis-solicitudes/{application.folio}/requisitos/{requirement.id}", data={}
    )
    assert response.status_code == 422
    assert "Elija un archivo" in html(response).get_text()


def test_download_is_an_attachment_in_a_sandbox(login, citizen, program):
    client = login(citizen)
    application = submitted(citizen, program)
    document = Document.select().first()
    response = client.get(f"/mis-solicitudes/{application.folio}/documentos/{document.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert hashlib.sha256(response.data).hexdigest() == document.sha256  # the rebuilt PDF


@pytest.mark.parametrize(
    "path",
    [
        "/mis-solicitudes/{folio}",
        "/mis-solicitudes/{folio}/documentos",
        "/mis-solicitudes/{folio}/comprobante",
        "/mis-solicitudes/{folio}/cancelar",
        "/mis-solicitudes/{folio}/documentos/{document}",
    ],
)
def test_citizen_can_never_open_another_citizens_application_or_document(login, program, path):
    owner = make_citizen()
    application = submitted(owner, program)
    document = Document.select().first()
    client = login(make_citizen())
    url = path.format(folio=application.folio, document=document.id)
    assert client.get(url).status_code == 404
    for post in ("enviar", "cancelar", "correccion"):
        assert client.post(f"/mis-solicitudes/{application.folio}/{post}").status_code == 404
    requirement = apps.required_requirements(application)[0]
    assert upload(client, application, requirement, png_bytes(), "x.png").status_code == 404
    assert Application.get_by_id(application.id).status == "enviada"


def test_a_document_of_another_application_is_not_found_through_mine(login, citizen, program):
    other = submitted(make_citizen(), program)
    mine = submitted(citizen, make_program())
    theirs = Document.get(Document.application == other)
    client = login(citizen)
    assert client.get(f"/mis-solicitudes/{mine.folio}/documentos/{theirs.id}").status_code == 404


def test_correction_loop_shows_only_what_was_flagged(login, citizen, program):
    from portal.territory.catalog import load_seed

    load_seed()  # a corrected postal code is checked against SEPOMEX's catalog
    application = submitted(citizen, program)
    ident, comprobante = apps.required_requirements(application)
    apps.request_correction(
        application,
        staff_actor(make_staff("admin_estatal")),
        documents=[ident.id],
        fields=["postal_code"],
        message="La identificación no se lee.",
    )
    client = login(citizen)
    page = html(client.get(f"/mis-solicitudes/{application.folio}"))
    correction = page.find(class_="correction")
    assert "La identificación no se lee." in correction.get_text()
    assert [s["id"] for s in correction.find_all("section")] == [f"requisito-{ident.id}"]
    assert correction.find("input", {"name": "postal_code"}) is not None
    assert correction.find("input", {"name": "email"}) is None
    # A document that was not flagged cannot be replaced.
    assert upload(client, application, comprobante, png_bytes(), "c.png").status_code == 409
    # Resubmitting before replacing the flagged document is refused.
    response = client.post(
        f"/mis-solicitudes/{application.folio}/correccion", data={"postal_code": "76000"}
    )
    assert response.status_code == 422
    assert upload(client, application, ident, jpeg_bytes(), "ine.jpg").status_code == 303
    bad = client.post(
        f"/mis-solicitudes/{application.folio}/correccion", data={"postal_code": "7600"}
    )
    assert bad.status_code == 422
    assert "5 números" in html(bad).find(class_="error-summary").get_text()
    ok = client.post(
        f"/mis-solicitudes/{application.folio}/correccion", data={"postal_code": "76000"}
    )
    assert ok.status_code == 303
    fresh = Application.get_by_id(application.id)
    assert fresh.status == "enviada" and fresh.answers["postal_code"] == "76000"
    assert Document.select().where(Document.requirement == ident).count() == 2


def test_the_person_sees_why_a_document_was_rejected_and_nobody_else_does(
    app, login, citizen, program
):
    application = submitted(citizen, program)
    rejected = Document.select().where(Document.application == application).first()
    reviewer = app.test_client()
    sign_in_as(reviewer, make_staff("revisor", program.agency))
    response = reviewer.post(
        f"/oficina/solicitudes/{application.folio}/documentos/{rejected.id}/dictamen",
        data={
            "version": application.version,
            "decision": "rechazado",
            "reason": "<b>Borrosa</b>: no se lee la fecha",
        },
    )
    assert response.status_code == 303
    response = login(citizen).get(f"/mis-solicitudes/{application.folio}")
    item = html(response).find("a", string=rejected.filename).find_parent("li")
    assert " ".join(item.get_text(" ").split()).endswith(
        "Rechazado Motivo: <b>Borrosa</b>: no se lee la fecha"
    )
    assert item.find("b") is None
    assert "&lt;b&gt;Borrosa&lt;/b&gt;" in response.get_data(as_text=True)
    stranger = login(make_citizen()).get(f"/mis-solicitudes/{application.folio}")
    assert stranger.status_code == 404
    assert "Borrosa" not in stranger.get_data(as_text=True)


def test_the_correction_shows_why_the_flagged_document_was_rejected(login, citizen, program):
    application = submitted(citizen, program)
    ident = apps.required_requirements(application)[0]
    Document.update(status="rechazado", review_reason="La foto está cortada.").where(
        Document.requirement == ident
    ).execute()
    apps.request_correction(
        application,
        staff_actor(make_staff("admin_estatal")),
        documents=[ident.id],
        fields=[],
        message="Suba otra vez la identificación.",
    )
    page = html(login(citizen).get(f"/mis-solicitudes/{application.folio}"))
    flagged = page.find("section", id=f"requisito-{ident.id}")
    assert "Rechazado Motivo: La foto está cortada." in " ".join(flagged.get_text(" ").split())


def test_cancel_before_a_decision_and_not_after(login, citizen, program):
    client = login(citizen)
    application = submitted(citizen, program)
    confirm = html(client.get(f"/mis-solicitudes/{application.folio}/cancelar"))
    assert confirm.find("button", class_="button-warning") is not None
    assert client.post(f"/mis-solicitudes/{application.folio}/cancelar").status_code == 303
    assert Application.get_by_id(application.id).status == "cancelada"
    decided = submitted(citizen, make_program())
    apps.approve(accept_documents(decided), staff_actor(make_staff("admin_estatal")))
    client.post(f"/mis-solicitudes/{decided.folio}/cancelar")
    assert Application.get_by_id(decided.id).status == "aprobada"


def test_forms_refuse_a_missing_csrf_token(login, citizen, program, app):
    application = submitted(citizen, program)
    app.config["WTF_CSRF_ENABLED"] = True
    client = login(citizen)
    assert client.post(f"/mis-solicitudes/{application.folio}/cancelar").status_code == 400
    assert (
        client.post(
            f"/programas/{program.slug}/solicitar", data={"idempotency_key": "x"}
        ).status_code
        == 400
    )
    assert Application.get_by_id(application.id).status == "enviada"
    assert Application.select().count() == 1
    # With the token from the page, the same form works.
    page = html(client.get(f"/mis-solicitudes/{application.folio}/cancelar"))
    token = page.find("input", {"name": "csrf_token"})["value"]
    response = client.post(
        f"/mis-solicitudes/{application.folio}/cancelar", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert Application.get_by_id(application.id).status == "cancelada"


def test_pages_hold_no_inline_scripts_or_styles(login, citizen, program):
    client = login(citizen)
    application = submitted(citizen, program)
    for url in (
        "/mis-solicitudes",
        f"/mis-solicitudes/{application.folio}",
        "/avisos",
        f"/mis-solicitudes/{application.folio}/comprobante",
    ):
        page = html(client.get(url))
        assert not page.find_all(style=True)
        assert all(s.get("src") for s in page.find_all("script"))
        assert re.search(r"no-store", client.get(url).headers["Cache-Control"])


def test_staff_preview_is_inline_but_still_sandboxed(app, citizen, program):
    from portal.applications.documents import serve_document

    submitted(citizen, program)
    with app.test_request_context():
        response = serve_document(Document.select().first(), inline=True)
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_apply_again_leads_to_the_live_application(login, citizen, program):
    application = submitted(citizen, program)
    response = login(citizen).get(f"/programas/{program.slug}/solicitar")
    assert response.status_code == 303
    assert response.location.endswith(f"/mis-solicitudes/{application.folio}")


@pytest.mark.parametrize(
    "url", ["/programas/no-existe/solicitar", "/mis-solicitudes/QRO-26-2222222"]
)
def test_unknown_program_or_folio_is_not_found(login, citizen, url):
    assert login(citizen).get(url).status_code == 404


def test_upload_to_a_requirement_of_another_program_is_not_found(login, citizen, program):
    client = login(citizen)
    application, _ = start(client, program)
    foreign = apps.required_requirements(submitted(make_citizen(), make_program()))[0]
    assert upload(client, application, foreign, png_bytes(), "x.png").status_code == 404
    assert Document.select().where(Document.application == application).count() == 0


def test_upload_without_csrf_token_stores_nothing(login, citizen, program, app):
    client = login(citizen)
    application, _ = start(client, program)
    app.config["WTF_CSRF_ENABLED"] = True
    requirement = apps.required_requirements(application)[0]
    response = upload(client, application, requirement, png_bytes(), "x.png")
    assert response.status_code == 400
    assert Document.select().count() == 0


def test_check_your_answers_shows_the_questionnaire_answers(login, program):
    citizen = make_citizen(
        profile={"household_size": 4, "disability": False, "employment": "empleo_informal"}
    )
    page = html(login(citizen).get(f"/programas/{program.slug}/solicitar"))
    text = page.get_text(" ", strip=True)
    assert "Personas en el hogar 4" in text
    assert "Discapacidad No" in text
    assert "Ocupación Trabajo sin seguro social o por mi cuenta" in text
