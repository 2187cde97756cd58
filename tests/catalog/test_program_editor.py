"""The guided program editor: agency admins create and edit programs in form
fields and rows (no YAML), rows added and removed without JavaScript, every
problem on its field and nothing half-written."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from portal.catalog import editor
from portal.catalog.store import engine_catalog
from portal.models import AuditEvent, Call, DeliveryPoint, Program, ProgramVersion, Requirement
from tests.conftest import sign_in_as
from tests.factories import (
    make_agency,
    make_application,
    make_municipality,
    make_program,
    make_staff,
)
from tests.support.html import html

NEW = "/oficina/programas/nuevo"


def read_form(response) -> MultiDict:
    """The editor form as a browser would post it (checked boxes only, no buttons)."""
    form = html(response).find("form", id="programa")
    data: MultiDict = MultiDict()
    for element in form.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        if not name:
            continue
        if element.name == "textarea":
            data.add(name, element.text.lstrip("\n"))
        elif element.name == "select":
            chosen = element.find("option", selected=True) or element.find("option")
            data.add(name, chosen["value"] if chosen else "")
        elif element.get("type") == "checkbox":
            if element.has_attr("checked"):
                data.add(name, element.get("value", "y"))
        else:
            data.add(name, element.get("value", ""))
    return data


def press(client, url, data: MultiDict, action: str = "guardar", **changes):
    posted = MultiDict(data)
    for key, value in changes.items():
        key = key.replace("__", "-")
        posted.setlist(key, value if isinstance(value, list) else [value])
    posted["action"] = action
    return client.post(url, data=posted)


def field_error(response, field_id: str) -> str:
    box = html(response).find(id=f"{field_id}-field")
    assert box is not None, f"no field {field_id}"
    message = box.find(class_="error-message")
    return message.get_text(" ", strip=True) if message else ""


@pytest.fixture
def agency():
    make_municipality()
    return make_agency(slug="sedesoq", name="Secretaría de Desarrollo Social")


@pytest.fixture
def admin(login, agency):
    return login(make_staff("admin_dependencia", agency))


def filled_new_program(client) -> MultiDict:
    """The new-program form filled with a complete program of one condition and one row each."""
    data = read_form(client.get(NEW))
    data = read_form(press(client, NEW, data, "agregar-requirements"))
    data = read_form(press(client, NEW, data, "agregar-calls"))
    data = read_form(press(client, NEW, data, "agregar-points"))
    changes = {
        "slug": "apoyo-mayores",
        "name": "Apoyo a personas mayores",
        "summary": "Un apoyo bimestral para personas de 65 años o más.",
        "population": "Personas de 65 años o más que viven en Querétaro.",
        "benefit_kind": "cash",
        "benefit_amount": "1,500",
        "benefit_period": "bimestral",
        "conditions-0-field": "age",
        "conditions-0-op": "gte",
        "conditions-0-value": "65",
        "conditions-0-reason": "Tener 65 años o más",
        "requirements-0-name": "Identificación oficial",
        "requirements-0-slug": "identificacion",
        "requirements-0-formats": ["pdf", "jpg"],
        "calls-0-opens": "2026-01-01",
        "calls-0-closes": "2027-12-31",
        "calls-0-quota": "500",
        "points-0-name": "Oficina central",
        "points-0-address": "Av. Pasteur 10, Centro",
        "points-0-municipality": "22014",
        "points-0-lat": "20.59",
        "points-0-lon": "-100.39",
        "points-0-hours": "Lunes a viernes de 9 a 15",
    }
    for key, value in changes.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return data


# Creating a program ------------------------------------------------------------------


def test_agency_admin_creates_a_program_without_yaml(admin, agency):
    page = html(admin.get(NEW))
    assert page.find("textarea", class_="yaml") is None
    response = press(admin, NEW, filled_new_program(admin))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/oficina/programas/apoyo-mayores/versiones/1")
    program = Program.get(Program.slug == "apoyo-mayores")
    assert (program.agency_id, program.version, program.benefit_amount) == (agency.id, 1, 1500)
    assert not program.active  # a draft until it is reviewed
    assert program.eligibility == [
        {"field": "age", "op": "gte", "value": 65, "reason": "Tener 65 años o más"}
    ]
    assert [(r.slug, r.formats) for r in program.requirements] == [("identificacion", "pdf,jpg")]
    assert Call.get(Call.program == program).quota == 500
    assert DeliveryPoint.get(DeliveryPoint.program == program).municipality_id == "22014"
    first = ProgramVersion.get(ProgramVersion.program == program)
    assert (first.version, first.status) == (1, "borrador")
    event = AuditEvent.get(AuditEvent.action == "crear_programa")
    assert event.object_id == "apoyo-mayores"


def test_a_created_program_is_in_the_catalog_only_once_published(admin, agency, client):
    press(admin, NEW, filled_new_program(admin))
    assert "apoyo-mayores" not in {p.slug for p in engine_catalog().programs}
    assert admin.post("/oficina/programas/apoyo-mayores/versiones/1/enviar").status_code == 303
    sign_in_as(admin, make_staff("supervisor", agency))
    assert admin.post("/oficina/programas/apoyo-mayores/versiones/1/publicar").status_code == 303
    assert Program.get(Program.slug == "apoyo-mayores").active
    assert "apoyo-mayores" in {p.slug for p in engine_catalog().programs}
    with client.session_transaction() as session:
        session.clear()
    assert "Apoyo a personas mayores" in client.get("/programas").get_data(as_text=True)


def test_a_taken_key_is_a_message_on_the_key_and_nothing_is_written(admin, agency):
    make_program(agency, slug="apoyo-mayores")
    response = press(admin, NEW, filled_new_program(admin))
    assert response.status_code == 422
    assert "Ya hay un programa con esta clave" in field_error(response, "slug")
    assert Program.select().count() == 1
    assert not AuditEvent.select().where(AuditEvent.action == "crear_programa").exists()


@pytest.mark.parametrize(
    ("field", "value", "field_id", "message"),
    [
        ("name", "", "name", "Escriba el nombre"),
        ("slug", "Apoyo Mayores", "slug", "minúsculas"),
        ("slug", "", "slug", "Escriba la clave"),
        ("benefit_amount", "mil", "benefit_amount", "pesos enteros"),
        ("conditions-0-value", "sesenta", "conditions-0-value", "número entero"),
        ("conditions-0-reason", "", "conditions-0-reason", "razón"),
        ("conditions-0-op", "lessthan", "conditions-0-op", "operador desconocido"),
        ("conditions-0-field", "edad", "conditions-0-field", "campo desconocido"),
        ("requirements-0-slug", "Identificación", "requirements-0-slug", "clave no válida"),
        ("requirements-0-formats", [], "requirements-0-formats", ""),
        ("calls-0-opens", "2026-02-30", "calls-0-opens", "AAAA-MM-DD"),
        ("calls-0-quota", "muchos", "calls-0-quota", "número entero"),
        ("points-0-lat", "norte", "points-0-lat", "Escriba un número"),
        ("points-0-municipality", "99999", "points-0-municipality", ""),
    ],
)
def test_bad_input_is_a_message_on_its_field_and_nothing_is_written(
    admin, field, value, field_id, message
):
    data = filled_new_program(admin)
    data.setlist(field, value if isinstance(value, list) else [value])
    response = press(admin, NEW, data)
    assert response.status_code == 422
    error = field_error(response, field_id)
    assert error and message in error
    assert html(response).find(class_="error-summary").find("a", href=f"#{field_id}")
    assert Program.select().count() == 0
    assert Requirement.select().count() == 0 and ProgramVersion.select().count() == 0


def test_the_operator_must_fit_the_field(admin):
    data = filled_new_program(admin)
    data.setlist("conditions-0-field", ["disability"])
    data.setlist("conditions-0-op", ["gte"])
    response = press(admin, NEW, data)
    assert response.status_code == 422
    assert "is_true" in field_error(response, "conditions-0-op")
    assert Program.select().count() == 0


def test_a_list_value_is_typed_by_the_fields_kind(admin):
    data = filled_new_program(admin)
    data.setlist("conditions-0-field", ["household_size"])
    data.setlist("conditions-0-op", ["in"])
    data.setlist("conditions-0-value", ["2, 3, 4"])
    assert press(admin, NEW, data).status_code == 303
    assert Program.get().eligibility[0]["value"] == [2, 3, 4]


def test_a_municipality_condition_is_picked_from_the_states_municipalities(admin):
    data = filled_new_program(admin)
    data.setlist("conditions-0-field", ["municipality"])
    data.setlist("conditions-0-op", ["in"])
    page = html(press(admin, NEW, data, "actualizar"))
    boxes = page.find_all("input", attrs={"name": "conditions-0-options"})
    assert len(boxes) == 18 and page.find("label", string="Amealco de Bonfil")
    data.setlist("conditions-0-options", ["22001", "22014"])
    assert press(admin, NEW, data).status_code == 303
    assert Program.get().eligibility[0]["value"] == ["22001", "22014"]


def test_an_equality_on_a_picked_field_takes_one_value(admin):
    data = filled_new_program(admin)
    data.setlist("conditions-0-field", ["sex"])
    data.setlist("conditions-0-op", ["eq"])
    data.setlist("conditions-0-options", ["H", "M"])
    response = press(admin, NEW, data)
    assert response.status_code == 422
    assert "un solo valor" in field_error(response, "conditions-0-options")


def test_between_takes_two_values_in_order(admin):
    data = filled_new_program(admin)
    data.setlist("conditions-0-op", ["between"])
    data.setlist("conditions-0-value", ["64"])
    data.setlist("conditions-0-value_to", ["18"])
    response = press(admin, NEW, data)
    assert response.status_code == 422
    assert "mayor que el máximo" in field_error(response, "conditions-0-value")
    data.setlist("conditions-0-value", ["18"])
    data.setlist("conditions-0-value_to", ["64"])
    assert press(admin, NEW, data).status_code == 303
    assert Program.get().eligibility[0]["value"] == [18, 64]


def test_exclusion_groups_are_chosen_from_existing_ones(admin, agency):
    make_program(agency, exclusion_group="apoyo-familias")
    page = html(admin.get(NEW))
    options = [o["value"] for o in page.find("select", id="exclusion_group").find_all("option")]
    assert options == ["", "apoyo-familias"]
    data = filled_new_program(admin)
    data.setlist("exclusion_group", ["apoyo-familias"])
    assert press(admin, NEW, data).status_code == 303
    assert Program.get(Program.slug == "apoyo-mayores").exclusion_group == "apoyo-familias"


# Rows without JavaScript ---------------------------------------------------------------


def test_rows_are_added_and_removed_without_javascript_and_nothing_is_saved(admin):
    data = filled_new_program(admin)
    response = press(admin, NEW, data, "agregar-conditions")
    assert response.status_code == 200
    page = html(response)
    assert page.find(id="condicion-2") is not None
    data = read_form(response)
    data.setlist("conditions-1-field", ["disability"])
    data.setlist("conditions-1-op", ["is_true"])
    data.setlist("conditions-1-reason", ["Tener una discapacidad"])
    response = press(admin, NEW, data, "quitar-conditions-0")
    assert response.status_code == 200
    data = read_form(response)
    assert data["conditions-0-field"] == "disability" and "conditions-1-field" not in data
    assert Program.select().count() == 0
    assert press(admin, NEW, data).status_code == 303
    assert Program.get().eligibility == [
        {"field": "disability", "op": "is_true", "reason": "Tener una discapacidad"}
    ]


def test_without_row_renumbers_the_rows_after_it():
    data = MultiDict(
        [("calls-0-opens", "a"), ("calls-1-opens", "b"), ("calls-2-opens", "c"), ("name", "x")]
    )
    assert editor.without_row(data, "calls", 1) == MultiDict(
        [("calls-0-opens", "a"), ("calls-1-opens", "c"), ("name", "x")]
    )


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("agregar-calls", ("agregar", "calls", None)),
        ("quitar-points-3", ("quitar", "points", 3)),
        ("quitar-calls", None),
        ("agregar-calls-1", None),
        ("agregar-secretos", None),
        ("guardar", None),
    ],
)
def test_row_action_reads_only_the_editors_buttons(action, expected):
    assert editor.row_action(action) == expected


def test_a_missing_csrf_token_writes_nothing(app, admin):
    data = filled_new_program(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    data.setlist("csrf_token", ["falso"])
    response = press(admin, NEW, data)
    assert response.status_code in (400, 422)
    assert Program.select().count() == 0


# Editing a program -------------------------------------------------------------------


@pytest.fixture
def program(agency):
    return make_program(
        agency,
        requirements=("identificacion",),
        population="Personas de 18 a 64 años que viven en Querétaro.",
        eligibility=[
            {"field": "age", "op": "between", "value": [18, 64], "reason": "Tener de 18 a 64 años"},
            {
                "field": "municipality",
                "op": "in",
                "value": ["22014"],
                "reason": "Vivir en Querétaro",
            },
        ],
    )


def test_the_editor_shows_the_stored_rules_as_rows(admin, program):
    data = read_form(admin.get(f"/oficina/programas/{program.slug}/editor"))
    assert (data["conditions-0-value"], data["conditions-0-value_to"]) == ("18", "64")
    assert data.getlist("conditions-1-options") == ["22014"]
    assert data["requirements-0-slug"] == "identificacion"
    assert data["version"] == "1"


def test_an_edit_saves_a_draft_version_and_the_program_waits_for_review(admin, program):
    url = f"/oficina/programas/{program.slug}/editor"
    data = read_form(admin.get(url))
    data.setlist("conditions-0-value_to", ["70"])
    response = press(admin, url, data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/oficina/programas/{program.slug}/versiones/2")
    stored = Program.get_by_id(program.id)
    assert (stored.version, stored.eligibility[0]["value"]) == (1, [18, 64])
    (draft,) = ProgramVersion.select().where(ProgramVersion.program == program)
    assert (draft.version, draft.status, draft.based_on) == (2, "borrador", 1)
    assert draft.snapshot["eligibility"][0]["value"] == [18, 70]
    assert draft.snapshot["eligibility"][1]["value"] == ["22014"]
    again = read_form(admin.get(url))  # the editor goes on from the draft
    assert again["conditions-0-value_to"] == "70"


def test_an_unchanged_save_gives_the_same_program(admin, program):
    url = f"/oficina/programas/{program.slug}/editor"
    before = Program.get_by_id(program.id).eligibility
    assert press(admin, url, read_form(admin.get(url))).status_code == 303
    assert Program.get_by_id(program.id).eligibility == before


def test_an_edit_of_a_version_since_replaced_gets_409_and_writes_nothing(admin, program):
    url = f"/oficina/programas/{program.slug}/editor"
    stale = read_form(admin.get(url))
    Program.update(version=5).where(Program.id == program.id).execute()  # published meanwhile
    assert press(admin, url, stale, name="Tarde").status_code == 409
    assert not ProgramVersion.select().where(ProgramVersion.program == program).exists()


def test_a_bad_edit_is_refused_on_its_field_and_the_program_is_unchanged(admin, program):
    url = f"/oficina/programas/{program.slug}/editor"
    data = read_form(admin.get(url))
    data.setlist("conditions-0-value", ["abc"])
    data.setlist("name", ["Otro nombre"])
    response = press(admin, url, data)
    assert response.status_code == 422
    assert "número entero" in field_error(response, "conditions-0-value")
    stored = Program.get_by_id(program.id)
    assert (stored.name, stored.version) == (program.name, 1)
    assert not ProgramVersion.select().where(ProgramVersion.program == program).exists()


def test_a_draft_that_could_never_be_published_is_refused_when_saved(admin, program):
    """Replacing a call that already has applications: said on the save (422),
    no draft written, rather than at publishing after the review."""
    make_application(program=program)
    url = f"/oficina/programas/{program.slug}/editor"
    data = read_form(admin.get(url))
    data.setlist("calls-0-opens", ["2028-01-01"])
    data.setlist("calls-0-closes", ["2028-12-31"])
    response = press(admin, url, data)
    assert response.status_code == 422
    assert "ya tienen solicitudes y no se pueden quitar" in html(response).get_text(" ")
    assert not ProgramVersion.select().where(ProgramVersion.program == program).exists()
    assert Call.get(Call.program == program).opens == Call.select().first().opens


# Who may open the editor ---------------------------------------------------------------


def test_another_agencys_program_is_404(login, program):
    client = login(make_staff("admin_dependencia", make_agency()))
    url = f"/oficina/programas/{program.slug}/editor"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"name": "x", "action": "guardar"}).status_code == 404


def test_an_agency_admin_cannot_create_a_program_for_another_agency(admin):
    other = make_agency(slug="otra")
    data = filled_new_program(admin)
    data.setlist("agency", [other.slug])
    response = press(admin, NEW, data)
    assert response.status_code == 422
    assert Program.select().count() == 0


def test_a_state_admin_creates_for_any_agency(login, agency):
    other = make_agency(slug="otra", name="Otra dependencia")
    client = login(make_staff("admin_estatal"))
    page = html(client.get(NEW))
    slugs = [o["value"] for o in page.find("select", id="agency").find_all("option")]
    assert set(slugs) == {"sedesoq", "otra"}
    data = filled_new_program(client)
    data.setlist("agency", ["otra"])
    assert press(client, NEW, data).status_code == 303
    assert Program.get().agency_id == other.id


@pytest.mark.parametrize("role", ["revisor", "supervisor", "entrega", "secretaria"])
def test_other_roles_cannot_open_the_editor(login, program, role):
    client = login(make_staff(role, program.agency if role != "secretaria" else None))
    assert client.get(NEW).status_code == 403
    assert client.get(f"/oficina/programas/{program.slug}/editor").status_code == 403
    assert client.post(NEW, data={"action": "guardar"}).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client, program):
    response = client.get(NEW)
    assert response.status_code == 302 and "/oficina/entrar" in response.headers["Location"]


def test_showing_the_values_with_a_bad_value_marks_it_and_saves_nothing(admin):
    data = read_form(admin.get(NEW))
    data.setlist("conditions-0-field", ["age"])
    data.setlist("conditions-0-op", ["gte"])
    data.setlist("conditions-0-value", ["mucho"])
    response = press(admin, NEW, data, "actualizar")
    assert response.status_code == 200
    assert "número entero" in field_error(response, "conditions-0-value")
    assert Program.select().count() == 0
