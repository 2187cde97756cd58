"""Ending a benefit with a cause from the catalog (issue 16, item 5, first part):
through the one status path, the person notified, the QR refused after."""

from __future__ import annotations

import pytest

from portal.delivery import ending
from portal.delivery import handover as delivery
from portal.models import Application, AuditEvent, Call, Enrollment, Notice
from tests.delivery.period_builders import confirm, make_beneficiary
from tests.factories import make_staff
from tests.support.html import html


@pytest.fixture
def world(app):
    application, credential, point, operator = make_beneficiary()
    supervisor = make_staff("supervisor", agency=application.program.agency)
    return {
        "application": application,
        "credential": credential,
        "point": point,
        "operator": operator,
        "supervisor": supervisor,
    }


@pytest.mark.parametrize("cause", list(ending.END_CAUSES))
def test_each_cause_ends_the_benefit_and_tells_the_person(world, cause):
    application = world["application"]
    places = Call.get_by_id(application.call_id).places_taken
    enrollment = ending.end_benefit(application, world["supervisor"], cause, "Aviso del área")
    assert not enrollment.active and enrollment.ended_on is not None
    assert Application.get_by_id(application.id).status == "cancelada"
    # The place is given back by the one status path.
    assert Call.get_by_id(application.call_id).places_taken == places - 1
    text = str(ending.END_CAUSES[cause])
    notice = Notice.select().where(Notice.application == application).order_by(Notice.id.desc())
    assert text in notice.first().body and "Aviso del área" in notice.first().body
    entry = AuditEvent.select().where(AuditEvent.action == "inscripcion.baja").get()
    assert entry.details["causa"] == cause
    # The delivery point refuses the code from then on.
    assert delivery.recheck(world["credential"], world["operator"]).code == "revocada"


def test_a_delivered_one_off_benefit_keeps_its_status_and_ends_its_enrollment(app):
    application, credential, point, operator = make_beneficiary(months=1)
    confirm(credential, operator, point, period=1)
    assert Application.get_by_id(application.id).status == "entregada"
    supervisor = make_staff("supervisor", agency=application.program.agency)
    ending.end_benefit(Application.get_by_id(application.id), supervisor, "duplicado")
    assert Application.get_by_id(application.id).status == "entregada"
    assert not Enrollment.get(Enrollment.application == application).active
    assert Notice.select().where(Notice.title.contains("inscripción terminada")).exists()


@pytest.mark.parametrize(
    ("cause", "details", "field"),
    [("", "", "causa"), ("se-fue", "", "causa"), ("voluntaria", "x" * 501, "detalle")],
)
def test_a_bad_cause_or_details_is_refused_and_nothing_is_written(world, cause, details, field):
    with pytest.raises(ending.EndingError) as refused:
        ending.end_benefit(world["application"], world["supervisor"], cause, details)
    assert refused.value.field == field
    assert Application.get_by_id(world["application"].id).status == "aprobada"
    assert Enrollment.get(Enrollment.application == world["application"]).active


def test_ending_twice_is_refused(world):
    ending.end_benefit(world["application"], world["supervisor"], "voluntaria")
    with pytest.raises(ending.EndingError):
        ending.end_benefit(
            Application.get_by_id(world["application"].id), world["supervisor"], "voluntaria"
        )


def test_the_supervisor_ends_it_from_the_case_page(world, login):
    application = world["application"]
    client = login(world["supervisor"])
    case = html(client.get(f"/oficina/solicitudes/{application.folio}"))
    link = case.find("a", string="Dar de baja del programa")
    assert link is not None
    page = client.get(link["href"])
    assert page.status_code == 200
    refused = client.post(link["href"], data={"causa": ""})
    assert refused.status_code == 422
    assert "Elija la causa" in html(refused).get_text()
    done = client.post(link["href"], data={"causa": "ya_no_cumple", "detalle": ""})
    assert done.status_code == 303
    assert Application.get_by_id(application.id).status == "cancelada"
    again = client.post(link["href"], data={"causa": "ya_no_cumple"})
    assert again.status_code == 409


def test_other_agencies_and_roles_cannot_end_a_benefit(world, login, client):
    url = f"/oficina/inscripciones/{world['application'].folio}/baja"
    stranger = make_staff("supervisor")
    assert login(stranger).post(url, data={"causa": "voluntaria"}).status_code == 404
    reviewer = make_staff("revisor", agency=world["application"].program.agency)
    assert login(reviewer).post(url, data={"causa": "voluntaria"}).status_code == 403
    case = html(login(reviewer).get(f"/oficina/solicitudes/{world['application'].folio}"))
    assert case.find("a", string="Dar de baja del programa") is None
    assert Application.get_by_id(world["application"].id).status == "aprobada"
