"""The re-certification pages: the person sees the task and presents the proof
without JavaScript; staff judge it on the case page; every bad input answers
a clear Spanish message with a 4xx and writes nothing."""

from __future__ import annotations

import io

import pytest

from portal.delivery import recertification
from portal.models import Application, AuditEvent, Document, Recertification
from tests.application_builders import MINIMAL_PDF, png_bytes
from tests.delivery.recertification_builders import make_renewing_beneficiary, overdue, present
from tests.factories import make_agency, make_citizen, make_staff
from tests.support.html import html


@pytest.fixture
def world(app):
    application, credential, point, operator, reviewer, row = make_renewing_beneficiary()
    return {"application": application, "reviewer": reviewer, "row": row}


def _post_file(client, application, row, data: bytes, name: str):
    return client.post(
        f"/mis-solicitudes/{application.folio}/recertificacion/{row.id}",
        data={"document": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_the_person_sees_the_task_on_the_application_page_and_in_their_list(world, login):
    application = world["application"]
    client = login(application.citizen)
    detail = html(client.get(f"/mis-solicitudes/{application.folio}"))
    section = detail.select_one("#recertificacion")
    assert "Debe presentar «Constancia-estudios» antes del" in section.text
    assert section.select_one("a.button").attrs["href"].endswith("/recertificacion")
    listing = html(client.get("/mis-solicitudes"))
    assert "Debe presentar «Constancia-estudios» antes del" in listing.text


def test_the_person_uploads_the_proof_and_it_waits_for_review(world, login):
    application, row = world["application"], world["row"]
    client = login(application.citizen)
    page = html(client.get(f"/mis-solicitudes/{application.folio}/recertificacion"))
    assert (
        page.select_one("form[action*='/recertificacion/']").attrs["enctype"]
        == "multipart/form-data"
    )
    response = _post_file(client, application, row, MINIMAL_PDF, "constancia.pdf")
    assert response.status_code == 303
    assert Recertification.get_by_id(row.id).status == "por_revisar"
    detail = html(client.get(f"/mis-solicitudes/{application.folio}"))
    assert "la dependencia lo está revisando" in detail.select_one("#recertificacion").text


@pytest.mark.parametrize(
    ("data", "name", "message", "status"),
    [
        (b"MZ\x90\x00 no soy un documento", "constancia.exe", "no es ninguno", 422),
        (b"", "vacio.pdf", "vacío", 422),
        (b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024), "enorme.pdf", "MB", 413),
    ],
)
def test_a_bad_file_is_refused_in_spanish_and_nothing_is_written(
    world, login, app, data, name, message, status
):
    app.config["MAX_UPLOAD_MB"] = 1
    application, row = world["application"], world["row"]
    client = login(application.citizen)
    response = _post_file(client, application, row, data, name)
    assert response.status_code == status
    assert message in html(response).select_one(".error-summary").text
    assert Recertification.get_by_id(row.id).status == "pendiente"
    assert Document.select().count() == 0


def test_a_missing_file_is_refused(world, login):
    application, row = world["application"], world["row"]
    client = login(application.citizen)
    response = client.post(f"/mis-solicitudes/{application.folio}/recertificacion/{row.id}")
    assert response.status_code == 422
    assert "Elija un archivo" in response.get_data(as_text=True)


def test_a_task_already_accepted_is_refused(world, login):
    application, row, reviewer = world["application"], world["row"], world["reviewer"]
    present(application, row)
    recertification.accept(application, row.id, reviewer)
    client = login(application.citizen)
    response = _post_file(client, application, row, MINIMAL_PDF, "otra.pdf")
    assert response.status_code == 409
    assert "ya fue aceptado" in response.get_data(as_text=True)
    assert Document.select().count() == 1


def test_another_persons_task_answers_404(world, login):
    application, row = world["application"], world["row"]
    stranger = login(make_citizen())
    assert stranger.get(f"/mis-solicitudes/{application.folio}/recertificacion").status_code == 404
    assert _post_file(stranger, application, row, MINIMAL_PDF, "x.pdf").status_code == 404
    # Nor may the owner of another application reach this due date through their own folio.
    other, *_, other_row = make_renewing_beneficiary()
    owner = login(application.citizen)
    assert _post_file(owner, application, other_row, MINIMAL_PDF, "x.pdf").status_code == 404
    assert Recertification.get_by_id(other_row.id).status == "pendiente"


def test_staff_accept_the_proof_from_the_case_page(world, login):
    application, row, reviewer = world["application"], world["row"], world["reviewer"]
    present(application, row, png_bytes(), "foto.png")
    client = login(reviewer)
    case = html(client.get(f"/oficina/solicitudes/{application.folio}"))
    assert "Por revisar" in case.select_one("#recertificacion-caso").parent.text
    review = html(client.get(f"/oficina/recertificaciones/{application.folio}"))
    assert review.select_one("a[href*='/documentos/']")
    assert AuditEvent.select().where(AuditEvent.action == "expediente.consulta").exists()
    response = client.post(f"/oficina/recertificaciones/{application.folio}/{row.id}/aceptar")
    assert response.status_code == 303
    assert Recertification.get_by_id(row.id).status == "aceptada"
    again = client.post(f"/oficina/recertificaciones/{application.folio}/{row.id}/aceptar")
    assert again.status_code == 409
    assert "ya fue aceptada" in again.get_data(as_text=True)


def test_staff_ask_for_a_correction_with_a_reason(world, login):
    application, row, reviewer = world["application"], world["row"], world["reviewer"]
    present(application, row)
    client = login(reviewer)
    url = f"/oficina/recertificaciones/{application.folio}/{row.id}/corregir"
    empty = client.post(url, data={"motivo": "  "})
    assert empty.status_code == 422
    assert "Escriba qué debe corregir" in empty.get_data(as_text=True)
    assert Recertification.get_by_id(row.id).status == "por_revisar"
    long = client.post(url, data={"motivo": "x" * 501})
    assert long.status_code == 422
    response = client.post(url, data={"motivo": "La constancia no tiene sello."})
    assert response.status_code == 303
    assert Recertification.get_by_id(row.id).status == "corregir"
    person = login(application.citizen)
    assert "no tiene sello" in html(person.get(f"/mis-solicitudes/{application.folio}")).text


def test_nothing_to_judge_before_the_proof(world, login):
    application, row, reviewer = world["application"], world["row"], world["reviewer"]
    client = login(reviewer)
    response = client.post(f"/oficina/recertificaciones/{application.folio}/{row.id}/aceptar")
    assert response.status_code == 409
    assert "aún no sube" in response.get_data(as_text=True)


def test_another_agency_never_sees_the_task(world, login):
    application, row = world["application"], world["row"]
    present(application, row)
    stranger = login(make_staff("revisor", agency=make_agency()))
    assert stranger.get(f"/oficina/recertificaciones/{application.folio}").status_code == 404
    response = stranger.post(f"/oficina/recertificaciones/{application.folio}/{row.id}/aceptar")
    assert response.status_code == 404
    assert Recertification.get_by_id(row.id).status == "por_revisar"


def test_a_suspended_person_is_told_and_the_suspension_is_lifted(world, login):
    application, row, reviewer = world["application"], world["row"], world["reviewer"]
    recertification.suspend_overdue(overdue(row))
    client = login(application.citizen)
    detail = html(client.get(f"/mis-solicitudes/{application.folio}"))
    assert "Suspendida" in detail.text
    assert "Su apoyo está suspendido." in detail.select_one("#recertificacion").text
    assert _post_file(client, application, row, MINIMAL_PDF, "c.pdf").status_code == 303
    staff = login(reviewer)
    staff.post(f"/oficina/recertificaciones/{application.folio}/{row.id}/aceptar")
    assert Application.get_by_id(application.id).status == "aprobada"


def test_a_photo_is_refused_where_the_program_asks_for_a_pdf(world, login):
    from portal.models import Requirement

    application, row = world["application"], world["row"]
    Requirement.update(formats="pdf").where(Requirement.slug == "constancia-estudios").execute()
    client = login(application.citizen)
    response = _post_file(client, application, row, png_bytes(), "foto.png")
    assert response.status_code == 422
    assert Recertification.get_by_id(row.id).status == "pendiente"
    assert Document.select().count() == 0


def test_the_proof_upload_is_rate_limited_per_person(app):
    from portal.web import limits

    rules = [r for r in limits.LIMITS if r.endpoint == "recertification.upload"]
    assert [r.by for r in rules] == [limits.PERSON]
    view = app.view_functions["recertification.upload"]
    assert getattr(view, "__wrapper-limiter-instance", None) == app.extensions["portal_limiter"]
