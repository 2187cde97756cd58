"""The address parts a reviewer flagged, corrected by the person and checked
against the catalogs: the rule, and the correction form on the application page."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.applications import workflow as apps
from portal.models import Application
from portal.territory import corrections
from tests.application_builders import staff_actor, submitted
from tests.factories import make_citizen, make_municipality, make_program, make_staff
from tests.support.html import html

fixture_ok = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=40
)
IN_SAN_JUAN = {"municipality": "22016", "postal_code": "76840"}


def test_a_postal_code_of_the_municipality_is_accepted(places):
    assert corrections.check({"postal_code": "76803"}, IN_SAN_JUAN) == (
        {},
        {"postal_code": "76803"},
    )


@pytest.mark.parametrize(
    "postal_code,message",
    [("01000", "no es de Querétaro"), ("76000", "no es del municipio")],
)
def test_a_postal_code_outside_the_state_or_municipality_is_refused(places, postal_code, message):
    wrong, _ = corrections.check({"postal_code": postal_code}, IN_SAN_JUAN)
    assert list(wrong) == ["postal_code"] and message in wrong["postal_code"]


def test_a_typed_colonia_takes_the_catalogs_spelling(places):
    wrong, fixed = corrections.check({"settlement_name": "  PALMA de romero "}, IN_SAN_JUAN)
    assert wrong == {} and fixed == {"settlement_name": "Palma de Romero"}


def test_a_colonia_is_judged_against_the_corrected_postal_code(places):
    wrong, fixed = corrections.check(
        {"postal_code": "76803", "settlement_name": "villas jardin"}, IN_SAN_JUAN
    )
    assert wrong == {} and fixed["settlement_name"] == "Villas Jardín"
    wrong, _ = corrections.check(
        {"postal_code": "76803", "settlement_name": "Palma de Romero"}, IN_SAN_JUAN
    )
    assert list(wrong) == ["settlement_name"] and "76803" in wrong["settlement_name"]


def test_a_colonia_without_a_postal_code_of_the_state_cannot_be_checked(places):
    wrong, _ = corrections.check({"settlement_name": "Centro"}, {"municipality": "22016"})
    assert "código postal de Querétaro" in wrong["settlement_name"]
    wrong, _ = corrections.check({"postal_code": "01000", "settlement_name": "Centro"}, IN_SAN_JUAN)
    assert set(wrong) == {"postal_code", "settlement_name"}


def test_a_locality_must_be_of_the_municipality(places):
    assert corrections.check({"locality": "san juan del rio"}, IN_SAN_JUAN) == (
        {},
        {"locality": "San Juan del Río"},
    )
    wrong, _ = corrections.check({"locality": "Jalpan de Serra"}, IN_SAN_JUAN)
    assert list(wrong) == ["locality"]


SETTLEMENTS_76840 = ["Cuarto Centenario", "Palma de Romero", "Revolución"]


def _variants(name: str) -> st.SearchStrategy[str]:
    """The same name typed differently: case, spaces around and between words."""
    words = name.split()
    return st.tuples(
        st.lists(
            st.sampled_from([str.lower, str.upper, str.title]),
            min_size=len(words),
            max_size=len(words),
        ),
        st.sampled_from(["", " ", "  "]),
    ).map(lambda t: t[1] + "  ".join(f(w) for f, w in zip(t[0], words, strict=True)) + t[1])


@fixture_ok
@given(st.sampled_from(SETTLEMENTS_76840).flatmap(lambda n: st.tuples(st.just(n), _variants(n))))
def test_any_way_of_typing_a_listed_colonia_is_accepted(places, case):
    name, typed = case
    wrong, fixed = corrections.check({"settlement_name": typed}, IN_SAN_JUAN)
    assert wrong == {} and fixed["settlement_name"] == name


@fixture_ok
@given(st.text(max_size=30))
def test_text_that_is_no_listed_colonia_is_always_refused(places, typed):
    known = {corrections.plain(n) for n in SETTLEMENTS_76840}
    wrong, _ = corrections.check({"settlement_name": typed}, IN_SAN_JUAN)
    assert ("settlement_name" in wrong) == (corrections.plain(typed) not in known)


# The correction form on the person's application page.


@pytest.fixture
def flagged(places):
    """An application from San Juan del Río (postal code 76840) whose reviewer
    flagged the given fields, and a signed-in client of its applicant."""

    def _flag(fields, login):
        person = make_citizen(
            municipality=make_municipality("22016", "San Juan del Río"), postal_code="76840"
        )
        program = make_program()
        application = submitted(person, program)
        apps.request_correction(
            application,
            staff_actor(make_staff("admin_estatal")),
            documents=[],
            fields=fields,
            message="Revise su domicilio.",
        )
        return application, login(person)

    return _flag


def _post(client, application, data, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        f"/mis-solicitudes/{application.folio}/correccion", data=data, headers=headers
    )


def test_a_flagged_colonia_is_picked_from_the_postal_codes_list(flagged, login):
    application, client = flagged(["settlement_name"], login)
    page = html(client.get(f"/mis-solicitudes/{application.folio}"))
    select = page.find("select", attrs={"name": "settlement_name"})
    assert [o["value"] for o in select.find_all("option")] == ["", *SETTLEMENTS_76840]
    assert _post(client, application, {"settlement_name": "Revolución"}).status_code == 303
    fresh = Application.get_by_id(application.id)
    assert fresh.status == "enviada" and fresh.answers["settlement_name"] == "Revolución"


@pytest.mark.parametrize("htmx", [False, True])
def test_a_colonia_outside_the_list_is_refused_and_nothing_changes(flagged, login, htmx):
    application, client = flagged(["settlement_name"], login)
    response = _post(client, application, {"settlement_name": "Inventada"}, htmx)
    assert response.status_code == 422
    assert html(response).find(id="settlement_name-error") is not None
    fresh = Application.get_by_id(application.id)
    assert fresh.status == "requiere_correccion"
    assert fresh.answers.get("settlement_name") != "Inventada"


@pytest.mark.parametrize(
    "postal_code,message",
    [("01000", "no es de Querétaro"), ("76000", "no es del municipio"), ("7680", "5 números")],
)
def test_a_flagged_postal_code_is_checked_against_sepomex(flagged, login, postal_code, message):
    application, client = flagged(["postal_code", "settlement_name"], login)
    page = html(client.get(f"/mis-solicitudes/{application.folio}"))
    # The colonia's list depends on the new postal code: it is typed and checked.
    assert page.find("input", attrs={"name": "settlement_name"}) is not None
    response = _post(client, application, {"postal_code": postal_code, "settlement_name": "Centro"})
    assert response.status_code == 422
    assert message in html(response).find(id="postal_code-error").get_text()
    assert Application.get_by_id(application.id).answers["postal_code"] == "76840"


def test_a_postal_code_and_its_colonia_are_stored_in_the_catalogs_spelling(flagged, login):
    application, client = flagged(["postal_code", "settlement_name"], login)
    response = _post(
        client, application, {"postal_code": "76803", "settlement_name": "VILLAS JARDIN"}
    )
    assert response.status_code == 303
    answers = Application.get_by_id(application.id).answers
    assert (answers["postal_code"], answers["settlement_name"]) == ("76803", "Villas Jardín")


def test_a_flagged_locality_is_picked_from_the_municipalitys_list(flagged, login):
    application, client = flagged(["locality"], login)
    page = html(client.get(f"/mis-solicitudes/{application.folio}"))
    select = page.find("select", attrs={"name": "locality"})
    assert [o["value"] for o in select.find_all("option")] == ["", "San Juan del Río"]
    refused = _post(client, application, {"locality": "Jalpan de Serra"})
    assert refused.status_code == 422 and html(refused).find(id="locality-error")
    assert _post(client, application, {"locality": "San Juan del Río"}).status_code == 303


def test_another_person_cannot_correct_the_application(flagged, login):
    application, _ = flagged(["postal_code"], login)
    stranger = login(make_citizen())
    assert _post(stranger, application, {"postal_code": "76803"}).status_code == 404
    assert Application.get_by_id(application.id).status == "requiere_correccion"
