"""Versions and review: every save in the guided editor is a draft; the agency
admin sends it to review; a supervisor of the same agency publishes it or sends
it back; the history shows each version and its differences."""

from __future__ import annotations

import pytest

from portal.backoffice.audit import Actor
from portal.catalog import editing, versions
from portal.catalog.store import engine_catalog
from portal.models import AuditEvent, Program, ProgramVersion
from tests.catalog.test_program_editor import press, read_form
from tests.conftest import sign_in_as
from tests.factories import make_agency, make_municipality, make_program, make_staff
from tests.support.html import html


@pytest.fixture
def program(app):
    make_municipality()
    return make_program(
        make_agency(slug="sedesoq"),
        population="Personas de 18 a 64 años.",
        eligibility=[{"field": "age", "op": "between", "value": [18, 64], "reason": "De 18 a 64"}],
    )


@pytest.fixture
def people(program):
    return {
        "admin": make_staff("admin_dependencia", program.agency),
        "supervisor": make_staff("supervisor", program.agency),
        "other_supervisor": make_staff("supervisor", make_agency()),
        "reviewer": make_staff("revisor", program.agency),
    }


def draft_of(client, program, **changes) -> ProgramVersion:
    url = f"/oficina/programas/{program.slug}/editor"
    data = read_form(client.get(url))
    for key, value in changes.items():
        data.setlist(key.replace("__", "-"), [value])
    assert press(client, url, data).status_code == 303
    return versions.open_draft(program)


def base(program, number):
    return f"/oficina/programas/{program.slug}/versiones/{number}"


def test_the_full_review_publishes_the_draft(client, program, people):
    sign_in_as(client, people["admin"])
    draft = draft_of(client, program, conditions__0__value_to="70")
    page = html(client.get(base(program, draft.version)))
    assert page.find(id="estado-version").get_text(strip=True) == "Estado: Borrador."
    changed = [td.get_text(" ", strip=True) for td in page.select("#diferencias tbody td")]
    assert "se agrega" in changed and "se quita" in changed
    assert client.post(base(program, draft.version) + "/enviar").status_code == 303
    assert client.post(base(program, draft.version) + "/publicar").status_code == 403

    sign_in_as(client, people["supervisor"])
    assert client.post(base(program, draft.version) + "/publicar").status_code == 303
    stored = Program.get_by_id(program.id)
    assert (stored.version, stored.eligibility[0]["value"]) == (2, [18, 70])
    published = ProgramVersion.get_by_id(draft.id)
    assert (published.status, published.reviewed_by) == (
        "publicada",
        f"personal:{people['supervisor'].id}",
    )
    assert ProgramVersion.select().where(ProgramVersion.program == program).count() == 1
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions[-4:] == [
        "programa.borrador",
        "programa.a_revision",
        "editar_programa",
        "programa.publicado",
    ]
    assert any(p.slug == program.slug for p in engine_catalog().programs)


def test_a_supervisor_sends_a_draft_back_with_a_note_and_the_admin_resubmits(
    client, program, people
):
    sign_in_as(client, people["admin"])
    draft = draft_of(client, program, name="Nombre nuevo")
    client.post(base(program, draft.version) + "/enviar")
    sign_in_as(client, people["supervisor"])
    empty = client.post(base(program, draft.version) + "/devolver", data={"note": ""})
    assert empty.status_code == 303
    assert ProgramVersion.get_by_id(draft.id).status == "en_revision"
    client.post(base(program, draft.version) + "/devolver", data={"note": "Falta la razón."})
    assert ProgramVersion.get_by_id(draft.id).status == "devuelta"
    page = html(client.get(base(program, draft.version)))
    assert "Falta la razón." in page.find(id="observaciones").get_text()
    assert Program.get_by_id(program.id).name == program.name
    sign_in_as(client, people["admin"])
    assert client.post(base(program, draft.version) + "/enviar").status_code == 303
    assert ProgramVersion.get_by_id(draft.id).status == "en_revision"


def test_a_draft_not_in_review_is_not_published(client, program, people):
    sign_in_as(client, people["admin"])
    draft = draft_of(client, program, name="Sin enviar")
    sign_in_as(client, people["supervisor"])
    client.post(base(program, draft.version) + "/publicar")
    assert ProgramVersion.get_by_id(draft.id).status == "borrador"
    assert Program.get_by_id(program.id).name == program.name


def test_publishing_after_another_version_was_published_is_a_conflict(program, people):
    admin = Actor.staff(people["admin"])
    edited = editing.stored_program(program)
    draft = versions.save_draft(program, edited, based_on=1, actor=admin)
    versions.submit(draft, admin)
    editing.save(program, edited, expected_version=1, actor=admin)  # the file-shaped page
    with pytest.raises(editing.Conflict):
        versions.publish(ProgramVersion.get_by_id(draft.id), Actor.staff(people["supervisor"]))
    assert ProgramVersion.get_by_id(draft.id).status == "en_revision"


def test_a_new_draft_replaces_the_open_one(program, people):
    admin = Actor.staff(people["admin"])
    edited = editing.stored_program(program)
    first = versions.save_draft(program, edited, based_on=1, actor=admin)
    second = versions.save_draft(program, edited, based_on=1, actor=admin)
    assert (first.version, second.version) == (2, 3)
    assert ProgramVersion.get_by_id(first.id).status == "devuelta"
    assert versions.open_draft(program).id == second.id


def test_another_agencys_supervisor_gets_404(client, program, people):
    sign_in_as(client, people["admin"])
    draft = draft_of(client, program, name="Otro")
    client.post(base(program, draft.version) + "/enviar")
    sign_in_as(client, people["other_supervisor"])
    assert client.get(base(program, draft.version)).status_code == 404
    assert client.post(base(program, draft.version) + "/publicar").status_code == 404
    assert client.get(f"/oficina/programas/{program.slug}/versiones").status_code == 404
    assert ProgramVersion.get_by_id(draft.id).status == "en_revision"


@pytest.mark.parametrize("role", ["reviewer"])
def test_other_roles_cannot_read_or_review_versions(client, program, people, role):
    sign_in_as(client, people[role])
    assert client.get(f"/oficina/programas/{program.slug}/versiones").status_code == 403
    assert client.post(base(program, 1) + "/publicar").status_code == 403
    assert client.post(base(program, 1) + "/enviar").status_code == 403


def test_an_unknown_version_is_404(client, program, people):
    sign_in_as(client, people["admin"])
    assert client.get(base(program, 99)).status_code == 404


def test_the_history_lists_versions_with_their_state(client, program, people):
    sign_in_as(client, people["admin"])
    draft_of(client, program, name="Uno")
    page = html(client.get(f"/oficina/programas/{program.slug}/versiones"))
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in page.select("tbody tr")]
    assert rows[0][:2] == ["Versión 2", "Borrador"] and rows[0][3] == "Oficina"


def test_differences_mark_added_and_removed_lines():
    lines = versions.differences({"name": "A", "summary": "S"}, {"name": "B", "summary": "S"})
    assert ("-", "name: A") in lines and ("+", "name: B") in lines
    assert versions.differences({"name": "A"}, {"name": "A"}) == []


def test_the_reviewer_setting_names_the_supervisor_for_now(program, people):
    assert versions.may_review(people["supervisor"], program)
    assert not versions.may_review(people["other_supervisor"], program)
    assert not versions.may_review(people["admin"], program)
    assert versions.reviewer_roles("desconocido") == versions.reviewer_roles("supervisor")
