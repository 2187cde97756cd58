"""Loading a catalog file never silently overwrites a version edited on the web:
the load is refused naming the program, or the person loading chooses the
file's version explicitly (``--sobrescribir SLUG``)."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
import yaml

from portal.backoffice.audit import Actor
from portal.catalog import editing
from portal.catalog.schema import catalog_from_dict
from portal.catalog.store import LoadError, load_catalog, web_edit
from portal.models import Program, ProgramVersion
from tests.catalog.test_catalog import BASE
from tests.factories import make_staff

SLUG = "tarjeta-contigo"


def catalog(**changes):
    data = copy.deepcopy(BASE)
    data["programs"][0].update(changes)
    return catalog_from_dict(data)


def edit_on_the_web(name: str) -> Program:
    program = Program.get(Program.slug == SLUG)
    staff = make_staff("admin_dependencia", program.agency)
    edited = replace(editing.stored_program(program), name=name)
    editing.save(program, edited, expected_version=program.version, actor=Actor.staff(staff))
    return Program.get_by_id(program.id)


@pytest.fixture
def loaded(app):
    load_catalog(catalog())
    return edit_on_the_web("Tarjeta Contigo (editada en la oficina)")


def test_a_file_that_would_replace_a_web_edit_is_refused_naming_it(loaded):
    with pytest.raises(LoadError) as refused:
        load_catalog(catalog(summary="Otro resumen desde el archivo."))
    (problem,) = refused.value.problems
    assert f'programa "{SLUG}"' in str(problem) and "--sobrescribir" in str(problem)
    assert "versión 2" in str(problem)
    stored = Program.get(Program.slug == SLUG)
    assert (stored.name, stored.version) == ("Tarjeta Contigo (editada en la oficina)", 2)
    assert ProgramVersion.select().count() == 2


def test_the_file_replaces_a_web_edit_only_when_asked(loaded):
    summary = load_catalog(catalog(summary="Otro resumen."), overwrite=[SLUG])
    assert summary.programs_updated == [SLUG]
    stored = Program.get(Program.slug == SLUG)
    assert (stored.name, stored.summary, stored.version) == ("Tarjeta Contigo", "Otro resumen.", 3)
    assert web_edit(stored) is None


def test_a_file_that_already_has_the_web_edit_loads_unchanged(loaded):
    summary = load_catalog(catalog(name="Tarjeta Contigo (editada en la oficina)"))
    assert summary.programs_unchanged == [SLUG]


def test_a_program_last_changed_by_a_file_is_updated_as_before(app):
    load_catalog(catalog())
    assert load_catalog(catalog(summary="Cambio.")).programs_updated == [SLUG]


def test_the_cli_names_the_conflict_and_takes_the_explicit_overwrite(app, loaded, tmp_path):
    path = tmp_path / "catalogo.yaml"
    data = copy.deepcopy(BASE)
    data["programs"][0]["summary"] = "Desde el archivo."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["catalog", "load", str(path)])
    assert refused.exit_code == 1 and f"--sobrescribir {SLUG}" in refused.output
    assert Program.get(Program.slug == SLUG).summary != "Desde el archivo."
    done = runner.invoke(args=["catalog", "load", str(path), "--sobrescribir", SLUG])
    assert done.exit_code == 0, done.output
    assert Program.get(Program.slug == SLUG).summary == "Desde el archivo."
