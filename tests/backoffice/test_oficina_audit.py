"""The audit trail: the verify command, the state admin's search and export."""

from __future__ import annotations

import csv
import io

import pytest

from portal.backoffice import audit
from portal.models import AuditEvent
from tests.factories import make_application, make_citizen, make_staff
from tests.support.html import html


def _entries():
    reviewer = make_staff("revisor")
    application = make_application()
    other = make_application()
    actor = audit.Actor.staff(reviewer)
    audit.record("solicitud.aprobada", actor, object_type="solicitud", object_id=application.folio)
    audit.record("solicitud.rechazada", actor, object_type="solicitud", object_id=other.folio)
    audit.record(
        "ver_documento",
        audit.Actor.citizen(application.citizen_id),
        object_type="documento",
        object_id=9,
    )
    return reviewer, application, other


def test_verify_command_passes_on_a_whole_chain(app):
    _entries()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "3 registros" in result.output


def test_verify_command_catches_a_tampered_row(app):
    _entries()
    second = list(AuditEvent.select().order_by(AuditEvent.id))[1]
    AuditEvent.update(action="solicitud.aprobada").where(AuditEvent.id == second.id).execute()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"registro {second.id}" in result.output and "alterado" in result.output


def test_verify_command_catches_a_deleted_row(app):
    _entries()
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    rows[0].delete_instance()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"registro {rows[1].id}" in result.output


def _actions(response):
    return [row.find_all("td")[3].text for row in html(response).select("tbody tr")]


def test_state_admin_searches_by_folio_person_staff_and_action(login):
    reviewer, application, other = _entries()
    client = login(make_staff("admin_estatal"))
    assert _actions(client.get("/oficina/auditoria")) == [
        "ver_documento",
        "solicitud.rechazada",
        "solicitud.aprobada",
    ]
    assert _actions(client.get(f"/oficina/auditoria?folio={application.folio.lower()}")) == [
        "solicitud.aprobada"
    ]
    by_person = client.get(f"/oficina/auditoria?citizen_id={application.citizen_id}")
    assert _actions(by_person) == ["ver_documento", "solicitud.aprobada"]
    assert _actions(
        client.get(f"/oficina/auditoria?staff_id={reviewer.id}&action=solicitud.rechazada")
    ) == ["solicitud.rechazada"]
    assert _actions(client.get("/oficina/auditoria?since=2000-01-01&until=2000-01-02")) == []


def test_audit_search_is_paginated(login):
    for i in range(55):
        audit.record("ver_solicitud", object_type="solicitud", object_id=i)
    client = login(make_staff("admin_estatal"))
    first = client.get("/oficina/auditoria")
    assert len(html(first).select("tbody tr")) == 50
    assert html(first).find("a", string="Siguiente")
    second = client.get(html(first).find("a", string="Siguiente")["href"])
    assert len(html(second).select("tbody tr")) == 5


def test_htmx_search_gets_only_the_results(login):
    _entries()
    client = login(make_staff("admin_estatal"))
    response = client.get(
        "/oficina/auditoria?action=solicitud.aprobada", headers={"HX-Request": "true"}
    )
    page = html(response)
    assert page.find("table") and not page.find("form") and not page.find("header")


def test_bad_dates_give_a_spanish_message(login):
    client = login(make_staff("admin_estatal"))
    response = client.get("/oficina/auditoria?since=2026-05-02&until=2026-05-01")
    assert "La fecha final no puede ser anterior a la inicial." in response.get_data(as_text=True)
    assert client.get("/oficina/auditoria/exportar?since=no-es-fecha").status_code == 422


def test_export_is_csv_without_formulas_and_is_itself_audited(login):
    _entries()
    audit.record("ver_solicitud", object_type='=HYPERLINK("http://x")', object_id="+1")
    client = login(make_staff("admin_estatal"))
    response = client.get("/oficina/auditoria/exportar")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "id" and len(rows) == 5
    assert rows[1][6] == '\'=HYPERLINK("http://x")' and rows[1][7] == "'+1"
    assert AuditEvent.select().order_by(AuditEvent.id.desc()).first().action == "exportar_bitacora"


@pytest.mark.parametrize("role", ["revisor", "entrega", "admin_dependencia"])
def test_only_state_admins_see_the_trail(login, role):
    client = login(make_staff(role))
    assert client.get("/oficina/auditoria").status_code == 403
    assert client.get("/oficina/auditoria/exportar").status_code == 403


def test_citizens_do_not_see_the_trail(login):
    client = login(make_citizen())
    assert client.get("/oficina/auditoria").status_code == 403
