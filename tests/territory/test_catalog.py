"""Loading the state's catalogs: the seed, SEPOMEX's file and INEGI's localities."""

from __future__ import annotations

import json

import pytest

from portal.territory import catalog
from portal.territory.models import Locality, PostalSettlement

SEPOMEX_TEXT = (
    "El Catálogo Nacional de Códigos Postales, es elaborado por Correos de México.\n"
    "d_codigo|d_asenta|d_tipo_asenta|D_mnpio|d_estado|d_ciudad|d_CP|c_estado|c_oficina|c_CP|"
    "c_tipo_asenta|c_mnpio|id_asenta_cpcons|d_zona|c_cve_ciudad\n"
    "76001|Carretas|Colonia|Querétaro|Querétaro|Santiago de Querétaro|76001|22|76001||09|014|0002|Urbano|01\n"
    "76001|Jardines de Querétaro|Fraccionamiento|Querétaro|Querétaro|Santiago de Querétaro|76001|22|76001||21|014|0003|Urbano|01\n"
    "01000|San Ángel|Colonia|Álvaro Obregón|Ciudad de México|Ciudad de México|01001|09|01001||09|010|0001|Urbano|01\n"
)

INEGI_TEXT = (
    "\ufeffCVE_ENT,NOM_ENT,CVE_MUN,NOM_MUN,CVE_LOC,NOM_LOC,LAT_DECIMAL,LON_DECIMAL\n"
    "22,Querétaro,014,Querétaro,0120,Jurica,20.6500,-100.4300\n"
    "22,Querétaro,004,Cadereyta de Montes,0045,Boyé,,\n"
    "09,Ciudad de México,010,Álvaro Obregón,0001,Álvaro Obregón,19.35,-99.2\n"
)


def test_seed_loads_every_municipal_seat_and_its_postal_codes(places):
    assert places.localities == 18
    assert places.settlements == 3185
    assert Locality.select().count() == 18
    assert PostalSettlement.select().count() == 3185
    assert PostalSettlement.select(PostalSettlement.postal_code).distinct().count() == 531
    seat = catalog.locality("220140001")
    assert seat is not None and seat.name == "Santiago de Querétaro"
    assert seat.municipality_id == "22014" and seat.lat and seat.lon
    assert [s.settlement_name for s in catalog.settlements_of("76840")] == [
        "Cuarto Centenario",
        "Palma de Romero",
        "Revolución",
    ]
    centre = catalog.settlements_of("76800")
    assert [(s.settlement_type, s.settlement_name, s.locality_id) for s in centre] == [
        ("Colonia", "Centro", "220160001")
    ]
    assert {s.municipality_id for s in catalog.settlements_of("76240")} == {"22011"}


def test_loading_twice_changes_nothing(places):
    again = catalog.load_seed()
    assert again == places
    assert Locality.select().count() == 18
    assert PostalSettlement.select().count() == places.settlements


def test_a_changed_name_is_updated_in_place(places, tmp_path):
    seed = json.loads(catalog.SEED_FILE.read_text(encoding="utf-8"))
    seed["localities"][0]["name"] = "Amealco"
    changed = tmp_path / "seed.json"
    changed.write_text(json.dumps(seed), encoding="utf-8")
    catalog.load_seed(changed)
    assert catalog.locality("220010001").name == "Amealco"
    assert Locality.select().count() == 18


def test_sepomex_file_keeps_only_the_states_settlements(places):
    rows = list(catalog.read_sepomex(SEPOMEX_TEXT, "22"))
    assert [(r["postal_code"], r["settlement_name"], r["municipality"]) for r in rows] == [
        ("76001", "Carretas", "22014"),
        ("76001", "Jardines de Querétaro", "22014"),
    ]
    done = catalog.store([], rows)
    assert done.settlements == 2
    assert {s.settlement_type for s in catalog.settlements_of("76001")} == {
        "Colonia",
        "Fraccionamiento",
    }
    assert catalog.settlements_of("01000") == []


def test_a_file_that_is_not_sepomex_is_refused():
    with pytest.raises(ValueError, match="SEPOMEX"):
        list(catalog.read_sepomex("codigo,colonia\n76000,Centro\n", "22"))


def test_inegi_localities_of_the_state_with_or_without_coordinates(places):
    rows = list(catalog.read_inegi_localities(INEGI_TEXT, "22"))
    assert [r["code"] for r in rows] == ["220140120", "220040045"]
    catalog.store(rows, [])
    jurica = catalog.locality("220140120")
    assert (jurica.name, jurica.lat, jurica.lon) == ("Jurica", 20.65, -100.43)
    boye = catalog.locality("220040045")
    assert boye.lat is None and boye.municipality_id == "22004"
    assert catalog.locality("090100001") is None
    assert [p.code for p in catalog.localities_of("22014")] == ["220140120", "220140001"]


def test_a_file_that_is_not_inegis_is_refused():
    with pytest.raises(ValueError, match="INEGI"):
        list(catalog.read_inegi_localities("clave,nombre\n1,Jurica\n", "22"))


def test_a_settlement_naming_an_unknown_locality_is_kept_without_it(places):
    catalog.store(
        [],
        [
            {
                "postal_code": "76002",
                "settlement_type": "Colonia",
                "settlement_name": "Nueva",
                "municipality": "22014",
                "locality": "220149999",
            }
        ],
    )
    (stored,) = catalog.settlements_of("76002")
    assert stored.locality_id is None


def test_cli_loads_the_seed_and_official_files(app, tmp_path):
    sepomex = tmp_path / "CPdescarga.txt"
    sepomex.write_bytes(SEPOMEX_TEXT.encode("latin-1"))
    inegi = tmp_path / "AGEEML.csv"
    inegi.write_text(INEGI_TEXT, encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["territorio", "cargar", "--sepomex", str(sepomex), "--localidades", str(inegi)]
    )
    assert result.exit_code == 0, result.output
    assert "semilla: 18 localidades" in result.output
    assert "INEGI: 2 localidades" in result.output
    assert "SEPOMEX: 2 asentamientos" in result.output
    assert Locality.select().count() == 20
