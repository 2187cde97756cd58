"""Every staff look-up and view of a person's record is audited, and the person sees them."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.backoffice import audit
from portal.citizens import record as citizens
from portal.models import AuditEvent
from portal.vocabulary import AuditAction
from portal.web.database import is_sqlite
from portal.web.extensions import db
from tests.application_builders import submitted
from tests.backoffice.test_oficina_assisted import CIC, check_id, look_up
from tests.factories import make_agency, make_citizen, make_program, make_staff, valid_curp
from tests.support.html import html


@pytest.fixture
def agency(app):
    return make_agency(slug="sedesoq", name="Secretaría de Desarrollo Social")


def _views(citizen):
    return list(
        AuditEvent.select()
        .where(
            (AuditEvent.action == AuditAction.RECORD_VIEW)
            & (AuditEvent.object_id == str(citizen.id))
        )
        .order_by(AuditEvent.id)
    )


def test_a_curp_look_up_is_audited_and_the_persons_page_is_a_view(login, agency):
    reviewer = make_staff("revisor", agency)
    citizen = make_citizen()
    client = login(reviewer)
    look_up(client, citizen)
    search = AuditEvent.get(AuditEvent.action == AuditAction.COUNTER_SEARCH)
    assert (search.actor_id, search.agency_id, search.outcome) == (
        reviewer.id,
        agency.id,
        "encontrada",
    )
    assert _views(citizen) == []  # the look-up itself showed nothing yet
    client.get("/oficina/ventanilla/persona")
    client.get("/oficina/ventanilla/persona")
    views = _views(citizen)
    assert len(views) == 2
    assert {(v.actor_id, v.role, v.agency_id) for v in views} == {
        (reviewer.id, "revisor", agency.id)
    }
    assert views[0].details == {"motivo": "ventanilla"}
    trail = " ".join(str(e.details) + e.object_id for e in AuditEvent.select())
    assert citizen.curp not in trail


def test_an_unknown_curp_look_up_is_audited_too(login, agency):
    client = login(make_staff("revisor", agency))
    client.post("/oficina/ventanilla", data={"curp": valid_curp(dt.date(1971, 1, 2), "H")})
    search = AuditEvent.get(AuditEvent.action == AuditAction.COUNTER_SEARCH)
    assert (search.outcome, search.object_id) == ("sin_registro", "")


def test_the_person_page_needs_a_look_up_in_this_session(login, agency):
    client = login(make_staff("revisor", agency))
    response = client.get("/oficina/ventanilla/persona")
    assert response.status_code == 303 and response.location.endswith("/oficina/ventanilla")
    assert not AuditEvent.select().where(AuditEvent.action == AuditAction.RECORD_VIEW).exists()


def test_the_counter_never_lists_people(login, agency):
    make_citizen()
    client = login(make_staff("revisor", agency))
    page = html(client.get("/oficina/ventanilla"))
    assert "Gómez" not in page.get_text()
    assert client.get("/oficina/ventanilla/personas").status_code == 404


def test_a_typed_0000_neither_opens_nor_rewrites_the_person(login, agency):
    citizen = make_citizen()
    client = login(make_staff("revisor", agency))
    response = check_id(client, citizen, "ine", "0000")
    assert response.status_code == 422
    assert "cópielo del documento" in response.get_data(as_text=True)
    answer = client.post(
        "/oficina/ventanilla/persona/cuestionario/pregunta/household_size", data={"answer": "9"}
    )
    assert answer.status_code == 303 and answer.location.endswith("/oficina/ventanilla/persona")
    assert citizen.identity_checks.count() == 0
    assert type(citizen).get_by_id(citizen.id).profile == citizen.profile


def test_reviewers_opening_a_case_or_a_document_are_views_of_the_record(login, agency):
    reviewer = make_staff("revisor", agency)
    citizen = make_citizen()
    application = submitted(citizen, make_program(agency))
    client = login(reviewer)
    assert client.get(f"/oficina/solicitudes/{application.folio}").status_code == 200
    document = application.documents.first()
    client.get(f"/oficina/solicitudes/{application.folio}/documentos/{document.id}")
    views = _views(citizen)
    assert [v.details for v in views] == [
        {"motivo": "revision", "folio": application.folio},
        {"motivo": "revision", "folio": application.folio, "documento": document.id},
    ]


def test_another_agencys_reviewer_gets_404_and_no_view_is_recorded(login, agency):
    citizen = make_citizen()
    application = submitted(citizen, make_program(agency))
    client = login(make_staff("revisor", make_agency()))
    assert client.get(f"/oficina/solicitudes/{application.folio}").status_code == 404
    assert _views(citizen) == []


# What the person sees in /mis-datos ---------------------------------------------------


def test_the_person_sees_who_looked_at_their_record(login, agency):
    citizen = make_citizen(privacy_version=citizens.PRIVACY_VERSION)
    reviewer = make_staff("revisor", agency, name="Laura Méndez")
    application = submitted(citizen, make_program(agency))
    audit.record_view(reviewer, citizen, "revision", application)
    AuditEvent.update(created_at=dt.datetime(2026, 3, 2, 18, 5)).execute()  # 12:05 in Querétaro
    somebody_else = make_citizen()
    audit.record_view(
        make_staff("revisor", agency, name="Otro Revisor"), somebody_else, "ventanilla"
    )
    page = html(login(citizen).get("/mis-datos"))
    table = page.select_one("table.record-views")
    rows = [" ".join(tr.get_text(" ").split()) for tr in table.select("tbody tr")]
    assert rows == [
        f"02/03/2026 12:05 Laura Méndez, Revisión de solicitudes Secretaría de Desarrollo Social "
        f"Revisión de su solicitud · {application.folio}"
    ]
    assert "Otro Revisor" not in page.get_text()  # another person's views stay theirs


def test_repeated_views_in_one_visit_are_one_line(login, agency):
    citizen = make_citizen(privacy_version=citizens.PRIVACY_VERSION)
    reviewer = make_staff("revisor", agency, name="Laura Méndez")
    for _ in range(3):
        audit.record_view(reviewer, citizen, "ventanilla")
    views = audit.views_of(citizen.id)
    assert [(v.staff_name, v.reason, v.times) for v in views] == [("Laura Méndez", "ventanilla", 3)]
    page = html(login(citizen).get("/mis-datos"))
    assert "3 veces" in page.select_one("table.record-views").get_text()


def test_a_person_nobody_looked_at_is_told_so(login):
    citizen = make_citizen(privacy_version=citizens.PRIVACY_VERSION)
    page = html(login(citizen).get("/mis-datos"))
    assert "Nadie del personal ha consultado su expediente." in page.get_text()


def test_the_list_is_bounded(app, agency):
    citizen = make_citizen()
    staff = [make_staff("revisor", agency) for _ in range(3)]
    for i in range(audit.VIEWS_SHOWN + 20):
        audit.record_view(staff[i % 3], citizen, "revision")
    views = audit.views_of(citizen.id)
    assert sum(v.times for v in views) == audit.VIEWS_SHOWN


def test_the_views_query_uses_the_index_not_a_scan_of_the_trail(agency):
    citizen = make_citizen()
    reviewer = make_staff("revisor", agency)
    audit.record_view(reviewer, citizen, "revision")
    # A trail where staff looked at other people too, with its statistics, as
    # a real one: the planner then weighs the indexes as it would at scale.
    someone_else = make_citizen()
    for _ in range(300):
        audit.record_view(reviewer, someone_else, "revision")
    db.execute_sql("ANALYZE audit_event")
    query = (
        AuditEvent.select()
        .where(
            (AuditEvent.object_type == audit.CITIZEN_OBJECT)
            & (AuditEvent.object_id == str(citizen.id))
            & (AuditEvent.action == AuditAction.RECORD_VIEW)
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(audit.VIEWS_SHOWN)
    )
    sql, params = query.sql()
    if is_sqlite():
        plan = " ".join(str(row) for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "audit_event_object_type_object_id_action_created_at" in plan, plan
        assert "SCAN" not in plan.replace("USING INDEX", ""), plan
    else:
        with db.atomic():
            db.execute_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in db.execute_sql(f"EXPLAIN {sql}", params))
        # PostgreSQL may pick the composite index or the one on object_id
        # alone: both read this person's entries only, never the whole trail.
        assert "Index Scan using audit_event_object" in plan, plan
        assert "Seq Scan" not in plan, plan


def test_a_view_names_a_known_reason_only(agency):
    with pytest.raises(ValueError):
        audit.record_view(make_staff("revisor", agency), make_citizen(), "curiosidad")
    assert not AuditEvent.select().exists()


def test_a_checked_id_number_never_enters_the_trail(login, agency):
    citizen = make_citizen()
    client = login(make_staff("revisor", agency))
    assert check_id(client, citizen, "ine", CIC).status_code == 303
    trail = " ".join(str(e.details) + e.object_id for e in AuditEvent.select())
    assert CIC not in trail
