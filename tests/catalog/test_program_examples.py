"""Examples as tests: each program carries example people and the verdict they
must get; the catalog file carries them, the validator runs them and refuses
rules that judge one otherwise, and the guided editor shows their results on
every change and saves no version that breaks one."""

from __future__ import annotations

import copy
from datetime import date

import pytest
import yaml

from portal.catalog import editor
from portal.catalog.schema import CatalogError, parse_catalog, program_from_dict
from portal.catalog.store import load_catalog, program_for_engine
from portal.models import Program, ProgramVersion
from tests.catalog.test_catalog import BASE
from tests.catalog.test_program_editor import field_error, filled_new_program, press, read_form
from tests.factories import make_agency, make_municipality, make_staff
from tests.support.html import html

OLDER = {"name": "Señora de 70 años", "profile": {"birth_date": "1956-03-01"}, "verdict": "not_eligible", "on": "2026-06-01"}  # fmt: skip
YOUNG = {
    "name": "Joven de 30 años con ingreso bajo",
    "profile": {"birth_date": date(1996, 1, 1), "household_income_monthly": 4000, "household_size": 4},
    "verdict": "eligible",
    "on": date(2026, 6, 1),
}  # fmt: skip
UNKNOWN = {"name": "Sin fecha de nacimiento", "profile": {"birth_date": None}, "verdict": "maybe"}


def catalog_with(*examples) -> str:
    data = copy.deepcopy(BASE)
    data["programs"][0]["examples"] = list(examples)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_the_catalog_file_carries_examples_and_reads_them_back():
    program = parse_catalog(catalog_with(OLDER, YOUNG, UNKNOWN)).programs[0]
    assert [e.verdict for e in program.examples] == ["not_eligible", "eligible", "maybe"]
    assert program.examples[1].profile == {
        "birth_date": "1996-01-01",
        "household_income_monthly": 4000,
        "household_size": 4,
    }
    again = program_from_dict(program.to_dict(), agencies=[program.agency])
    assert again == program and again.examples == program.examples


def test_rules_that_judge_an_example_otherwise_are_refused_naming_it():
    wrong = {**YOUNG, "verdict": "not_eligible"}
    with pytest.raises(CatalogError) as refused:
        parse_catalog(catalog_with(OLDER, wrong))
    (problem,) = refused.value.problems
    assert problem.path == "examples[1].verdict"
    assert "Joven de 30 años" in problem.message and "puede recibirlo" in problem.message


@pytest.mark.parametrize(
    ("example", "path", "message"),
    [
        ({**OLDER, "verdict": "quizas"}, "examples[0].verdict", "veredicto desconocido"),
        ({**OLDER, "profile": {"birth_date": "1956-13-01"}}, "examples[0].profile.birth_date", "año-mes-día"),
        ({**OLDER, "profile": {"age": 70}}, "examples[0].profile.age", "se calcula"),
        ({**OLDER, "profile": "70 años"}, "examples[0].profile", "conjunto de respuestas"),
        ({**OLDER, "on": "mañana"}, "examples[0].on", "AAAA-MM-DD"),
        ({"name": "Sin veredicto", "profile": {}}, "examples[0].verdict", "falta"),
    ],
)  # fmt: skip
def test_a_bad_example_is_a_problem_on_its_field(example, path, message):
    with pytest.raises(CatalogError) as refused:
        parse_catalog(catalog_with(example))
    assert any(p.path == path and message in p.message for p in refused.value.problems), [
        (p.path, p.message) for p in refused.value.problems
    ]


def test_two_examples_with_one_name_are_refused():
    with pytest.raises(CatalogError) as refused:
        parse_catalog(catalog_with(OLDER, {**UNKNOWN, "name": OLDER["name"]}))
    assert refused.value.problems[0].path == "examples[1].name"


def test_loading_a_catalog_stores_the_examples(app):
    load_catalog(parse_catalog(catalog_with(OLDER, YOUNG)))
    stored = Program.get(Program.slug == "tarjeta-contigo")
    assert [e["name"] for e in stored.examples] == [OLDER["name"], YOUNG["name"]]
    assert (
        program_for_engine(stored).examples
        == parse_catalog(catalog_with(OLDER, YOUNG)).programs[0].examples
    )
    snapshot = ProgramVersion.get(ProgramVersion.program == stored).snapshot
    assert len(snapshot["examples"]) == 2


# In the guided editor --------------------------------------------------------------------

NEW = "/oficina/programas/nuevo"


@pytest.fixture
def admin(login):
    make_municipality()
    return login(make_staff("admin_dependencia", make_agency(slug="sedesoq")))


def with_example(client, data, **answers):
    data = read_form(press(client, NEW, data, "agregar-examples"))
    for key, value in answers.items():
        data.setlist(f"examples-0-{key}", [value])
    return data


def test_an_example_that_fails_stops_the_save_with_a_message_on_its_verdict(admin):
    data = with_example(
        admin,
        filled_new_program(admin),
        name="Señor de 40 años",
        verdict="eligible",
        on="2026-06-01",
        birth_date="1986-01-01",
    )
    response = press(admin, NEW, data)
    assert response.status_code == 422
    assert "no puede recibirlo" in field_error(response, "examples-0-verdict")
    assert Program.select().count() == 0 and ProgramVersion.select().count() == 0


def test_a_program_whose_examples_pass_is_saved_with_them(admin):
    data = with_example(
        admin,
        filled_new_program(admin),
        name="Señora de 70 años",
        verdict="eligible",
        on="2026-06-01",
        birth_date="1956-03-01",
        disability="no",
    )
    assert press(admin, NEW, data).status_code == 303
    (example,) = Program.get().examples
    assert ProgramVersion.get().snapshot["examples"] == [example]
    assert example == {
        "name": "Señora de 70 años",
        "profile": {"birth_date": "1956-03-01", "disability": False},
        "verdict": "eligible",
        "on": "2026-06-01",
    }
    page = admin.get("/oficina/programas/apoyo-mayores/editor")
    data = read_form(page)
    assert (data["examples-0-birth_date"], data["examples-0-disability"]) == ("1956-03-01", "no")
    row = html(page).find("table", id="tabla-ejemplos").find("tbody").find("tr")
    assert [td.get_text(strip=True) for td in row.find_all("td")] == [
        "Señora de 70 años",
        "puede recibirlo",
        "puede recibirlo",
        "Sí",
    ]


def test_trying_the_examples_shows_each_result_and_saves_nothing(admin):
    data = with_example(
        admin, filled_new_program(admin), name="Sin datos", verdict="eligible", on="2026-06-01"
    )
    response = press(admin, NEW, data, "actualizar")
    assert response.status_code == 200
    row = html(response).find("table", id="tabla-ejemplos").find("tbody").find("tr")
    assert [td.get_text(strip=True) for td in row.find_all("td")] == [
        "Sin datos",
        "puede recibirlo",
        "tal vez",
        "No",
    ]
    assert Program.select().count() == 0


def test_a_bad_answer_in_an_example_is_a_message_on_its_field(admin):
    data = with_example(
        admin, filled_new_program(admin), name="Mal", verdict="maybe", household_size="muchas"
    )
    response = press(admin, NEW, data)
    assert response.status_code == 422
    assert field_error(response, "examples-0-household_size")
    assert Program.select().count() == 0


def test_example_results_are_none_while_the_draft_does_not_validate():
    assert editor.example_results({"slug": "x"}, "sedesoq", date(2026, 6, 1)) is None
