"""The guided editor's repeatable rows with htmx and without: the same post adds
or removes a row; with ``HX-Request`` the answer is only that list's block and
the announcement (out of band), without it the whole page. Either way what was
typed elsewhere is kept, the focus goes to the new row (or the add button after
a removal) and nothing is saved."""

from __future__ import annotations

import pytest

from portal.catalog import editor
from portal.models import Program, ProgramVersion
from tests.catalog.test_program_editor import (
    NEW,
    admin,  # noqa: F401 (fixture)
    agency,  # noqa: F401 (fixture)
    filled_new_program,
    press,
    read_form,
)
from tests.factories import make_agency, make_program, make_staff
from tests.support.html import html

HTMX = {"HX-Request": "true"}
# list -> (the id of its rows' fieldsets, without the number; the first input of a row)
LISTS = {
    "conditions": ("condicion", "field"),
    "requirements": ("documento", "name"),
    "calls": ("convocatoria", "opens"),
    "points": ("punto", "name"),
    "examples": ("ejemplo", "name"),
}


def post(client, url, data, action, *, htmx: bool, **changes):
    posted = data.copy()
    for key, value in changes.items():
        posted.setlist(key.replace("__", "-"), value if isinstance(value, list) else [value])
    posted["action"] = action
    return client.post(url, data=posted, headers=HTMX if htmx else {})


def nothing_saved() -> bool:
    return Program.select().count() == 0 and ProgramVersion.select().count() == 0


def assert_fragment_of(response, list_name: str) -> None:
    """The answer is the list's block and the announcement, not a page."""
    body = response.get_data(as_text=True)
    page = html(response)
    assert "<html" not in body and page.find("form", id="programa") is None
    assert page.find(id=f"filas-{list_name}") is not None
    others = [n for n in LISTS if n != list_name]
    assert all(page.find(id=f"filas-{n}") is None for n in others)
    status = page.find(id="editor-aviso")
    assert status is not None and status["hx-swap-oob"] == "innerHTML"
    assert status["role"] == "status"
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("list_name", LISTS)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "sin-js"])
def test_adding_a_row_focuses_its_first_input_and_saves_nothing(admin, list_name, htmx):  # noqa: F811
    data = filled_new_program(admin)
    count = len(html(admin.get(NEW)).select(f"#filas-{list_name} fieldset.editor-row"))
    before = len(read_form_rows(data, list_name))
    response = post(admin, NEW, data, f"agregar-{list_name}", htmx=htmx)
    assert response.status_code == 200
    page = html(response)
    if htmx:
        assert_fragment_of(response, list_name)
    else:
        assert page.find("form", id="programa") is not None
        assert page.find(id="editor-aviso").get("hx-swap-oob") is None
    fieldset_id, first = LISTS[list_name]
    rows = page.select(f"#filas-{list_name} fieldset.editor-row")
    assert len(rows) == before + 1 >= count
    new_row = page.find(id=f"{fieldset_id}-{before + 1}")
    assert new_row is not None
    focused = page.select("[autofocus]")
    assert [e["id"] for e in focused] == [f"{list_name}-{before}-{first}"]
    assert "Se agregó" in page.find(id="editor-aviso").get_text()
    assert nothing_saved()


def read_form_rows(data, list_name: str) -> set[str]:
    """The row numbers of ``list_name`` in posted form data."""
    return {key.split("-")[1] for key in data if key.startswith(f"{list_name}-")}


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "sin-js"])
def test_removing_a_condition_keeps_what_was_typed_in_the_others(admin, htmx):  # noqa: F811
    data = filled_new_program(admin)
    data = read_form(press(admin, NEW, data, "agregar-conditions"))
    data.setlist("conditions-1-field", ["disability"])
    data.setlist("conditions-1-op", ["is_true"])
    data.setlist("conditions-1-reason", ["Tener una discapacidad"])
    response = post(admin, NEW, data, "quitar-conditions-0", htmx=htmx)
    assert response.status_code == 200
    page = html(response)
    if htmx:
        assert_fragment_of(response, "conditions")
    rows = page.select("#filas-conditions fieldset.editor-row")
    assert len(rows) == 1
    assert (
        page.find("select", id="conditions-0-field").find("option", selected=True)["value"]
        == "disability"
    )
    assert page.find("textarea", id="conditions-0-reason").text.strip() == "Tener una discapacidad"
    assert [e["id"] for e in page.select("[autofocus]")] == ["agregar-conditions"]
    said = page.find(id="editor-aviso").get_text()
    assert "Se quitó: Condición 1" in said and "Quedan 1" in said
    assert nothing_saved()


@pytest.mark.parametrize("list_name", ["requirements", "calls", "points", "examples"])
def test_removing_the_only_row_of_a_list_leaves_it_empty(admin, list_name):  # noqa: F811
    data = filled_new_program(admin)
    if list_name == "examples":
        data = read_form(press(admin, NEW, data, "agregar-examples"))
    response = post(admin, NEW, data, f"quitar-{list_name}-0", htmx=True)
    assert response.status_code == 200
    assert_fragment_of(response, list_name)
    assert html(response).select(f"#filas-{list_name} fieldset.editor-row") == []
    assert nothing_saved()


def test_the_row_buttons_post_the_same_url_with_htmx_and_without(admin):  # noqa: F811
    page = html(press(admin, NEW, filled_new_program(admin), "agregar-examples"))
    for list_name in LISTS:
        add = page.find("button", id=f"agregar-{list_name}")
        assert add["hx-post"] == NEW and add["hx-target"] == f"#filas-{list_name}"
        assert add["formaction"] == f"{NEW}#filas-{list_name}"
        assert add["type"] == "submit" and add.has_attr("formnovalidate")
        remove = page.find("button", attrs={"value": f"quitar-{list_name}-0"})
        assert remove["hx-post"] == NEW and remove["hx-target"] == f"#filas-{list_name}"


def test_a_list_full_is_said_and_gets_no_more_rows(admin, monkeypatch):  # noqa: F811
    monkeypatch.setattr(editor, "MAX_ROWS", 1)
    data = filled_new_program(admin)
    response = post(admin, NEW, data, "agregar-calls", htmx=True)
    page = html(response)
    assert len(page.select("#filas-calls fieldset.editor-row")) == 1
    assert "No se pueden agregar más" in page.find(id="editor-aviso").get_text()
    assert [e["id"] for e in page.select("[autofocus]")] == ["agregar-calls"]


# A condition's field chosen: its operators and value inputs --------------------------


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "sin-js"])
def test_choosing_a_field_offers_its_operators_and_value_inputs(admin, htmx):  # noqa: F811
    data = filled_new_program(admin)
    action = editor.REDRAW_CONDITIONS if htmx else "actualizar"
    response = post(
        admin, NEW, data, action, htmx=htmx, conditions__0__field="municipality", name="Tecleado"
    )
    assert response.status_code == 200
    page = html(response)
    if htmx:
        assert_fragment_of(response, "conditions")
        assert page.select("[autofocus]") == []  # htmx keeps the focus on the select
    else:
        assert page.find("input", id="name")["value"] == "Tecleado"
    ops = [o["value"] for o in page.find("select", id="conditions-0-op").find_all("option")]
    assert ops == ["eq", "ne", "in", "not_in"]
    # "gte" does not fit a municipality: the redraw takes the field's first operator.
    assert page.find("select", id="conditions-0-op").find("option", selected=True)["value"] == "eq"
    boxes = page.find_all("input", attrs={"name": "conditions-0-options"})
    assert len(boxes) == 18 and page.find("label", string="Amealco de Bonfil")
    assert page.find(id="conditions-0-value") is None
    assert nothing_saved()


def test_a_choice_field_offers_its_values_by_their_names(admin):  # noqa: F811
    data = filled_new_program(admin)
    response = post(
        admin, NEW, data, editor.REDRAW_CONDITIONS, htmx=True, conditions__0__field="sex"
    )
    labels = [lbl.get_text(strip=True) for lbl in html(response).select("#filas-conditions label")]
    assert "Mujer" in labels and "Hombre" in labels


def test_the_field_and_operator_selects_redraw_the_conditions_with_htmx(admin):  # noqa: F811
    page = html(admin.get(NEW))
    for name in ("field", "op"):
        select = page.find("select", id=f"conditions-0-{name}")
        assert select["hx-post"] == NEW and select["hx-trigger"] == "change"
        assert select["hx-target"] == "#filas-conditions"
        assert '"action": "valores"' in select["hx-vals"]
    # Without JavaScript the same redraw is a button.
    assert page.find("button", attrs={"value": "actualizar"}) is not None


def test_a_saved_operator_that_does_not_fit_stays_shown_with_its_refusal(admin):  # noqa: F811
    data = filled_new_program(admin)
    response = post(
        admin, NEW, data, "guardar", htmx=False, conditions__0__field="disability",
        conditions__0__op="gte",
    )  # fmt: skip
    assert response.status_code == 422
    select = html(response).find("select", id="conditions-0-op")
    assert select.find("option", selected=True)["value"] == "gte"
    assert nothing_saved()


# The editor of a stored program, and who may use the rows --------------------------


@pytest.fixture
def program(agency):  # noqa: F811
    return make_program(
        agency,
        eligibility=[{"field": "age", "op": "gte", "value": 18, "reason": "Tener 18 años o más"}],
    )


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "sin-js"])
def test_rows_of_a_stored_programs_editor_change_nothing_stored(admin, program, htmx):  # noqa: F811
    url = f"/oficina/programas/{program.slug}/editor"
    data = read_form(admin.get(url))
    response = post(admin, url, data, "agregar-conditions", htmx=htmx)
    assert response.status_code == 200
    page = html(response)
    assert page.find(id="condicion-2") is not None
    assert page.find("button", id="agregar-conditions")["hx-post"] == url
    response = post(admin, url, data, "quitar-conditions-0", htmx=htmx)
    assert response.status_code == 200
    assert html(response).find(id="condicion-1") is None
    assert Program.get_by_id(program.id).eligibility == program.eligibility
    assert not ProgramVersion.select().where(ProgramVersion.program == program).exists()


def test_another_agencys_admin_gets_404_for_a_row_button(login, program):
    client = login(make_staff("admin_dependencia", make_agency()))
    url = f"/oficina/programas/{program.slug}/editor"
    response = client.post(url, data={"action": "agregar-conditions"}, headers=HTMX)
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["revisor", "supervisor", "secretaria"])
def test_other_roles_get_403_for_a_row_button(login, program, role):
    client = login(make_staff(role, program.agency if role != "secretaria" else None))
    for url in (NEW, f"/oficina/programas/{program.slug}/editor"):
        response = client.post(url, data={"action": "agregar-calls"}, headers=HTMX)
        assert response.status_code == 403


@pytest.mark.parametrize(
    "action", ["quitar-conditions-x", "agregar-secretos", "quitar-calls", "agregar-calls-1"]
)
def test_a_forged_row_button_is_no_row_change_and_saves_nothing(admin, action):  # noqa: F811
    response = post(admin, NEW, filled_new_program(admin), action, htmx=True)
    assert response.status_code == 200
    page = html(response)
    assert page.find("form", id="programa") is not None  # the whole page, nothing swapped
    assert page.select("[autofocus]") == []
    assert nothing_saved()


# Values typed by the field's kind: each bad one refused on its field --------------


@pytest.mark.parametrize(
    ("field", "op", "inputs", "bad_id", "message"),
    [
        ("age", "gte", {"value": "muchos"}, "value", "número entero"),
        ("age", "gte", {"value": "18.5"}, "value", "número entero"),
        ("household_size", "in", {"value": "2, tres"}, "value", "«tres»"),
        ("household_income_monthly", "lt", {"value": "poco"}, "value", "cantidad en pesos"),
        ("household_income_monthly", "lt", {"value": "-5"}, "value", "cantidad en pesos"),
        ("birth_date", "lt", {"value": "ayer"}, "value", "AAAA-MM-DD"),
        ("birth_date", "lt", {"value": "2026-02-30"}, "value", "AAAA-MM-DD"),
        ("children_ages", "any_lt", {"value": "seis"}, "value", "número entero"),
        ("age", "between", {"value": "18", "value_to": "mucho"}, "value_to", "número entero"),
        ("municipality", "eq", {"options": ["22001", "22014"]}, "options", "un solo valor"),
    ],
)
def test_a_value_not_of_its_fields_kind_is_refused_on_its_field(
    admin,  # noqa: F811
    field,
    op,
    inputs,
    bad_id,
    message,
):
    from tests.catalog.test_program_editor import field_error

    data = filled_new_program(admin)
    data.setlist("conditions-0-field", [field])
    data.setlist("conditions-0-op", [op])
    for name, value in inputs.items():
        data.setlist(f"conditions-0-{name}", value if isinstance(value, list) else [value])
    response = post(admin, NEW, data, "guardar", htmx=False)
    assert response.status_code == 422
    assert message in field_error(response, f"conditions-0-{bad_id}")
    assert html(response).find(class_="error-summary").find("a", href=f"#conditions-0-{bad_id}")
    assert nothing_saved()


def test_each_condition_has_its_plain_reason_beside_it(admin):  # noqa: F811
    data = filled_new_program(admin)
    data = read_form(press(admin, NEW, data, "agregar-conditions"))
    page = html(press(admin, NEW, data, "agregar-conditions"))
    for n in (1, 2, 3):
        row = page.find(id=f"condicion-{n}")
        reason = row.find("textarea", id=f"conditions-{n - 1}-reason")
        assert reason is not None
        assert "palabras sencillas" in row.find("label", attrs={"for": reason["id"]}).text


def test_removing_a_row_that_is_not_there_says_nothing_was_removed(admin):  # noqa: F811
    data = filled_new_program(admin)
    response = post(admin, NEW, data, "quitar-calls-7", htmx=True)
    assert response.status_code == 200
    page = html(response)
    assert len(page.select("#filas-calls fieldset.editor-row")) == 1
    assert page.find(id="editor-aviso").get_text() == ""
    assert nothing_saved()
