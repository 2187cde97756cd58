"""Catalog files: the demo catalog loads, and every kind of mistake is reported
with the file, the program and the field."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date

import pytest
import yaml

from portal.catalog.schema import CatalogError, catalog_from_dict, parse_catalog, program_from_dict
from tests.catalog_builders import catalog_data, demo_catalog, program_data, rule

IN_STATE = ("in_state", "is_true", None)
REQUIRED_RULES = {
    "tarjeta-contigo": [IN_STATE, ("age", "between", (18, 64)), ("income_per_capita", "lt", 3000)],
    "apoyo-cuidado-infantil": [
        IN_STATE,
        ("children_ages", "any_lt", 4),
        ("employment", "in", ("empleo_formal", "empleo_informal", "estudiante")),
    ],
    "mujeres-emprendedoras": [IN_STATE, ("sex", "eq", "M"), ("age", "gte", 18)],
    "beca-universitaria": [IN_STATE, ("student_level", "eq", "licenciatura"), ("age", "lte", 29)],
    "adultos-mayores": [IN_STATE, ("age", "gte", 65)],
    "apoyo-discapacidad": [IN_STATE, ("disability", "is_true", None)],
}


def test_demo_catalog_has_at_least_10_programs_from_at_least_4_agencies():
    catalog = demo_catalog()
    assert len(catalog.programs) >= 10
    assert len({p.agency for p in catalog.programs}) >= 4


@pytest.mark.parametrize("slug", sorted(REQUIRED_RULES))
def test_demo_catalog_has_the_programs_the_issue_fixes_with_exactly_their_rules(slug):
    program = demo_catalog().program(slug)
    assert [(c.field, c.op, c.value) for c in program.eligibility] == REQUIRED_RULES[slug]


def test_tarjeta_contigo_and_childcare_exclude_each_other():
    catalog = demo_catalog()
    assert catalog.program("tarjeta-contigo").exclusion_group == "apoyo-familias"
    assert catalog.program("apoyo-cuidado-infantil").exclusion_group == "apoyo-familias"


@pytest.mark.parametrize("program", demo_catalog().programs, ids=lambda p: p.slug)
def test_every_demo_program_is_complete_and_for_people_of_queretaro(program):
    in_state = [c for c in program.eligibility if c.field == "in_state"]
    assert [(c.op, c.reason) for c in in_state] == [
        ("is_true", "Es para personas que viven en el estado de Querétaro.")
    ]
    assert program.requirements
    assert program.delivery_points
    assert all(p.municipality.startswith("22") for p in program.delivery_points)
    for day in (date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1), date(2027, 12, 31)):
        _, is_open = program.current_call(day)
        assert is_open, f"{program.slug} has no open call on {day}"
    assert all(call.quota is None or call.quota > 0 for call in program.calls)


def test_programs_survive_a_round_trip_through_json_for_the_admin_form():
    catalog = demo_catalog()
    agencies = {a.slug for a in catalog.agencies}
    for program in catalog.programs:
        data = json.loads(json.dumps(program.to_dict()))
        assert program_from_dict(data, agencies=agencies) == program
    assert catalog_from_dict(json.loads(json.dumps(catalog.to_dict()))) == catalog


def test_a_program_form_reports_errors_by_field_under_the_name_formulario():
    data = demo_catalog().program("adultos-mayores").to_dict()
    data["calls"][0]["quota"] = 0
    with pytest.raises(CatalogError) as error:
        program_from_dict(data, agencies={"sedesoq"})
    [problem] = error.value.problems
    assert (problem.source, problem.owner, problem.path) == (
        "formulario",
        'programa "adultos-mayores"',
        "calls[0].quota",
    )


# Mistakes, one at a time, on a valid catalog.

BASE = catalog_data(
    program_data(
        rule("age", "between", [18, 64], "De 18 a 64."),
        rule("income_per_capita", "lt", 3000, "Ingreso."),
        slug="tarjeta-contigo",
        name="Tarjeta Contigo",
        summary="Apoyo bimestral.",
        population="Personas de 18 a 64 años.",
        exclusion_group="apoyo-familias",
        benefit={"kind": "cash", "amount": 1500, "period": "bimestral"},
        requirements=[
            {"slug": "identificacion", "name": "Identificación", "formats": ["pdf", "jpg"]},
        ],
        calls=[{"opens": date(2026, 1, 15), "closes": date(2026, 12, 31), "quota": 5000}],
        delivery_points=[
            {
                "name": "Oficinas centrales",
                "address": "Av. Luis Pasteur Sur 10, Centro, Querétaro",
                "municipality": "22014",
                "lat": 20.59,
                "lon": -100.39,
                "hours": "Lunes a viernes de 9:00 a 15:00",
            }
        ],
    )
)


def with_change(change):
    data = copy.deepcopy(BASE)
    change(data, data["programs"][0])
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_the_base_catalog_is_valid():
    assert parse_catalog(with_change(lambda data, p: None)).programs[0].slug == "tarjeta-contigo"


def set_in(path, value):
    """A change that sets program[path...] = value, e.g. set_in(("calls", 0, "quota"), 0)."""

    def change(data, program):
        target = program
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def append_to(key, item):
    return lambda data, program: program[key].append(item)


def drop(key):
    return lambda data, program: program.pop(key)


PREFIX = 'catalogo.yaml: programa "tarjeta-contigo": '
MISTAKES = [
    # (id, change, expected message)
    ("unknown operator", set_in(("eligibility", 1, "op"), "lessthan"),
     PREFIX + 'eligibility[1].op: operador desconocido "lessthan"'),
    ("misspelt operator", set_in(("eligibility", 0, "op"), "betwen"),
     PREFIX + 'eligibility[0].op: operador desconocido "betwen" (¿quiso decir "between"?)'),
    ("unknown key", set_in(("calls", 0, "cupo"), 10),
     PREFIX + 'calls[0].cupo: clave desconocida "cupo"'),
    ("misspelt program key", set_in(("sumary",), "x"),
     PREFIX + 'sumary: clave desconocida "sumary" (¿quiso decir "summary"?)'),
    ("missing field", drop("summary"), PREFIX + "summary: falta este campo"),
    # These two raised TypeError and KeyError instead of naming the missing key.
    ("requirement without formats",
     lambda data, program: program["requirements"][0].pop("formats"),
     PREFIX + "requirements[0].formats: falta este campo"),
    ("delivery point without lat", lambda data, program: program["delivery_points"][0].pop("lat"),
     PREFIX + "delivery_points[0].lat: falta este campo"),
    ("empty name", set_in(("name",), "  "), PREFIX + "name: debe ser un texto no vacío"),
    ("bad program slug", set_in(("slug",), "Tarjeta_Contigo"),
     'catalogo.yaml: programa "Tarjeta_Contigo": slug: clave no válida "Tarjeta_Contigo"'),
    ("bad exclusion group", set_in(("exclusion_group",), "Apoyo Familias"),
     PREFIX + 'exclusion_group: clave no válida "Apoyo Familias"'),
    ("unknown agency", set_in(("agency",), "sedesoqq"),
     PREFIX + 'agency: dependencia desconocida "sedesoqq" (¿quiso decir "sedesoq"?)'),
    ("unknown field", set_in(("eligibility", 0, "field"), "edad"),
     PREFIX + 'eligibility[0].field: campo desconocido "edad"'),
    ("enrollment as a rule", set_in(("eligibility", 0), {"field": "enrolled", "op": "in",
                                                        "value": ["x"], "reason": "r"}),
     PREFIX + 'eligibility[0].field: "enrolled" no va en reglas'),
    ("operator not for the field", set_in(("eligibility", 0), {
        "field": "children_ages", "op": "lt", "value": 4, "reason": "r"}),
     PREFIX + 'eligibility[0].op: el operador "lt" no se usa con children_ages'),
    ("between with one value", set_in(("eligibility", 0, "value"), [18]),
     PREFIX + "eligibility[0].value: between necesita una lista [mínimo, máximo]"),
    ("between upside down", set_in(("eligibility", 0, "value"), [64, 18]),
     PREFIX + "eligibility[0].value: el mínimo (64) es mayor que el máximo (18)"),
    ("text where a number goes", set_in(("eligibility", 1, "value"), "3000"),
     PREFIX + 'eligibility[1].value: valor no válido "3000" para income_per_capita'),
    ("in without a list", set_in(("eligibility", 0), {
        "field": "employment", "op": "in", "value": "desempleo", "reason": "r"}),
     PREFIX + "eligibility[0].value: in necesita una lista de valores posibles de employment"),
    ("in with a value the field can't take", set_in(("eligibility", 0), {
        "field": "employment", "op": "in", "value": ["desempleo", "desempleado"], "reason": "r"}),
     PREFIX + 'eligibility[0].value[1]: valor no válido "desempleado" para employment'),
    ("sex outside H, M, X", set_in(("eligibility", 0), {
        "field": "sex", "op": "eq", "value": "F", "reason": "r"}),
     PREFIX + 'eligibility[0].value: valor no válido "F" para sex: use uno de H, M, X'),
    ("municipality as a number", set_in(("eligibility", 0), {
        "field": "municipality", "op": "eq", "value": 22014, "reason": "r"}),
     PREFIX + 'eligibility[0].value: valor no válido "22014" para municipality'),
    ("is_true with a value", set_in(("eligibility", 0), {
        "field": "disability", "op": "is_true", "value": True, "reason": "r"}),
     PREFIX + "eligibility[0].value: is_true no lleva value"),
    ("condition without value", set_in(("eligibility", 0), {
        "field": "age", "op": "gte", "reason": "r"}),
     PREFIX + "eligibility[0].value: falta este campo"),
    ("condition without reason", set_in(("eligibility", 0), {
        "field": "age", "op": "gte", "value": 18}),
     PREFIX + "eligibility[0].reason: falta este campo"),
    ("empty reason", set_in(("eligibility", 0, "reason"), ""),
     PREFIX + "eligibility[0].reason: debe ser un texto no vacío"),
    ("impossible date", set_in(("calls", 0, "opens"), "2026-13-01"),
     PREFIX + 'calls[0].opens: fecha no válida "2026-13-01": use AAAA-MM-DD'),
    ("call closing before it opens", set_in(("calls", 0, "closes"), date(2026, 1, 1)),
     PREFIX + "calls[0].closes: la convocatoria cierra antes de abrir"),
    ("overlapping calls", append_to("calls", {
        "opens": date(2026, 12, 1), "closes": date(2027, 6, 30), "quota": 10}),
     PREFIX + "calls[1]: se empalma con calls[0]"),
    ("zero quota", set_in(("calls", 0, "quota"), 0),
     PREFIX + 'calls[0].quota: debe ser un número entero mayor que cero, no "0"'),
    ("negative quota", set_in(("calls", 0, "quota"), -5),
     PREFIX + 'calls[0].quota: debe ser un número entero mayor que cero, no "-5"'),
    ("format outside pdf, jpg, png", set_in(("requirements", 0, "formats"), ["pdf", "docx"]),
     PREFIX + "requirements[0].formats: debe ser una lista sin repetir tomada de: pdf, jpg, png"),
    ("no formats", set_in(("requirements", 0, "formats"), []),
     PREFIX + "requirements[0].formats: debe ser una lista sin repetir"),
    ("requirement twice", append_to("requirements", {
        "slug": "identificacion", "name": "Otra", "formats": ["pdf"]}),
     PREFIX + 'requirements[1].slug: documento repetido "identificacion"'),
    ("municipality of 4 digits", set_in(("delivery_points", 0, "municipality"), "2214"),
     PREFIX + 'delivery_points[0].municipality: clave de municipio no válida "2214"'),
    ("municipality without quotes", set_in(("delivery_points", 0, "municipality"), 22014),
     PREFIX + 'delivery_points[0].municipality: clave de municipio no válida "22014"'),
    ("latitude off the globe", set_in(("delivery_points", 0, "lat"), 200),
     PREFIX + "delivery_points[0].lat: debe ser un número entre -90 y 90"),
    ("delivery point twice", lambda data, program: program["delivery_points"].append(
        dict(program["delivery_points"][0], address="Otra dirección")),
     PREFIX + 'delivery_points[1].name: punto de entrega repetido "Oficinas centrales"'),
    ("unknown benefit kind", set_in(("benefit", "kind"), "dinero"),
     PREFIX + 'benefit.kind: tipo desconocido "dinero"'),
    ("cash without amount", lambda data, program: program["benefit"].pop("amount"),
     PREFIX + "benefit.amount: falta este campo: un apoyo en dinero lo necesita"),
    ("in kind without description", set_in(("benefit",), {"kind": "in_kind"}),
     PREFIX + "benefit.description: falta este campo"),
    ("unknown period", set_in(("benefit", "period"), "quincenal"),
     PREFIX + 'benefit.period: periodo desconocido "quincenal"'),
    ("duplicate program", lambda data, program: data["programs"].append(copy.deepcopy(program)),
     PREFIX + "slug: clave repetida: otro programa ya la usa"),
    ("duplicate agency", lambda data, program: data["agencies"].append(
        {"slug": "sedesoq", "name": "Otra"}),
     'catalogo.yaml: dependencia "sedesoq": slug: clave repetida'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "expected"),
    [(change, expected) for _, change, expected in MISTAKES],
    ids=[name for name, _, _ in MISTAKES],
)
def test_each_mistake_is_reported_with_file_program_and_field(change, expected):
    with pytest.raises(CatalogError) as error:
        parse_catalog(with_change(change), source="catalogo.yaml")
    messages = error.value.messages
    assert any(message.startswith(expected) for message in messages), messages


def test_all_mistakes_are_reported_together():
    def three_mistakes(data, program):
        program["eligibility"][1]["op"] = "lessthan"
        program["calls"][0]["quota"] = 0
        program["agency"] = "nadie"

    with pytest.raises(CatalogError) as error:
        parse_catalog(with_change(three_mistakes), source="catalogo.yaml")
    assert [p.path for p in error.value.problems] == [
        "agency",
        "calls[0].quota",
        "eligibility[1].op",
    ]


def test_invalid_yaml_names_the_line():
    with pytest.raises(CatalogError) as error:
        parse_catalog("agencies: [\nprograms: []\n", source="catalogo.yaml")
    [message] = error.value.messages
    assert message.startswith("catalogo.yaml: línea ")
    assert "YAML inválido" in message


@pytest.mark.parametrize("date", ["2026-13-01", "2026-02-30", "2027-02-29"])
def test_an_impossible_date_is_a_problem_on_its_line_not_a_crash(date):
    # PyYAML raised a bare ValueError for these: `flask catalog load` crashed.
    with pytest.raises(CatalogError) as error:
        parse_catalog(f"agencies: []\nprograms:\n  - calls:\n      - opens: {date}\n", "c.yaml")
    [message] = error.value.messages
    assert message == f"c.yaml: línea 4: YAML inválido: la fecha «{date}» no existe"


def test_a_key_written_twice_is_reported_instead_of_silently_dropped():
    text = with_change(lambda data, program: None).replace(
        "  eligibility:", "  eligibility: []\n  eligibility:", 1
    )
    with pytest.raises(CatalogError) as error:
        parse_catalog(text, source="catalogo.yaml")
    assert any('clave repetida "eligibility"' in m for m in error.value.messages)


def test_a_catalog_that_is_not_a_mapping_is_refused():
    with pytest.raises(CatalogError) as error:
        parse_catalog("- solo una lista\n", source="catalogo.yaml")
    assert error.value.messages == ["catalogo.yaml: debe ser un conjunto de campos (clave: valor)"]


def test_dates_may_come_as_text_from_a_form():
    data = demo_catalog().program("adultos-mayores").to_dict()
    data["calls"] = [{"opens": "2026-02-01", "closes": "2026-03-01", "quota": "10"}]
    with pytest.raises(CatalogError) as error:
        program_from_dict(data, agencies={"sedesoq"})
    # The dates were read; only the quota, still text, is refused.
    assert [p.path for p in error.value.problems] == ["calls[0].quota"]


class CountedSlug(str):
    """A slug that counts how often it is compared."""

    comparisons = 0
    __hash__ = str.__hash__

    def __eq__(self, other):
        CountedSlug.comparisons += 1
        return str.__eq__(self, other)


def test_duplicate_slugs_in_a_large_catalog_are_refused_without_comparing_every_pair(
    monkeypatch,
):
    """Issue 21: each program's slug was compared with every earlier one (22 million
    comparisons for 6,700 programs). The same messages, in linear work."""
    from portal.catalog import schema

    real_program = schema._program

    def counted(*args, **kwargs):
        program = real_program(*args, **kwargs)
        return (
            None
            if program is None
            else dataclasses.replace(program, slug=CountedSlug(program.slug))
        )

    monkeypatch.setattr(schema, "_program", counted)
    monkeypatch.setattr(CountedSlug, "comparisons", 0)
    count = 600
    data = catalog_data(
        *(program_data(rule("age", "gte", 18), slug=f"p-{n}") for n in range(count))
    )
    data["programs"] += [program_data(slug="p-0"), program_data(slug=f"p-{count - 1}")]
    data["agencies"].append(dict(data["agencies"][0], name="Otra"))

    with pytest.raises(CatalogError) as error:
        catalog_from_dict(data, source="catalogo.yaml")
    assert error.value.messages == [
        'catalogo.yaml: dependencia "sedesoq": slug: clave repetida: otra dependencia ya la usa',
        'catalogo.yaml: programa "p-0": slug: clave repetida: otro programa ya la usa',
        f'catalogo.yaml: programa "p-{count - 1}": slug: clave repetida: otro programa ya la usa',
    ]
    # Pairwise checking compares about count**2 / 2 = 180,000 times.
    assert CountedSlug.comparisons <= 10 * count
