"""No path changes a published program without review (issue 17, item 4).

One test per way a program can be changed: the guided editor, a new program,
the retired YAML page, the translation form, each review step short of
publishing, and the catalog load (refused over a draft saved on the web unless
``--sobrescribir`` names the program, and then the draft cannot be published
over the file). Only ``versions.publish`` (a reviewer, or the secretariat's
acceptance) puts a change in the catalog; the other way is the explicit
overwrite of a catalog load."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
import yaml

from portal.backoffice.audit import Actor
from portal.catalog import editing, versions
from portal.catalog.schema import catalog_from_dict
from portal.catalog.store import LoadError, engine_catalog, load_catalog
from portal.models import Program, ProgramVersion
from tests.catalog.test_catalog import BASE
from tests.catalog.test_program_editor import press, read_form
from tests.conftest import sign_in_as
from tests.factories import make_agency, make_municipality, make_program, make_staff


@pytest.fixture
def program(app):
    make_municipality()
    return make_program(
        make_agency(slug="sedesoq"),
        name="Tarjeta publicada",
        population="Personas de 18 años o más.",
        eligibility=[{"field": "age", "op": "gte", "value": 18, "reason": "Tener 18 años o más"}],
    )


def published(program) -> tuple:
    """What people see of the program: its row and the engine's catalog."""
    row = Program.get_by_id(program.id)
    in_catalog = {p.slug: p.name for p in engine_catalog().programs}
    return row.name, row.version, row.eligibility, row.i18n, in_catalog.get(row.slug)


def test_a_save_in_the_guided_editor_is_a_draft(client, program):
    before = published(program)
    sign_in_as(client, make_staff("admin_dependencia", program.agency))
    url = f"/oficina/programas/{program.slug}/editor"
    assert press(client, url, read_form(client.get(url)), name="Cambiado").status_code == 303
    assert published(program) == before
    assert ProgramVersion.get(ProgramVersion.program == program).status == "borrador"


def test_a_new_program_is_in_no_catalog_until_published(client, program):
    from tests.catalog.test_program_editor import NEW, filled_new_program

    sign_in_as(client, make_staff("admin_dependencia", program.agency))
    assert press(client, NEW, filled_new_program(client)).status_code == 303
    created = Program.get(Program.slug == "apoyo-mayores")
    assert not created.active
    assert "apoyo-mayores" not in {p.slug for p in engine_catalog().programs}


def test_a_post_to_the_retired_yaml_page_changes_nothing(client, program):
    before = published(program)
    sign_in_as(client, make_staff("admin_dependencia", program.agency))
    data = {"version": "1", "name": "Cambiado", "eligibility": "[]", "benefit_kind": "cash"}
    assert client.post(f"/oficina/programas/{program.slug}", data=data).status_code == 303
    assert published(program) == before
    assert not ProgramVersion.select().exists()


def test_a_translation_is_a_draft(client, program):
    before = published(program)
    sign_in_as(client, make_staff("admin_dependencia", program.agency))
    data = {"version": "1", "name": "Published card"}
    response = client.post(f"/oficina/programas/{program.slug}/idioma/en", data=data)
    assert response.status_code == 303
    assert published(program) == before
    draft = ProgramVersion.get(ProgramVersion.program == program)
    assert (draft.status, draft.snapshot["i18n"]["en"]["name"]) == ("borrador", "Published card")


@pytest.mark.parametrize("step", ["submit", "send_back"])
def test_review_steps_short_of_publishing_change_nothing(program, step):
    before = published(program)
    admin = Actor.staff(make_staff("admin_dependencia", program.agency))
    supervisor = Actor.staff(make_staff("supervisor", program.agency))
    edited = replace(editing.stored_program(program), name="Cambiado")
    draft = versions.save_draft(program, edited, based_on=1, actor=admin)
    versions.submit(draft, admin)
    if step == "send_back":
        versions.send_back(ProgramVersion.get_by_id(draft.id), supervisor, "Revise el nombre.")
    assert published(program) == before


def test_a_supervisor_cannot_publish_when_the_secretariat_reviews(app, client, program):
    app.config["PROGRAM_REVIEWER"] = "secretaria"
    admin = make_staff("admin_dependencia", program.agency)
    edited = replace(editing.stored_program(program), name="Cambiado")
    draft = versions.save_draft(program, edited, based_on=1, actor=Actor.staff(admin))
    versions.submit(draft, Actor.staff(admin), reviewer="secretaria")
    before = published(program)
    sign_in_as(client, make_staff("supervisor", program.agency))
    url = f"/oficina/programas/{program.slug}/versiones/{draft.version}/publicar"
    assert client.post(url).status_code == 403
    assert published(program) == before


# The catalog load ------------------------------------------------------------------

SLUG = "tarjeta-contigo"


def catalog(**changes):
    data = copy.deepcopy(BASE)
    data["programs"][0].update(changes)
    return catalog_from_dict(data)


@pytest.fixture
def drafted(app):
    """A program loaded from a file, with a draft saved on the web (not yet published)."""
    load_catalog(catalog())
    loaded = Program.get(Program.slug == SLUG)
    admin = Actor.staff(make_staff("admin_dependencia", loaded.agency))
    edited = replace(editing.stored_program(loaded), name="Borrador de la oficina")
    draft = versions.save_draft(loaded, edited, based_on=loaded.version, actor=admin)
    return loaded, draft


def test_a_load_over_a_web_draft_is_refused_naming_it(drafted):
    loaded, draft = drafted
    with pytest.raises(LoadError) as refused:
        load_catalog(catalog(summary="Otro resumen desde el archivo."))
    (problem,) = refused.value.problems
    assert f'programa "{SLUG}"' in str(problem) and f"versión {draft.version}" in str(problem)
    stored = Program.get_by_id(loaded.id)
    assert (stored.summary, stored.version) == (loaded.summary, loaded.version)
    assert ProgramVersion.select().count() == 2


def test_the_cli_refuses_a_load_over_a_web_draft(app, drafted, tmp_path):
    loaded, _draft = drafted
    path = tmp_path / "catalogo.yaml"
    data = copy.deepcopy(BASE)
    data["programs"][0]["summary"] = "Desde el archivo."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    refused = app.test_cli_runner().invoke(args=["catalog", "load", str(path)])
    assert refused.exit_code == 1 and f"--sobrescribir {SLUG}" in refused.output
    assert Program.get_by_id(loaded.id).summary == loaded.summary


def test_the_explicit_overwrite_takes_a_new_number_and_the_draft_cannot_publish_over_it(drafted):
    loaded, draft = drafted
    summary = load_catalog(catalog(summary="Desde el archivo."), overwrite=[SLUG])
    assert summary.programs_updated == [SLUG]
    stored = Program.get_by_id(loaded.id)
    assert stored.summary == "Desde el archivo."
    assert stored.version == draft.version + 1  # the draft's number is never reused
    admin = Actor.staff(make_staff("admin_dependencia", loaded.agency))
    supervisor = Actor.staff(make_staff("supervisor", loaded.agency))
    versions.submit(ProgramVersion.get_by_id(draft.id), admin)
    with pytest.raises(editing.Conflict):
        versions.publish(ProgramVersion.get_by_id(draft.id), supervisor)
    assert Program.get_by_id(loaded.id).name != "Borrador de la oficina"
