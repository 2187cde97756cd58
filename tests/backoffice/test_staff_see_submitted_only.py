"""Staff see an application only once the person has sent it (issue 14, item
20): a draft's folio and its documents answer 404 on every staff route, as a
folio that does not exist, it is in no list, and the audit search shows
nothing that points to it."""

from __future__ import annotations

import pytest

from portal.models import Application, AuditEvent, Document
from tests.application_builders import draft_for, submitted
from tests.factories import make_citizen, make_staff
from tests.support.html import html

ROLES = ["revisor", "supervisor", "admin_dependencia", "admin_estatal"]

POSTS = [
    "tomar",
    "soltar",
    "correccion",
    "aprobar",
    "aprobar-con-excepcion",
    "rechazar",
    "marcar",
]


@pytest.fixture
def draft(program):
    return draft_for(make_citizen(), program)


def _staff(role, agency):
    return make_staff(role, None if role == "admin_estatal" else agency)


def _document(application) -> Document:
    return Document.select().where(Document.application == application.id).first()


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_case_page_is_404_to_staff(login, agency, draft, role):
    client = login(_staff(role, agency))
    assert client.get(f"/oficina/solicitudes/{draft.folio}").status_code == 404
    assert client.get(f"/oficina/solicitudes/{draft.folio.lower()}").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_a_drafts_documents_and_previews_are_404_to_staff(login, agency, draft, role):
    client = login(_staff(role, agency))
    doc = _document(draft)
    assert client.get(f"/oficina/solicitudes/{draft.folio}/documentos/{doc.id}").status_code == 404
    response = client.post(
        f"/oficina/solicitudes/{draft.folio}/documentos/{doc.id}/dictamen",
        data={"decision": "aceptado", "version": draft.version},
    )
    assert response.status_code == 404
    assert Document.get_by_id(doc.id).status == doc.status
    assert not AuditEvent.select().where(AuditEvent.action == "ver_documento").exists()


@pytest.mark.parametrize("action", POSTS)
def test_no_decision_or_step_reaches_a_draft(login, agency, draft, action):
    client = login(make_staff("supervisor", agency))
    response = client.post(
        f"/oficina/solicitudes/{draft.folio}/{action}",
        data={"version": draft.version, "reason": "falta_documento", "details": "x" * 20},
    )
    assert response.status_code == 404
    fresh = Application.get_by_id(draft.id)
    assert (fresh.status, fresh.version, fresh.assigned_to_id, fresh.flagged) == (
        "borrador",
        draft.version,
        None,
        False,
    )


def test_a_draft_is_in_no_queue_and_never_the_next_case(login, agency, program, reviewer, draft):
    sent = submitted(make_citizen(), program)
    client = login(reviewer)
    page = client.get("/oficina?status=")
    folios = [a.text for a in html(page).select("tbody a.folio")]
    assert folios == [sent.folio]
    response = client.get(f"/oficina/siguiente?despues={sent.folio}")
    assert response.status_code == 303 and draft.folio not in response.headers["Location"]
    assert client.get(f"/oficina?despues={draft.id}").status_code == 200


def test_the_same_application_opens_once_it_is_sent(login, agency, program, reviewer):
    citizen = make_citizen()
    application = submitted(citizen, program)
    client = login(reviewer)
    assert client.get(f"/oficina/solicitudes/{application.folio}").status_code == 200
    doc = _document(application)
    path = f"/oficina/solicitudes/{application.folio}/documentos/{doc.id}"
    assert client.get(path).status_code == 200


def test_the_audit_search_shows_nothing_that_points_to_a_draft(login, agency, program, draft):
    sent = submitted(make_citizen(), program)
    client = login(make_staff("admin_estatal"))
    assert AuditEvent.select().where(AuditEvent.object_id == draft.folio).exists()

    def objects(path):
        return html(client.get(path)).text

    assert draft.folio not in objects("/oficina/auditoria")
    assert sent.folio in objects("/oficina/auditoria")
    assert draft.folio not in objects(f"/oficina/auditoria?folio={draft.folio}")
    assert draft.folio not in objects(f"/oficina/auditoria?citizen_id={draft.citizen_id}")
    export = client.get("/oficina/auditoria/exportar").get_data(as_text=True)
    assert draft.folio not in export and sent.folio in export
