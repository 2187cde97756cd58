"""The counter prints the receipt of the application it filed: 80 mm or letter/A4."""

from __future__ import annotations

import pytest

from portal.models import Application, AuditEvent
from portal.vocabulary import AuditAction
from tests.application_builders import MINIMAL_PDF, draft_for, submitted
from tests.backoffice.test_oficina_assisted import check_id, start_at_the_counter, upload_scan
from tests.conftest import sign_in_as
from tests.factories import (
    make_agency,
    make_citizen,
    make_municipality,
    make_program,
    make_staff,
    valid_curp,
)
from tests.support.html import html

RECEIPT = "/oficina/ventanilla/solicitudes/{folio}/comprobante"
SLIP = "/oficina/ventanilla/solicitudes/{folio}/comprobante/80mm"


@pytest.fixture
def counter():
    agency = make_agency(slug="sedesoq", name="Secretaría de Desarrollo Social")
    program = make_program(agency, name="Apoyo Alimentario", requirements=("identificacion",))
    make_municipality()
    return make_staff("revisor", agency), program


@pytest.fixture
def filed(login, counter):
    """The reviewer filed an application for a person at the counter: the
    reviewer's client, the response to the submission and the application."""
    client, _, application = start_at_the_counter(login, counter, "k-recibo")
    upload_scan(client, application, MINIMAL_PDF)
    response = client.post(f"/oficina/ventanilla/solicitudes/{application.folio}/enviar")
    return client, response, Application.get_by_id(application.id)


def text_of(page) -> str:
    return " ".join(page.get_text().split())


def test_after_filing_the_counter_sees_both_print_links(filed):
    client, response, application = filed
    assert response.status_code == 303
    assert response.location.endswith(f"/oficina/ventanilla/solicitudes/{application.folio}")
    page = html(client.get(response.location))
    assert f"Solicitud {application.folio} enviada" in text_of(page)
    links = {a.get_text(): a["href"] for a in page.find(class_="receipt-actions").find_all("a")}
    assert links == {
        "Imprimir comprobante (80 mm)": SLIP.format(folio=application.folio),
        "Imprimir en hoja carta o A4": RECEIPT.format(folio=application.folio),
    }


@pytest.mark.parametrize("url", [SLIP, RECEIPT], ids=["80mm", "carta"])
def test_the_counter_receipt_lists_documents_next_step_and_how_to_follow(filed, url):
    client, _, application = filed
    page = html(client.get(url.format(folio=application.folio)))
    text = text_of(page)
    assert page.find(class_="folio").get_text() == application.folio
    assert "Identificacion: Documento PDF, 1 KB" in text
    assert "escaneo.pdf" not in str(page)
    assert "Secretaría de Desarrollo Social revisará sus datos y sus documentos." in text
    assert "En una oficina de Secretaría de Desarrollo Social: diga su folio" in text
    assert page.find("a", string="Volver")["href"].endswith(f"/solicitudes/{application.folio}")
    # Staff are signed in, but this is not the person's session: no kiosk sign-out.
    assert page.find("form", attrs={"data-after-print": True}) is None
    assert page.find("nav") is None


def test_the_slip_is_narrow_and_the_letter_version_is_not(filed):
    client, _, application = filed
    slip = html(client.get(SLIP.format(folio=application.folio)))
    letter = html(client.get(RECEIPT.format(folio=application.folio)))
    assert "paper-80mm" in slip.body["class"] and "paper-carta" in letter.body["class"]


def test_reading_the_receipt_is_recorded_as_a_view_of_the_record(filed):
    client, _, application = filed
    views = AuditEvent.select().where(
        (AuditEvent.action == AuditAction.RECORD_VIEW)
        & (AuditEvent.object_id == str(application.citizen_id))
    )
    before = views.count()
    assert client.get(SLIP.format(folio=application.folio)).status_code == 200
    assert views.count() == before + 1


def test_staff_of_another_agency_get_404(app, filed):
    _, _, application = filed
    elsewhere = make_staff("revisor", make_agency())
    client = app.test_client()
    sign_in_as(client, elsewhere)
    check_id(client, Application.get_by_id(application.id).citizen)
    for url in (SLIP, RECEIPT):
        assert client.get(url.format(folio=application.folio)).status_code == 404


def test_the_counter_must_serve_the_person_to_print_their_receipt(app, counter):
    """As every counter page: the person looked up and their ID checked in this session."""
    reviewer, program = counter
    application = submitted(make_citizen(), program)
    client = app.test_client()
    sign_in_as(client, reviewer)
    response = client.get(SLIP.format(folio=application.folio))
    assert response.status_code == 303 and response.location.endswith("/oficina/ventanilla")
    check_id(client, make_citizen())  # someone else
    response = client.get(SLIP.format(folio=application.folio))
    assert response.status_code == 303 and response.location.endswith("/oficina/ventanilla")
    check_id(client, application.citizen)
    assert client.get(SLIP.format(folio=application.folio)).status_code == 200


def test_citizens_and_anonymous_visitors_cannot_open_the_counter_receipt(app, filed):
    _, _, application = filed
    anonymous = app.test_client().get(SLIP.format(folio=application.folio))
    assert anonymous.status_code == 302 and "/oficina/entrar" in anonymous.location
    client = app.test_client()
    sign_in_as(client, application.citizen)
    assert client.get(SLIP.format(folio=application.folio)).status_code in (403, 404)


def test_a_draft_has_no_receipt_yet(login, counter):
    reviewer, program = counter
    # A fixed CURP: the factory's sequence can spell a word the CURP rules refuse.
    citizen = make_citizen(curp=valid_curp(n=1))
    draft = draft_for(citizen, program)
    client = login(reviewer)
    check_id(client, citizen)
    response = client.get(SLIP.format(folio=draft.folio))
    assert response.status_code == 303
    assert response.location.endswith(f"/oficina/ventanilla/solicitudes/{draft.folio}")
