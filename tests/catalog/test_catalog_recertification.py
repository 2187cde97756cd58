"""A program's re-certification (``recertification`` in the catalog): validated
like every other key, stored, read back, kept by the back office's edits, and
shown on the program page."""

from __future__ import annotations

import pytest

from portal.backoffice.audit import SYSTEM
from portal.catalog import editing
from portal.catalog.schema import (
    CatalogError,
    Recertification,
    catalog_from_dict,
    program_from_dict,
)
from portal.catalog.store import load_catalog, program_for_engine
from portal.models import Program
from tests.catalog_builders import AGENCY, catalog_data, demo_catalog, program_data
from tests.support.html import html

RULE = {"every_months": 12, "document": "identificacion", "grace_days": 30}


def _program(**rule):
    return program_from_dict(program_data(recertification=rule), agencies={AGENCY})


def test_the_rule_is_read_and_written_back():
    program = _program(**RULE)
    assert program.recertification == Recertification(12, "identificacion", 30)
    assert program.to_dict()["recertification"] == RULE
    assert program_from_dict(program.to_dict(), agencies={AGENCY}) == program


def test_the_grace_days_default_to_thirty():
    program = _program(every_months=6, document="identificacion")
    assert program.recertification == Recertification(6, "identificacion", 30)


def test_a_program_without_it_has_none():
    program = program_from_dict(program_data(), agencies={AGENCY})
    assert program.recertification is None
    assert "recertification" not in program.to_dict()


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"document": "identificacion"}, "recertification.every_months: falta este campo"),
        ({"every_months": 12}, "recertification.document: falta este campo"),
        ({**RULE, "every_months": 0}, 'recertification.every_months: debe ser un número entero de 1 a 60, no "0"'),
        ({**RULE, "every_months": 61}, "recertification.every_months: debe ser un número entero de 1 a 60"),
        ({**RULE, "every_months": "12"}, "recertification.every_months: debe ser un número entero"),
        ({**RULE, "every_months": True}, "recertification.every_months: debe ser un número entero"),
        ({**RULE, "grace_days": -1}, "recertification.grace_days: debe ser un número entero de 0 a 180"),
        ({**RULE, "grace_days": 181}, "recertification.grace_days: debe ser un número entero de 0 a 180"),
        ({**RULE, "document": "constancia"}, 'recertification.document: "constancia" no es un documento del programa'),
        ({**RULE, "document": ["identificacion"]}, "recertification.document: "),
        ({**RULE, "every": 12}, 'recertification.every: clave desconocida "every"'),
        ("cada año", "recertification: debe ser un conjunto de campos"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_naming_the_field(rule, message):
    with pytest.raises(CatalogError) as refused:
        program_from_dict(program_data(recertification=rule), agencies={AGENCY})
    assert any(message in m for m in refused.value.messages), refused.value.messages


def test_a_misspelt_document_gets_a_suggestion():
    with pytest.raises(CatalogError) as refused:
        _program(**{**RULE, "document": "identificasion"})
    assert '(¿quiso decir "identificacion"?)' in refused.value.messages[0]


def test_the_demo_scholarship_asks_for_its_proof_of_enrollment_every_year():
    scholarship = demo_catalog().program("beca-universitaria")
    assert scholarship is not None
    assert scholarship.recertification == Recertification(12, "constancia-estudios", 30)


def test_the_rule_is_stored_and_a_second_load_changes_nothing(app):
    catalog = catalog_from_dict(catalog_data(program_data(recertification=RULE)))
    load_catalog(catalog)
    row = Program.get(Program.slug == "programa-prueba")
    assert row.recertification == RULE
    assert program_for_engine(row).recertification == Recertification(12, "identificacion", 30)
    assert not load_catalog(catalog).changed


def test_an_edit_from_the_back_office_keeps_the_rule(app):
    load_catalog(catalog_from_dict(catalog_data(program_data(recertification=RULE))))
    row = Program.get(Program.slug == "programa-prueba")
    edited_data = {k: v for k, v in editing.catalog_dict(row).items() if k != "recertification"}
    edited_data["name"] = "Programa de Prueba renombrado"
    editing.save(
        row, editing.validate(edited_data, AGENCY), expected_version=row.version, actor=SYSTEM
    )
    assert Program.get_by_id(row.id).recertification == RULE


def test_the_program_page_says_what_to_present_and_how_often(app, client):
    load_catalog(catalog_from_dict(catalog_data(program_data(recertification=RULE))))
    page = html(client.get("/programas/programa-prueba"))
    text = page.select_one("#recertificacion").get_text(" ", strip=True)
    assert "Cada 12 meses deberá presentar: Identificación oficial." in text
    assert "30 días" in text
