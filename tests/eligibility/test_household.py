"""Issue 18, item 2: the people of a household in the questionnaire, and the
results per person ("Para su hija de 7 años: Útiles y Uniformes Escolares")."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.catalog.store import load_catalog
from portal.eligibility import household
from portal.eligibility.profile import derive
from portal.models import Citizen, HouseholdMember
from tests.catalog_builders import demo_catalog
from tests.factories import make_citizen
from tests.support.html import html

DAUGHTER = {
    "relation": "hija_hijo",
    "age": "7",
    "sex": "M",
    "student_level": "primaria",
    "disability": "no",
}
# A mother of 36 in Querétaro city, four at home on $8,000 a month.
MOTHER = {
    "birth_date": "1990-05-17",
    "municipality": "22014",
    "household_size": 4,
    "household_income_monthly": 8000,
    "children_ages": [7],
}


@pytest.fixture
def demo(app):
    load_catalog(demo_catalog())
    if "auth.sign_out" not in app.view_functions:
        app.add_url_rule("/salir", "auth.sign_out", lambda: "", methods=["POST"])


# The domain


def test_a_member_is_read_from_the_form():
    member = household.read_member(DAUGHTER, person_age=36)
    assert member == household.Member("hija_hijo", 7, "M", "primaria", False)
    assert member.who() == "su hija de 7 años"
    dont_know = household.read_member({**DAUGHTER, "disability": "no_se"}, person_age=None)
    assert dont_know.disability is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"relation": "vecina"}, "relation"),
        ({"relation": ""}, "relation"),
        ({"age": ""}, "age"),
        ({"age": "siete"}, "age"),
        ({"age": "-3"}, "age"),
        ({"age": "121"}, "age"),
        ({"sex": "Z"}, "sex"),
        ({"student_level": "kinder"}, "student_level"),
        ({"disability": "tal vez"}, "disability"),
        # A child older than the parent, a parent younger than the child.
        ({"age": "40"}, "age"),
        ({"age": "36"}, "age"),
        ({"relation": "madre_padre", "age": "30"}, "age"),
    ],
)
def test_a_bad_member_names_the_field(changes, field):
    with pytest.raises(household.HouseholdError) as caught:
        household.read_member({**DAUGHTER, **changes}, person_age=36)
    assert list(caught.value.errors) == [field]


@given(st.integers(0, household.MAX_AGE), st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)))
def test_a_members_age_is_exactly_their_age_on_the_day(age, on):
    born = household.born_years_ago(age, on)
    assert derive({"birth_date": born}, on)["age"] == age


@given(st.lists(st.integers(0, household.MAX_AGE), max_size=45))
def test_the_session_list_never_passes_the_limit(ages):
    members: list[household.Member] = []
    for age in ages:
        member = household.Member("otra", age, "H", "ninguno", None)
        if len(members) < household.MAX_MEMBERS:
            members = household.add_to_list(members, member)
        else:
            with pytest.raises(household.HouseholdError):
                household.add_to_list(members, member)
    assert len(members) == min(len(ages), household.MAX_MEMBERS)


def test_the_record_list_refuses_the_fortieth_person_and_writes_nothing(app):
    citizen = make_citizen()
    member = household.Member("otra", 30, "H", "ninguno", False)
    for _ in range(household.MAX_MEMBERS):
        household.add_member(citizen.id, member)
    with pytest.raises(household.HouseholdError) as caught:
        household.add_member(citizen.id, member)
    assert "hasta 40 personas" in str(caught.value)
    assert HouseholdMember.select().where(HouseholdMember.citizen == citizen.id).count() == 39


def test_removing_keeps_the_others_in_order(app):
    citizen = make_citizen()
    for age in (5, 7, 9):
        household.add_member(citizen.id, household.Member("hija_hijo", age, "M", "primaria", False))
    assert household.remove_member(citizen.id, 1)
    assert [m.age for m in household.citizen_members(citizen.id)] == [5, 9]
    assert not household.remove_member(citizen.id, 5)


# The pages


def test_a_citizen_lists_the_household_and_sees_results_per_person(login, demo):
    citizen = make_citizen(profile=MOTHER)
    client = login(citizen)
    response = client.post("/cuestionario/hogar", data=DAUGHTER)
    assert response.status_code == 303
    page = html(client.get("/cuestionario/hogar"))
    assert "Su hija de 7 años" in page.select_one(".summary-list").get_text()
    results = html(client.get("/cuestionario/resultados"))
    person = results.select_one(".household-person")
    assert person.h3.get_text(strip=True) == "Para su hija de 7 años"
    assert "Útiles y Uniformes Escolares" in person.get_text()


def test_the_household_total_adds_each_persons(login, app):
    from tests.factories import make_program

    make_program(name="Para todos", benefit_amount=1000, benefit_period="mensual")
    make_program(
        name="Solo con discapacidad",
        benefit_amount=500,
        benefit_period="mensual",
        eligibility=[{"field": "disability", "op": "is_true", "reason": "Discapacidad."}],
    )
    client = login(make_citizen(profile={"disability": False}))
    client.post("/cuestionario/hogar", data={**DAUGHTER, "disability": "si"})
    page = html(client.get("/cuestionario/resultados"))
    # The mother: 12,000; the daughter: 12,000 + 6,000.
    assert "hasta $12,000 al año en dinero" in page.select_one("#total").get_text()
    assert "hasta $30,000 al año" in page.select_one("#total-hogar").get_text()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"age": "40"}, "Debe ser menor que usted"),
        ({"age": "doce"}, "Escriba la edad en años cumplidos"),
        ({"relation": ""}, "Elija cómo se relaciona con usted."),
    ],
)
def test_a_bad_member_is_refused_with_the_message_on_the_field(login, demo, changes, message):
    citizen = make_citizen(profile=MOTHER)
    response = login(citizen).post("/cuestionario/hogar", data={**DAUGHTER, **changes})
    assert response.status_code == 422
    page = html(response)
    assert message in page.select_one(".error-summary").get_text()
    assert message in page.select_one(".field-error .error-message").get_text()
    assert HouseholdMember.select().count() == 0


def test_a_household_of_forty_one_is_refused_and_nothing_more_is_saved(login, demo):
    citizen = make_citizen(profile=MOTHER)
    for _ in range(household.MAX_MEMBERS):
        household.add_member(citizen.id, household.Member("otra", 30, "H", "ninguno", False))
    client = login(citizen)
    assert "máximo" in html(client.get("/cuestionario/hogar")).get_text()
    response = client.post("/cuestionario/hogar", data=DAUGHTER)
    assert response.status_code == 422
    assert "hasta 40 personas" in html(response).select_one(".error-summary").get_text()
    assert HouseholdMember.select().count() == household.MAX_MEMBERS


def test_an_anonymous_list_lives_in_the_session_and_moves_to_the_record(client, demo):
    assert client.post("/cuestionario/hogar", data=DAUGHTER).status_code == 303
    assert "Su hija de 7 años" in html(client.get("/cuestionario/hogar")).get_text()
    assert HouseholdMember.select().count() == 0
    citizen = make_citizen()
    from tests.conftest import sign_in_as

    sign_in_as(client, citizen)
    client.get("/cuestionario/hogar")
    assert [m.age for m in household.citizen_members(citizen.id)] == [7]


def test_a_citizen_never_sees_another_citizens_household(login, demo):
    other = make_citizen()
    household.add_member(other.id, household.Member("hija_hijo", 9, "H", "primaria", False))
    client = login(make_citizen())
    assert "su hijo de 9 años" not in html(client.get("/cuestionario/hogar")).get_text().lower()
    # Removing by position only reaches the person's own list.
    assert client.post("/cuestionario/hogar/0/quitar").status_code == 404
    assert HouseholdMember.select().count() == 1


def test_removing_a_member(login, demo):
    citizen = make_citizen(profile=MOTHER)
    household.add_member(citizen.id, household.Member("hija_hijo", 7, "M", "primaria", False))
    response = login(citizen).post("/cuestionario/hogar/0/quitar")
    assert response.status_code == 303
    assert household.citizen_members(citizen.id) == []
    assert Citizen.get_by_id(citizen.id).profile == MOTHER


def test_the_household_is_in_the_citizens_own_record_export(login, demo):
    citizen = make_citizen(profile=MOTHER)
    household.add_member(citizen.id, household.Member("hija_hijo", 7, "M", "primaria", None))
    response = login(citizen).get("/mis-datos/descargar.json")
    assert response.status_code == 200
    data = response.get_json()
    assert data["personas_del_hogar"] == [
        {
            "parentesco": "Hija o hijo",
            "edad": 7,
            "sexo": "M",
            "estudios": "primaria",
            "discapacidad": "No sé",
        }
    ]


@given(
    st.integers(0, 30),
    st.sampled_from(["any_gte", "any_lt"]),
    st.integers(0, 17),
    st.sampled_from(sorted(household.RELATIONS)),
)
def test_a_parents_program_is_given_for_a_child_exactly_when_the_child_fits(
    age, op, limit, relation
):
    from tests.catalog_builders import make_program as catalog_program
    from tests.catalog_builders import rule

    program = catalog_program(rule("children_ages", op, limit))
    member = household.Member(relation, age, "M", "primaria", False)
    fits = age >= limit if op == "any_gte" else age < limit
    expected = relation == "hija_hijo" and age <= household.CHILD_AGE_LIMIT and fits
    assert household.programs_for_child(member, [program]) == ([program] if expected else [])
    # A program that asks nothing of children is the parent's alone.
    assert household.programs_for_child(member, [catalog_program()]) == []


def test_adding_people_is_rate_limited(client, demo):
    for _ in range(60):
        assert client.post("/cuestionario/hogar", data={"age": "x"}).status_code == 422
    assert client.post("/cuestionario/hogar", data={"age": "x"}).status_code == 429
    assert HouseholdMember.select().count() == 0
