"""An address agrees with the catalogs or says which part does not."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.territory import catalog
from portal.territory.addresses import (
    ROAD_TYPES,
    Address,
    problems,
    settlement_value,
    split_settlement,
)

SEED = json.loads(catalog.SEED_FILE.read_text(encoding="utf-8"))
LOCALITIES = [(r["code"], r["municipality"]) for r in SEED["localities"]]
SETTLEMENTS = [
    (r["postal_code"], r["settlement_type"], r["settlement_name"], r["municipality"])
    for r in catalog.read_shipped_postal_codes()
]
MUNICIPALITIES = sorted({m for _, m in LOCALITIES})
fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


def test_a_full_address_that_agrees_has_no_problems(places):
    address = Address(
        municipality="22014",
        locality_code="220140001",
        postal_code="76000",
        settlement_type="Colonia",
        settlement_name="Centro",
        road_type="Calle",
    )
    assert problems(address) == {}


def test_an_empty_address_has_no_problems(places):
    assert problems(Address()) == {}


def test_a_locality_of_another_municipality_is_refused(places):
    found = problems(Address(municipality="22016", locality_code="220140001"))
    assert set(found) == {"locality_code"}
    assert "no es del municipio" in str(found["locality_code"])


def test_a_locality_without_municipality_asks_for_it(places):
    assert set(problems(Address(locality_code="220140001"))) == {"municipality"}


def test_an_unknown_locality_code_is_refused(places):
    assert set(problems(Address(municipality="22014", locality_code="229999999"))) == {
        "locality_code"
    }


def test_a_postal_code_of_another_state_is_refused(places):
    found = problems(Address(postal_code="01000"))
    assert set(found) == {"postal_code"}
    assert "no es de Querétaro" in str(found["postal_code"])


def test_a_postal_code_of_another_municipality_is_refused(places):
    found = problems(Address(municipality="22014", postal_code="76800"))
    assert set(found) == {"postal_code"}
    assert "no es del municipio" in str(found["postal_code"])


def test_a_settlement_of_another_postal_code_is_refused(places):
    found = problems(
        Address(
            postal_code="76800",
            settlement_type="Colonia",
            settlement_name="Jardines de la Hacienda",
        )
    )
    assert set(found) == {"settlement"}


def test_a_settlement_without_postal_code_asks_for_it(places):
    assert set(problems(Address(settlement_type="Colonia", settlement_name="Centro"))) == {
        "postal_code"
    }


def test_a_road_type_outside_the_norma_tecnica_is_refused(places):
    assert set(problems(Address(road_type="Bulevar"))) == {"road_type"}


@fixture_ok
@given(st.sampled_from(LOCALITIES), st.sampled_from(MUNICIPALITIES))
def test_a_locality_agrees_exactly_when_it_is_of_the_municipality(places, locality, municipality):
    code, its_municipality = locality
    found = problems(Address(municipality=municipality, locality_code=code))
    assert ("locality_code" in found) == (its_municipality != municipality)
    assert set(found) <= {"locality_code"}


@fixture_ok
@given(st.sampled_from(SETTLEMENTS), st.sampled_from(MUNICIPALITIES))
def test_a_settlement_agrees_exactly_when_its_municipality_does(places, settlement, municipality):
    postal_code, kind, name, its_municipality = settlement
    found = problems(
        Address(
            municipality=municipality,
            postal_code=postal_code,
            settlement_type=kind,
            settlement_name=name,
        )
    )
    assert ("postal_code" in found) == (its_municipality != municipality)
    assert "settlement" not in found


@fixture_ok
@given(st.from_regex(r"\A\d{5}\Z"))
def test_any_postal_code_outside_the_catalog_is_refused(places, postal_code):
    known = {s[0] for s in SETTLEMENTS}
    assert ("postal_code" in problems(Address(postal_code=postal_code))) == (
        postal_code not in known
    )


no_separator = st.text(min_size=1, max_size=40).filter(lambda s: "|" not in s)


@given(st.sampled_from(ROAD_TYPES), no_separator)
def test_a_settlement_value_round_trips(kind, name):
    assert split_settlement(settlement_value(kind, name)) == (kind, name)


def test_a_value_without_separator_is_no_settlement():
    assert split_settlement("Centro") == ("", "")
    assert settlement_value("Colonia", "") == ""
