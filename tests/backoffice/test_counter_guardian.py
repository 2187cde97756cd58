"""The counter applies for a child: staff serving a parent or guardian type
the child's CURP, birth date, names and relation, and start and send the
application with the guardian named, through portal/applications/guardian.py
(the citizen's own flow). Refusals answer 422 on the field, writing nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.applications import guardian as guardians
from portal.applications.models import Assistance
from portal.citizens import curp as curp_rules
from portal.delivery import handover as delivery
from portal.eligibility.household import HouseholdError, born_years_ago
from portal.models import Application, AuditEvent, Citizen, Notice
from portal.vocabulary import AuditAction
from tests.application_builders import MINIMAL_PDF, submitted
from tests.backoffice.test_oficina_assisted import check_id, upload_scan
from tests.conftest import sign_in_as
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_municipality,
    make_program,
    make_staff,
    valid_curp,
)
from tests.support.html import html

TODAY = dt.date.today()
PAGE = "/oficina/ventanilla/persona/solicitar-para-menor"
UP_TO_12 = {
    "field": "age",
    "op": "lte",
    "value": 12,
    "reason": "Es para niñas y niños de 12 años o menos.",
}


@pytest.fixture
def agency(app):
    make_municipality()
    return make_agency(slug="sedesoq")


@pytest.fixture
def program(agency):
    return make_program(agency, requirements=("acta",), eligibility=[UP_TO_12])


@pytest.fixture
def reviewer(agency):
    return make_staff("revisor", agency)


@pytest.fixture
def guardian(app):
    return make_citizen(
        birth_date=dt.date(1990, 5, 17),
        profile={"household_size": 3, "household_income_monthly": 7000},
    )


@pytest.fixture
def served(login, reviewer, guardian):
    """The reviewer's client, serving the guardian with their ID checked."""
    client = login(reviewer)
    check_id(client, guardian)
    return client


def child_curp(age: int = 7, sex: str = "M") -> str:
    return valid_curp(born_years_ago(age, TODAY), sex)


def child_form(program, curp: str, **changes) -> dict[str, str]:
    born = curp_rules.birth_date(curp) if curp_rules.is_valid(curp) else TODAY
    return {
        "program": program.slug,
        "relation": "hija_hijo",
        "curp": curp,
        "birth_date": born.isoformat(),
        "given_names": "Ana",
        "first_surname": "Gómez",
        "second_surname": "Ruiz",
        "student_level": "primaria",
        "disability": "no",
        "idempotency_key": changes.pop("idempotency_key", curp),
        **changes,
    }


def state():
    return (
        Application.select().count(),
        Citizen.select().count(),
        AuditEvent.select().where(AuditEvent.action == AuditAction.CHILD_RECORD).count(),
        Assistance.select().count(),
    )


def field_error(response, name: str) -> str:
    element = html(response).find(id=f"{name}-error")
    return element.get_text(" ", strip=True) if element else ""


# The journey ---------------------------------------------------------------


def test_the_counter_applies_for_the_guardians_daughter(served, reviewer, guardian, program):
    page = html(served.get(PAGE))
    assert page.find("input", {"name": "curp"}) is not None
    assert curp_rules.mask(guardian.curp) in page.get_text()
    curp = child_curp()
    response = served.post(PAGE, data=child_form(program, curp.lower()))
    assert response.status_code == 303
    application = Application.get()
    assert response.location.endswith(f"/oficina/ventanilla/solicitudes/{application.folio}")
    child = Citizen.get_by_id(application.citizen_id)
    assert (child.curp, child.origin, child.given_names) == (curp, "tutor", "Ana")
    assert (application.guardian_id, application.guardian_relation) == (guardian.id, "hija_hijo")
    assert application.assisted_by_id == reviewer.id
    assert child.profile == {
        "household_size": 3,
        "household_income_monthly": 7000,
        "student_level": "primaria",
        "disability": False,
    }
    made = AuditEvent.get(AuditEvent.action == AuditAction.CHILD_RECORD)
    assert (made.actor_kind, made.actor_id, made.object_id) == (
        "personal",
        reviewer.id,
        str(child.id),
    )
    assert [(a.staff_id, a.act) for a in Assistance.select()] == [(reviewer.id, "solicitud")]
    detail = html(served.get(f"/oficina/ventanilla/solicitudes/{application.folio}"))
    assert guardian.full_name in detail.find(id="para-quien").get_text()
    person = html(served.get("/oficina/ventanilla/persona"))
    assert "para Ana" in person.find("a", string=application.folio).find_parent("li").get_text()


def test_opening_the_childs_application_at_the_counter_is_a_view_of_both_records(
    served, reviewer, guardian, program
):
    served.post(PAGE, data=child_form(program, child_curp()))
    application = Application.get()
    served.get(f"/oficina/ventanilla/solicitudes/{application.folio}")
    viewed = {
        e.object_id
        for e in AuditEvent.select().where(
            (AuditEvent.action == AuditAction.RECORD_VIEW) & (AuditEvent.actor_id == reviewer.id)
        )
    }
    assert {str(guardian.id), str(application.citizen_id)} <= viewed


def test_the_counter_sends_it_and_the_guardian_receives_the_notice(served, guardian, program):
    served.post(PAGE, data=child_form(program, child_curp()))
    application = Application.get()
    assert upload_scan(served, application, MINIMAL_PDF).status_code == 303
    response = served.post(f"/oficina/ventanilla/solicitudes/{application.folio}/enviar")
    assert response.status_code == 303
    assert Application.get_by_id(application.id).status == "enviada"
    assert Notice.get(Notice.application == application.id).citizen_id == guardian.id
    receipt = served.get(f"/oficina/ventanilla/solicitudes/{application.folio}/comprobante/80mm")
    assert receipt.status_code == 200


def test_an_existing_record_of_the_child_is_used(served, guardian, program):
    curp = child_curp()
    existing = make_citizen(curp=curp, birth_date=curp_rules.birth_date(curp), origin="import")
    assert served.post(PAGE, data=child_form(program, curp)).status_code == 303
    assert Application.get().citizen_id == existing.id


def test_a_double_post_starts_one_application(served, program):
    data = child_form(program, child_curp())
    first, second = served.post(PAGE, data=data), served.post(PAGE, data=data)
    assert first.location == second.location
    assert Application.select().count() == 1


def test_a_grandson_is_recorded_with_his_relation(served, program):
    data = child_form(program, child_curp(4, "H"), relation="nieta_nieto")
    assert served.post(PAGE, data=data).status_code == 303
    assert Application.get().guardian_relation == "nieta_nieto"


# Bad input: 422, the message on the field, nothing written -----------------


def _wrong_check_digit(curp: str) -> str:
    return curp[:17] + str((int(curp[17]) + 1) % 10)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"curp": "ABC"}, "curp", "18"),
        ({"curp": _wrong_check_digit(child_curp())}, "curp", "CURP"),
        ({"curp": child_curp(20)}, "curp", "20 años"),
        ({"birth_date": (TODAY - dt.timedelta(days=400)).isoformat()}, "birth_date", "no coincide"),
        ({"birth_date": ""}, "birth_date", "fecha de nacimiento"),
        ({"relation": "pareja"}, "relation", "hija o hijo"),
        ({"relation": ""}, "relation", "hija o hijo"),
        ({"given_names": "  "}, "given_names", "nombre"),
        ({"first_surname": ""}, "first_surname", "primer apellido"),
        ({"given_names": "A" * 81}, "given_names", "80"),
        ({"student_level": ""}, "student_level", "Elija"),
        ({"disability": "tal vez"}, "disability", "Elija"),
        ({"program": "no-existe"}, "program", "Elija uno de los programas"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(
    served, program, changes, field, message
):
    before = state()
    response = served.post(PAGE, data={**child_form(program, child_curp()), **changes})
    assert response.status_code == 422
    assert message.lower() in field_error(response, field).lower()
    assert state() == before


def test_the_guardians_own_curp_is_refused_and_nothing_is_written(served, guardian, program):
    before = state()
    response = served.post(PAGE, data=child_form(program, guardian.curp))
    assert response.status_code == 422
    assert "menor de 18" in field_error(response, "curp")
    assert state() == before


def test_a_curp_whose_record_is_an_adults_is_refused_neutrally(served, program):
    curp = child_curp()
    adult = make_citizen(curp=curp, birth_date=dt.date(1980, 1, 1), given_names="Rosa")
    before = state()
    response = served.post(PAGE, data=child_form(program, curp))
    assert response.status_code == 422
    assert field_error(response, "curp") == f"Error: {guardians.NOT_THIS_CURP_AT_COUNTER}"
    assert adult.full_name not in response.get_data(as_text=True)
    assert state() == before


def test_a_second_live_application_for_the_child_is_refused_on_the_curp(served, program):
    curp = child_curp()
    child = make_citizen(curp=curp, birth_date=curp_rules.birth_date(curp), origin="tutor")
    submitted(child, program)
    before = state()
    response = served.post(PAGE, data=child_form(program, curp))
    assert response.status_code == 422
    assert field_error(response, "curp") == f"Error: {guardians.CHILD_ALREADY_APPLIED}"
    assert state() == before


def test_the_programs_rules_are_checked_against_the_child(served, program):
    before = state()
    response = served.post(PAGE, data=child_form(program, child_curp(15)))
    assert response.status_code == 422
    assert "12 años o menos" in field_error(response, "program")
    assert state() == before


def test_another_agencys_program_is_not_offered_nor_accepted(served, program):
    other = make_program(make_agency(slug="educacion"))
    page = html(served.get(PAGE))
    offered = [o["value"] for o in page.find("select", {"name": "program"}).find_all("option")]
    assert program.slug in offered and other.slug not in offered
    before = state()
    response = served.post(PAGE, data=child_form(other, child_curp()))
    assert response.status_code == 422
    assert state() == before


# Who may use it ------------------------------------------------------------


def test_the_id_of_the_guardian_must_be_checked_first(login, reviewer, guardian, program):
    client = login(reviewer)
    client.post("/oficina/ventanilla", data={"curp": guardian.curp})
    response = client.post(PAGE, data=child_form(program, child_curp()))
    assert response.status_code == 303 and response.location.endswith("/oficina/ventanilla/persona")
    assert Application.select().count() == 0


def test_nobody_looked_up_sends_to_the_start(login, reviewer, program):
    response = login(reviewer).get(PAGE)
    assert response.status_code == 303 and response.location.endswith("/oficina/ventanilla")


@pytest.mark.parametrize("role", ["supervisor", "entrega"])
def test_roles_that_do_not_serve_the_counter_are_refused(login, agency, role):
    assert login(make_staff(role, agency)).get(PAGE).status_code == 403


def test_a_citizen_is_refused(login, guardian):
    response = login(guardian).get(PAGE)
    assert response.status_code in (302, 303, 403, 404)
    assert Application.select().count() == 0


def test_another_agencys_counter_cannot_open_the_childs_application(app, served, guardian, program):
    served.post(PAGE, data=child_form(program, child_curp()))
    application = Application.get()
    client = app.test_client()
    sign_in_as(client, make_staff("revisor", make_agency(slug="educacion")))
    check_id(client, guardian)
    assert client.get(f"/oficina/ventanilla/solicitudes/{application.folio}").status_code == 404


def test_serving_another_person_does_not_open_the_childs_application(served, guardian, program):
    served.post(PAGE, data=child_form(program, child_curp()))
    application = Application.get()
    check_id(served, make_citizen())
    response = served.get(f"/oficina/ventanilla/solicitudes/{application.folio}")
    assert response.status_code == 303 and response.location.endswith("/oficina/ventanilla")


# The rule, for every age ---------------------------------------------------


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(age=st.integers(min_value=0, max_value=40), sex=st.sampled_from(["M", "H"]))
def test_the_counter_reads_a_child_under_18_and_no_one_older(app, age, sex):
    guardian = Citizen(birth_date=dt.date(1950, 1, 1), profile={})
    curp = child_curp(age, sex)
    data = {
        "relation": "hija_hijo",
        "curp": curp,
        "birth_date": curp_rules.birth_date(curp),
        "given_names": "Ana",
        "first_surname": "Gómez",
        "student_level": "primaria",
        "disability": "no_se",
    }
    if age < 18:
        member, details = guardians.read_child_at_counter(data, guardian, TODAY)
        assert (member.age, member.sex, member.is_child, details.curp) == (age, sex, True, curp)
        assert member.disability is None
    else:
        with pytest.raises(HouseholdError) as refused:
            guardians.read_child_at_counter(data, guardian, TODAY)
        assert set(refused.value.errors) == {"curp"}


def test_a_post_without_the_form_token_is_refused_and_writes_nothing(app, served, program):
    app.config["WTF_CSRF_ENABLED"] = True
    before = state()
    response = served.post(PAGE, data=child_form(program, child_curp()))
    assert response.status_code in (400, 422)
    assert state() == before


@pytest.mark.parametrize("paper", ["", "/80mm"])
def test_the_counter_prints_the_approved_childs_credential_for_the_guardian(
    served, guardian, program, paper
):
    born = born_years_ago(6, TODAY)
    child = make_citizen(curp=valid_curp(born, "M"), birth_date=born, given_names="Ana")
    approved = make_application(
        child, program, status="aprobada", guardian=guardian, guardian_relation="hija_hijo"
    )
    delivery.issue_credential(approved)
    response = served.get(f"/oficina/ventanilla/solicitudes/{approved.folio}/credencial{paper}")
    assert response.status_code == 200
    assert child.full_name in html(response).get_text()
    check_id(served, make_citizen())
    response = served.get(f"/oficina/ventanilla/solicitudes/{approved.folio}/credencial{paper}")
    assert response.status_code == 303 and response.location.endswith("/oficina/ventanilla")
