"""A parent or guardian applies for a child of their household (issue 18, item 2).

The child's CURP is checked against the household (valid, younger than the
guardian, the age and sex the household says); the application is the
child's, with the guardian and the relation on it; the rules are the child's;
the guardian follows it, uploads its documents and receives its notices.
Bad input answers 422 with the message on the field and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.applications import guardian as guardians
from portal.applications import workflow as apps
from portal.citizens import curp as curp_rules
from portal.citizens import record
from portal.eligibility import household
from portal.eligibility.household import HouseholdError, Member, born_years_ago
from portal.models import Application, AuditEvent, Citizen, Document, Notice
from tests.application_builders import MINIMAL_PDF, citizen_actor, upload_all
from tests.conftest import sign_in_as
from tests.factories import make_citizen, make_program, make_staff, valid_curp
from tests.support.html import html

TODAY = dt.date.today()
UP_TO_12 = {
    "field": "age",
    "op": "lte",
    "value": 12,
    "reason": "Es para niñas y niños de 12 años o menos.",
}
DAUGHTER_7 = Member("hija_hijo", 7, "M", "primaria", False)


@pytest.fixture
def guardian(app):
    person = make_citizen(
        birth_date=dt.date(1990, 5, 17),
        profile={"household_size": 4, "household_income_monthly": 9000},
    )
    household.add_member(person.id, DAUGHTER_7)
    return person


@pytest.fixture
def program(app):
    return make_program(requirements=("acta",), eligibility=[UP_TO_12])


def child_curp(age: int = 7, sex: str = "M") -> str:
    return valid_curp(born_years_ago(age, TODAY), sex)


def form(curp: str, **overrides) -> dict[str, str]:
    return {
        "curp": curp,
        "given_names": "Ana",
        "first_surname": "Gómez",
        "second_surname": "Ruiz",
        "idempotency_key": overrides.pop("idempotency_key", curp),
        **overrides,
    }


def state():
    return (Application.select().count(), Citizen.select().count(), AuditEvent.select().count())


def apply(client, program, data, member=0):
    return client.post(f"/programas/{program.slug}/solicitar-para/{member}", data=data)


# The journey ---------------------------------------------------------------


def test_guardian_applies_for_a_seven_year_old_daughter(login, guardian, program):
    client = login(guardian)
    page = html(client.get(f"/programas/{program.slug}/solicitar-para/0"))
    assert "para su hija de 7 años" in page.find("h1").get_text()
    assert page.find("input", {"name": "curp"}) is not None
    curp = child_curp()
    response = apply(client, program, form(curp.lower()))
    assert response.status_code == 303
    application = Application.get()
    assert response.headers["Location"].endswith(f"/mis-solicitudes/{application.folio}/documentos")
    child = Citizen.get_by_id(application.citizen_id)
    assert (child.curp, child.origin, child.sex) == (curp, "tutor", "M")
    assert child.birth_date == curp_rules.birth_date(curp)
    assert (child.given_names, child.first_surname) == ("Ana", "Gómez")
    assert (application.guardian_id, application.guardian_relation) == (guardian.id, "hija_hijo")
    # The household's facts about her: its shared answers and her own.
    assert child.profile == {
        "household_size": 4,
        "household_income_monthly": 9000,
        "student_level": "primaria",
        "disability": False,
    }
    assert AuditEvent.get(AuditEvent.action == "record.child").object_id == str(child.id)
    listing = html(client.get("/mis-solicitudes"))
    row = listing.find("a", string=application.folio).find_parent("tr")
    assert "Para Ana" in row.get_text()
    detail = html(client.get(f"/mis-solicitudes/{application.folio}"))
    assert "Esta solicitud es de Ana Gómez Ruiz" in detail.find(id="para-quien").get_text()


def test_the_apply_page_and_the_results_offer_applying_for_the_child(login, guardian, program):
    client = login(guardian)
    page = html(client.get(f"/programas/{program.slug}/solicitar"))
    link = page.find("a", string="Solicitar para su hija de 7 años")
    assert link["href"] == f"/programas/{program.slug}/solicitar-para/0"


def test_the_results_offer_applying_for_the_child_of_the_household(login, guardian, program):
    client = login(guardian)
    page = html(client.get("/cuestionario/resultados"))
    card = page.find("h3", string="Para su hija de 7 años").find_parent("li")
    link = card.find("a", string="Solicitar para su hija de 7 años")
    assert link["href"] == f"/programas/{program.slug}/solicitar-para/0"


def test_the_rules_are_checked_against_the_child(login, app, program):
    parent = make_citizen()
    household.add_member(parent.id, Member("hija_hijo", 14, "H", "secundaria", False))
    client = login(parent)
    before = state()
    response = apply(client, program, form(child_curp(14, "H")))
    assert response.status_code == 422
    assert "Es para niñas y niños de 12 años o menos." in html(response).get_text()
    assert state() == before


def test_an_existing_record_of_the_child_is_used_not_duplicated(login, guardian, program):
    curp = child_curp()
    existing = make_citizen(curp=curp, birth_date=curp_rules.birth_date(curp), origin="import")
    before = Citizen.select().count()
    assert apply(login(guardian), program, form(curp)).status_code == 303
    assert Citizen.select().count() == before
    assert Application.get().citizen_id == existing.id


def test_the_childs_own_account_sees_it_and_another_citizen_does_not(
    login, client, app, guardian, program
):
    curp = child_curp()
    apply(login(guardian), program, form(curp))
    application = Application.get()
    child = Citizen.get(Citizen.curp == curp)
    for person, status in ((child, 200), (make_citizen(), 404)):
        other = app.test_client()
        sign_in_as(other, person)
        assert other.get(f"/mis-solicitudes/{application.folio}").status_code == status
        assert other.get(f"/mis-solicitudes/{application.folio}/documentos").status_code == status
    stranger = app.test_client()
    sign_in_as(stranger, make_citizen())
    assert application.folio not in stranger.get("/mis-solicitudes").get_data(as_text=True)


def test_staff_cannot_use_the_page(app, program):
    staff_client = app.test_client()
    sign_in_as(staff_client, make_staff())
    response = staff_client.get(f"/programas/{program.slug}/solicitar-para/0")
    assert response.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, program):
    response = client.get(f"/programas/{program.slug}/solicitar-para/0")
    assert response.status_code in (302, 303)
    assert "/entrar" in response.headers["Location"]


def test_the_guardian_uploads_submits_and_receives_the_notices(login, guardian, program):
    client = login(guardian)
    apply(client, program, form(child_curp()))
    application = Application.get()
    requirement = apps.required_requirements(application)[0]
    response = client.post(
        f"/mis-solicitudes/{application.folio}/requisitos/{requirement.id}",
        data={"document": (io.BytesIO(MINIMAL_PDF), "acta.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert Document.select().where(Document.application == application.id).count() == 1
    assert client.post(f"/mis-solicitudes/{application.folio}/enviar").status_code == 303
    assert Application.get_by_id(application.id).status == "enviada"
    notice = Notice.get(Notice.application == application.id)
    assert notice.citizen_id == guardian.id
    assert client.get("/avisos").status_code == 200


# Bad input: 422, the message on the field, nothing written -----------------


def _wrong_check_digit(curp: str) -> str:
    return curp[:17] + str((int(curp[17]) + 1) % 10)


BAD_INPUT = {
    "bad check digit": (lambda: _wrong_check_digit(child_curp()), "curp", "dígito verificador"),
    "too short": (lambda: "GOMA180101", "curp", "18 caracteres"),
    "empty": (lambda: "", "curp", "Escriba su CURP"),
    "age disagrees": (lambda: child_curp(9), "curp", "tiene 9 años, y en su hogar dijo 7"),
    "sex disagrees": (lambda: child_curp(7, "H"), "curp", "El sexo de esta CURP"),
    "older than the guardian": (
        lambda: valid_curp(dt.date(1985, 1, 10), "M"),
        "curp",
        "nació antes que usted",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_curps_are_refused_on_the_field_and_nothing_is_written(login, guardian, program, case):
    make_curp, field, message = BAD_INPUT[case]
    client = login(guardian)
    before = state()
    response = apply(client, program, form(make_curp()))
    assert response.status_code == 422
    error = html(response).find(id=f"{field}-error")
    assert message in error.get_text()
    assert state() == before


def test_missing_names_are_refused_on_their_fields(login, guardian, program):
    before = state()
    response = apply(
        login(guardian), program, form(child_curp(), given_names=" ", first_surname="")
    )
    assert response.status_code == 422
    page = html(response)
    assert "Escriba el nombre" in page.find(id="given_names-error").get_text()
    assert "Escriba el primer apellido" in page.find(id="first_surname-error").get_text()
    assert state() == before


@pytest.mark.parametrize(
    "member",
    [
        Member("pareja", 34, "H", "ninguno", False),
        Member("hija_hijo", 19, "M", "licenciatura", False),
    ],
)
def test_a_member_who_is_not_a_child_is_refused(login, app, program, member):
    parent = make_citizen(birth_date=dt.date(1960, 1, 1))
    household.add_member(parent.id, member)
    client = login(parent)
    page = client.get(f"/programas/{program.slug}/solicitar-para/0")
    assert "menor de 18 años" in html(page).get_text()
    assert html(page).find("input", {"name": "curp"}) is None
    before = state()
    response = apply(
        client, program, form(valid_curp(born_years_ago(member.age, TODAY), member.sex))
    )
    assert response.status_code == 422
    assert state() == before


def test_a_member_not_in_the_list_is_not_found(login, guardian, program):
    client = login(guardian)
    assert client.get(f"/programas/{program.slug}/solicitar-para/1").status_code == 404
    assert client.get(f"/programas/{program.slug}/solicitar-para/-1").status_code == 404
    assert client.get("/programas/no-existe/solicitar-para/0").status_code == 404


def test_a_curp_whose_record_is_an_adults_is_refused_neutrally(login, guardian, program):
    curp = child_curp()
    # A record under that CURP with an adult's birth date (a roll's mistake, say).
    make_citizen(curp=curp, birth_date=dt.date(1970, 3, 3), given_names="Otra")
    before = state()
    response = apply(login(guardian), program, form(curp))
    assert response.status_code == 422
    text = html(response).get_text()
    assert "No podemos hacer una solicitud con esta CURP" in text
    assert "Otra" not in text and "1970" not in text
    assert state() == before


def test_the_guardians_own_curp_is_not_a_child(app, guardian):
    details = record.ChildDetails(guardian.curp, "María", "Gómez", "")
    with pytest.raises(record.NotAChild):
        record.record_for_child(details, {}, guardian, on=TODAY)


def test_a_second_live_application_for_the_same_child_and_program_is_refused(
    login, app, guardian, program
):
    curp = child_curp()
    client = login(guardian)
    apply(client, program, form(curp))
    first = Application.get()
    upload_all(first, guardian)
    assert apps.submit(first, citizen_actor(guardian.id)).status == "enviada"
    # The other parent, with the same daughter in their household.
    other_parent = make_citizen(birth_date=dt.date(1988, 2, 2), sex="H")
    household.add_member(other_parent.id, DAUGHTER_7)
    other = app.test_client()
    sign_in_as(other, other_parent)
    before = state()
    response = apply(other, program, form(curp, idempotency_key="otra"))
    assert response.status_code == 422
    assert "Ya hay una solicitud en curso para esta niña o niño" in html(response).get_text()
    response = apply(client, program, form(curp, idempotency_key="tercera"))
    assert response.status_code == 422
    assert state() == before


def test_a_double_post_creates_one_application(login, guardian, program):
    client = login(guardian)
    data = form(child_curp())
    assert apply(client, program, data).status_code == 303
    assert apply(client, program, data).status_code == 303
    assert Application.select().count() == 1


def test_curp_attempts_are_rate_limited(login, guardian, program):
    client = login(guardian)
    for _ in range(10):
        assert apply(client, program, form("NO-ES-CURP")).status_code == 422
    assert apply(client, program, form("NO-ES-CURP")).status_code == 429


# Properties -----------------------------------------------------------------

PERSON = Citizen(birth_date=dt.date(1990, 5, 17), sex="M", profile={})


@given(
    relation=st.sampled_from(sorted(household.RELATIONS)),
    age=st.integers(0, 40),
    sex=st.sampled_from(["H", "M", "X"]),
    born=st.dates(dt.date(1950, 1, 1), TODAY),
    curp_sex=st.sampled_from(["H", "M"]),
)
def test_a_child_read_from_the_form_is_younger_than_the_guardian_and_agrees(
    relation, age, sex, born, curp_sex
):
    member = Member(relation, age, sex, "primaria", None)
    curp = valid_curp(born, curp_sex, n=1)
    try:
        details = guardians.read_child(form(curp), member, PERSON, TODAY)
    except HouseholdError as error:
        assert error.errors
        return
    assert member.is_child
    assert curp_rules.birth_date(details.curp) > PERSON.birth_date
    assert record.age_on(curp_rules.birth_date(details.curp), TODAY) == age
    assert sex in ("X", curp_sex)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(relation=st.sampled_from(sorted(household.RELATIONS)), age=st.integers(0, 25))
def test_no_path_creates_a_childs_application_without_guardian_and_relation(app, relation, age):
    program = make_program(requirements=())
    parent = make_citizen(birth_date=dt.date(1970, 1, 1))
    member = Member(relation, age, "M", "primaria", False)
    details = record.ChildDetails(valid_curp(born_years_ago(age, TODAY), "M"), "Ana", "Gómez", "")
    try:
        guardians.apply_for_child(parent, member, details, program, f"k{relation}{age}", on=TODAY)
    except apps.Refused:
        assert not member.is_child
    else:
        assert member.is_child
    for application in Application.select().where(Application.guardian.is_null(False)):
        assert application.guardian_relation in household.CHILD_RELATIONS
        assert application.citizen_id != application.guardian_id
    assert (
        not Application.select()
        .where(Application.guardian.is_null(False) & (Application.guardian_relation == ""))
        .exists()
    )


def test_start_draft_refuses_a_guardian_without_a_relation(app, guardian, program):
    child = make_citizen(birth_date=born_years_ago(7, TODAY))
    with pytest.raises(ValueError):
        apps.start_draft(child, program, "k", guardian=guardian)
    with pytest.raises(ValueError):
        apps.start_draft(child, program, "k", guardian_relation="hija_hijo")
    with pytest.raises(ValueError):
        apps.start_draft(guardian, program, "k", guardian=guardian, guardian_relation="hija_hijo")
    assert Application.select().count() == 0


def test_the_guardian_may_cancel_it_and_the_audit_names_them(login, guardian, program):
    client = login(guardian)
    apply(client, program, form(child_curp()))
    application = Application.get()
    response = client.post(f"/mis-solicitudes/{application.folio}/cancelar")
    assert response.status_code == 303
    assert Application.get_by_id(application.id).status == "cancelada"
    cancelled = AuditEvent.get(AuditEvent.action == "solicitud.cancelada")
    assert (cancelled.actor_kind, cancelled.actor_id) == ("ciudadano", guardian.id)
