"""A program's keys in the federal single roll (``federal_roll`` in the catalog):
validated like every other key, stored, read back and kept by the back office's edits."""

from __future__ import annotations

import pytest

from portal.backoffice.audit import SYSTEM
from portal.catalog import editing
from portal.catalog.schema import CatalogError, FederalRoll, catalog_from_dict, program_from_dict
from portal.catalog.store import load_catalog, program_for_engine
from portal.models import Program
from tests.catalog_builders import AGENCY, catalog_data, demo_catalog, program_data

FULL = {"program_code": "S072", "intra_program_code": "02", "payment_method": "tarjeta"}


def _program(**federal):
    return program_from_dict(program_data(federal_roll=federal), agencies={AGENCY})


def test_the_keys_are_read_and_written_back():
    program = _program(**FULL)
    assert program.federal_roll == FederalRoll("S072", "02", "tarjeta")
    assert program.to_dict()["federal_roll"] == FULL
    again = program_from_dict(program.to_dict(), agencies={AGENCY})
    assert again == program


def test_only_the_program_key_is_required():
    program = _program(program_code="S072")
    assert program.federal_roll == FederalRoll("S072")
    assert program.to_dict()["federal_roll"] == {"program_code": "S072"}


def test_a_program_without_the_keys_has_none():
    program = program_from_dict(program_data(), agencies={AGENCY})
    assert program.federal_roll is None
    assert "federal_roll" not in program.to_dict()


@pytest.mark.parametrize(
    ("federal", "benefit", "message"),
    [
        ({}, None, "federal_roll.program_code: falta este campo"),
        ({"program_code": "s072"}, None, 'federal_roll.program_code: clave no válida "s072"'),
        ({"program_code": "S-072"}, None, 'federal_roll.program_code: clave no válida "S-072"'),
        ({"program_code": 72}, None, 'federal_roll.program_code: clave no válida "72"'),
        ({"program_code": "S" * 11}, None, "federal_roll.program_code: clave no válida"),
        (
            {"program_code": "S072", "intra_program_code": "0 2"},
            None,
            'federal_roll.intra_program_code: clave no válida "0 2"',
        ),
        (
            {"program_code": "S072", "payment_method": "tarjta"},
            None,
            'federal_roll.payment_method: forma de pago desconocida "tarjta"',
        ),
        (
            {"program_code": "S072", "payment_method": "especie"},
            None,
            'federal_roll.payment_method: la forma de pago "especie" no corresponde',
        ),
        (
            {"program_code": "S072", "payment_method": "tarjeta"},
            {"kind": "in_kind", "description": "Uniformes"},
            'federal_roll.payment_method: la forma de pago "tarjeta" no corresponde',
        ),
        (
            {"program_code": "S072", "code": "x"},
            None,
            'federal_roll.code: clave desconocida "code"',
        ),
        (
            {"program_code": "S072", "payment_method": ["tarjeta"]},
            None,
            "federal_roll.payment_method: forma de pago desconocida",
        ),
        ("S072", None, "federal_roll: debe ser un conjunto de campos"),
    ],
)
def test_bad_keys_are_refused_naming_the_field(federal, benefit, message):
    overrides = {"federal_roll": federal}
    if benefit is not None:
        overrides["benefit"] = benefit
    with pytest.raises(CatalogError) as refused:
        program_from_dict(program_data(**overrides), agencies={AGENCY})
    assert any(message in m for m in refused.value.messages), refused.value.messages


def test_a_misspelt_payment_method_gets_a_suggestion():
    with pytest.raises(CatalogError) as refused:
        _program(program_code="S072", payment_method="tarjta")
    assert '(¿quiso decir "tarjeta"?)' in refused.value.messages[0]


def test_every_demo_program_names_its_federal_keys():
    assert all(p.federal_roll is not None for p in demo_catalog().programs)


def test_the_keys_are_stored_and_a_second_load_changes_nothing(app):
    catalog = catalog_from_dict(catalog_data(program_data(federal_roll=FULL)))
    load_catalog(catalog)
    row = Program.get(Program.slug == "programa-prueba")
    assert (row.federal_program_code, row.federal_intra_program_code) == ("S072", "02")
    assert row.federal_payment_method == "tarjeta"
    assert program_for_engine(row).federal_roll == FederalRoll("S072", "02", "tarjeta")
    assert not load_catalog(catalog).changed


def test_a_changed_key_is_a_new_version(app):
    load_catalog(catalog_from_dict(catalog_data(program_data(federal_roll=FULL))))
    changed = {**FULL, "program_code": "S073"}
    summary = load_catalog(catalog_from_dict(catalog_data(program_data(federal_roll=changed))))
    assert summary.programs_updated == ["programa-prueba"]
    row = Program.get(Program.slug == "programa-prueba")
    assert (row.federal_program_code, row.version) == ("S073", 2)


def test_an_edit_from_the_back_office_keeps_the_keys(app):
    load_catalog(catalog_from_dict(catalog_data(program_data(federal_roll=FULL))))
    row = Program.get(Program.slug == "programa-prueba")
    # The form does not offer the keys: what it posts has none.
    edited_data = {k: v for k, v in editing.catalog_dict(row).items() if k != "federal_roll"}
    edited_data["name"] = "Programa de Prueba renombrado"
    edited = editing.validate(edited_data, AGENCY)
    editing.save(row, edited, expected_version=row.version, actor=SYSTEM)
    row = Program.get_by_id(row.id)
    assert row.name == "Programa de Prueba renombrado"
    assert row.federal_program_code == "S072"
    assert program_for_engine(row).federal_roll == FederalRoll("S072", "02", "tarjeta")
