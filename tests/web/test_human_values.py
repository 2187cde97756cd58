"""Issue 15, item 1: a label for every stored value.

A person with a rich profile (booleans, a list of ages, money, a municipality
code, sex M, "No sé" answers) is shown on every page that lists what the portal
holds about them, to themselves and to staff, and in the CSV download. No page
says an internal key (``household_income_monthly``), a Python literal (``True``,
``None``, ``[2, 6]``) or a bare INEGI code; each says the human form.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from portal.eligibility.profile import FIELDS
from portal.rolls import duplicates
from tests.application_builders import submitted
from tests.backoffice.test_oficina_assisted import check_id
from tests.factories import make_agency, make_citizen, make_municipality, make_program, make_staff
from tests.support.html import html

MUNICIPALITY = ("22016", "San Juan del Río")
PROFILE = {
    "birth_date": "1990-05-17",
    "sex": "M",
    "municipality": MUNICIPALITY[0],
    "household_size": 4,
    "household_income_monthly": 8000,
    "children_ages": [2, 6],
    "employment": "hogar",
    "student_level": "ninguno",
    "disability": False,
    "pregnant": True,
    "indigenous": None,
}
# What the person reads for those answers.
HUMAN = (
    "Mujer",
    "$8,000",
    "2 y 6 años",
    MUNICIPALITY[1],
    "Me dedico al hogar",
    "No sé",
    "Ingreso mensual del hogar",
)
# A FIELDS key that is not also a plain word of its Spanish label.
KEYS = sorted(name for name, spec in FIELDS.items() if name != spec.label)
LITERALS = re.compile(r"\b(True|False|None)\b|\[\s*\d")
KEY_WORDS = re.compile(r"\b(" + "|".join(KEYS) + r")\b")


def assert_human(text: str, where: str, *, expected: tuple[str, ...] = ()) -> None:
    assert not KEY_WORDS.search(text), (where, KEY_WORDS.search(text))
    literal = LITERALS.search(text)
    assert not literal, (where, text[max(0, literal.start() - 80) : literal.end() + 80])
    assert not re.search(rf"\b{MUNICIPALITY[0]}\b", text), where
    assert not re.search(r"Sexo\W*M\b", text), where
    for human in expected:
        assert human in text, (where, human)


@pytest.fixture
def person(app):
    make_municipality("22014", "Querétaro")
    municipality = make_municipality(*MUNICIPALITY)
    agency = make_agency(slug="sedesoq")
    program = make_program(agency, requirements=("identificacion",))
    other = make_program(agency, requirements=("identificacion",))
    citizen = make_citizen(
        municipality=municipality, profile=PROFILE, phone="4421234567", notify_channel="sms"
    )
    application = submitted(citizen, program)
    return citizen, program, other, application


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return html(response).get_text(" ", strip=True)


def test_the_person_reads_labels_on_every_page_and_in_the_csv(person, login):
    citizen, _program, other, application = person
    client = login(citizen)
    assert_human(text_of(client.get("/mis-datos")), "mis datos", expected=HUMAN)
    assert_human(
        text_of(client.get(f"/programas/{other.slug}/solicitar")),
        "apply",
        expected=("$8,000", "2 y 6 años", "Me dedico al hogar", "No sé"),
    )
    assert_human(text_of(client.get(f"/mis-solicitudes/{application.folio}")), "detail")

    download = client.get("/mis-datos/descargar.csv")
    assert download.status_code == 200
    text = download.get_data(as_text=True)
    assert_human(text, "csv", expected=(*HUMAN, "mensaje de texto"))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Sección", "Elemento", "Dato", "Valor"]
    assert ["Respuestas del cuestionario", "", "Edades de hijas e hijos", "2 y 6 años"] in rows
    assert ["Expediente", "", "Sexo", "Mujer"] in rows
    assert ["Expediente", "", "Municipio", MUNICIPALITY[1]] in rows


def test_the_json_download_keeps_the_machine_keys(person, login):
    citizen, *_ = person
    data = login(citizen).get("/mis-datos/descargar.json").get_json()
    assert data["questionnaire"]["household_income_monthly"] == 8000
    assert data["questionnaire"]["children_ages"] == [2, 6]
    assert data["record"]["sex"] == "M"


def test_the_reviewer_reads_the_answers_by_their_labels(person, login):
    citizen, program, _other, application = person
    client = login(make_staff("revisor", program.agency))
    text = text_of(client.get(f"/oficina/solicitudes/{application.folio}"))
    assert_human(text, "case", expected=HUMAN)
    assert "Embarazo Sí" in text and "Discapacidad No" in text


def test_the_counter_reads_the_person_without_codes(person, login):
    citizen, program, *_ = person
    client = login(make_staff("revisor", program.agency))
    check_id(client, citizen)
    assert_human(text_of(client.get("/oficina/ventanilla/persona")), "counter person")


def test_the_duplicates_comparison_names_sex_and_municipality(person, login):
    citizen, *_ = person
    twin = make_citizen(given_names="Maria", municipality=citizen.municipality, profile=PROFILE)
    pairs = [p for p in duplicates.find_candidates() if {p.a, p.b} == {citizen.id, twin.id}]
    assert duplicates.store_candidates(pairs) == 1
    text = text_of(login(make_staff("admin_estatal")).get("/oficina/duplicados"))
    assert_human(text, "duplicates", expected=("Mujer", MUNICIPALITY[1], "Querétaro"))
