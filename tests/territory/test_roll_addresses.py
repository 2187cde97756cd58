"""A roll's free-text addresses mapped to the catalogs; the rest reported."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import Citizen
from portal.rolls import writing
from portal.territory import catalog
from portal.territory.matching import Matched, match, normalized, place_index
from tests.factories import make_program
from tests.padron_builders import HEADER, person, write_roll
from tests.support.html import html


@pytest.fixture
def index(places):
    return place_index("22")


@pytest.mark.parametrize(
    "municipality,locality,postal,expected",
    [
        ("22016", "San Juan del Río", "76800", Matched("220160001", "San Juan del Río", "76800")),
        ("22016", "SAN JUAN DEL RIO", "", Matched("220160001", "San Juan del Río", "")),
        ("22016", "  san juan del río. ", 76800, Matched("220160001", "San Juan del Río", "76800")),
        ("22016", "0001", "", Matched("220160001", "San Juan del Río", "")),
        ("22016", 1.0, "", Matched("220160001", "San Juan del Río", "")),
        ("22016", "220160001", "", Matched("220160001", "San Juan del Río", "")),
        ("22016", "", "", Matched()),
        (None, "", "76800", Matched(postal_code="76800")),
    ],
)
def test_addresses_the_catalogs_know_are_mapped(index, municipality, locality, postal, expected):
    assert match(index, municipality, locality, postal) == expected


@pytest.mark.parametrize(
    "municipality,locality,postal,kept",
    [
        ("22016", "Santiago de Querétaro", "", Matched(unmatched=True)),  # another municipality's
        ("22016", "220140001", "", Matched(unmatched=True)),
        ("22016", "Rancho Inventado", "76800", Matched(postal_code="76800", unmatched=True)),
        ("22016", "San Juan del Río", "76000", Matched("220160001", "San Juan del Río", "", True)),
        ("22016", "", "01000", Matched(unmatched=True)),  # another state's postal code
        (None, "San Juan del Río", "", Matched(unmatched=True)),  # a name needs its municipality
    ],
)
def test_what_does_not_agree_is_left_out_and_reported(index, municipality, locality, postal, kept):
    assert match(index, municipality, locality, postal) == kept


def test_names_compare_without_accents_case_or_punctuation():
    assert normalized("  Peñamiller,  QRO. ") == "penamiller qro"


def test_a_roll_import_stores_the_addresses_it_recognises_and_counts_the_rest(places, tmp_path):
    program = make_program()
    rows = [
        [*person(0, municipality="22016"), "San Juan del Río", "76800"],
        [*person(1, municipality="22016"), "Lugar que no existe", "76800"],
        [*person(2, municipality="22014"), "", "99999"],
        [*person(3, municipality="22014"), "", ""],
    ]
    path = write_roll(tmp_path / "padron.csv", rows, header=[*HEADER, "Localidad", "Código postal"])
    batch, pending = writing.prepare_batch(path, path.name, program)
    assert pending
    batch = writing.run_batch(batch.id, path, today=dt.date(2026, 3, 1))
    assert (batch.status, batch.accepted, batch.addresses_unmatched) == ("terminado", 4, 2)
    stored = {
        c.curp: (c.locality_code, c.locality, c.postal_code)
        for c in Citizen.select().order_by(Citizen.id)
    }
    assert [stored[row[0]] for row in rows] == [
        ("220160001", "San Juan del Río", "76800"),
        ("", "", "76800"),
        ("", "", ""),
        ("", "", ""),
    ]


def test_the_batch_page_says_how_many_addresses_were_not_recognised(places, tmp_path, login):
    from tests.factories import make_staff

    program = make_program()
    rows = [[*person(0, municipality="22016"), "Lugar que no existe", ""]]
    path = write_roll(tmp_path / "padron.csv", rows, header=[*HEADER, "Localidad", "Código postal"])
    batch, _ = writing.prepare_batch(path, path.name, program)
    writing.run_batch(batch.id, path, today=dt.date(2026, 3, 1))
    client = login(make_staff("admin_dependencia", program.agency))
    page = html(client.get(f"/oficina/padrones/{batch.id}"))
    assert "1 fila aceptada traía una localidad" in page.find(id="domicilios-sin-catalogo").text


@pytest.mark.parametrize(
    "municipality,postal,colonia,expected",
    [
        # Of the postal code given, in the catalog's spelling.
        ("22016", "76840", "palma de romero", ("76840", "Ranchería", "Palma de Romero", False)),
        ("22016", "76803", "VILLAS JARDIN", ("76803", "Fraccionamiento", "Villas Jardín", False)),
        # Without a postal code: the one settlement of that name in the municipality.
        ("22016", "", "Palma de Romero", ("76840", "Ranchería", "Palma de Romero", False)),
        # Not of the postal code, nowhere in the municipality, or of another one.
        ("22016", "76840", "Villas Jardín", ("76840", "", "", True)),
        ("22016", "", "Colonia Inventada", ("", "", "", True)),
        ("22014", "", "Palma de Romero", ("", "", "", True)),
        # A postal code the catalogs refuse leaves the colonia out too.
        ("22016", "76000", "Centro", ("", "", "", True)),
    ],
)
def test_a_rolls_colonia_is_mapped_to_sepomex(index, municipality, postal, colonia, expected):
    found = match(index, municipality, "", postal, colonia)
    assert (found.postal_code, found.settlement_type, found.settlement_name, found.unmatched) == (
        expected
    )


def test_a_name_twice_in_a_municipality_needs_its_postal_code(index):
    # «La Cruz» is a colonia of three postal codes of Querétaro (22014).
    assert match(index, "22014", "", "", "La Cruz") == Matched(unmatched=True)
    assert match(index, "22014", "", "76020", "la cruz").settlement_name == "La Cruz"


def test_a_roll_import_stores_the_colonias_it_recognises(places, tmp_path):
    program = make_program()
    rows = [
        [*person(0, municipality="22016"), "76840", "Palma de Romero"],
        [*person(1, municipality="22016"), "", "palma de romero"],
        [*person(2, municipality="22016"), "76840", "No existe"],
    ]
    path = write_roll(tmp_path / "padron.csv", rows, header=[*HEADER, "C.P.", "Colonia"])
    batch, _ = writing.prepare_batch(path, path.name, program)
    batch = writing.run_batch(batch.id, path, today=dt.date(2026, 3, 1))
    assert (batch.status, batch.accepted, batch.addresses_unmatched) == ("terminado", 3, 1)
    stored = {
        c.curp: (c.postal_code, c.settlement_type, c.settlement_name)
        for c in Citizen.select().order_by(Citizen.id)
    }
    assert [stored[row[0]] for row in rows] == [
        ("76840", "Ranchería", "Palma de Romero"),
        ("76840", "Ranchería", "Palma de Romero"),
        ("76840", "", ""),
    ]


# With the shipped SEPOMEX file: every postal code of the state, in its municipality.
SHIPPED = sorted(
    {(r["postal_code"], r["municipality"]) for r in catalog.read_shipped_postal_codes()}
)
MUNICIPALITIES = sorted({m for _, m in SHIPPED})


def test_the_index_knows_every_shipped_postal_code(index):
    assert len(index.postal) == 531
    assert all(m in index.postal[cp] for cp, m in SHIPPED)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.sampled_from(SHIPPED), st.sampled_from(MUNICIPALITIES), st.booleans())
def test_a_rolls_postal_code_is_kept_exactly_when_it_is_of_the_rows_municipality(
    index, shipped, municipality, as_number
):
    postal_code, its_municipality = shipped
    raw = int(postal_code) if as_number else postal_code
    found = match(index, municipality, "", raw)
    agrees = its_municipality == municipality
    assert found == Matched(postal_code=postal_code if agrees else "", unmatched=not agrees)
