"""Public statistics and open data: every row names its agency, small counts
are suppressed the one way, and the published roll never names a minor."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from portal.transparency import public as transparency
from tests.factories import (
    make_agency,
    make_citizen,
    make_enrollment,
    make_program,
    make_staff,
)
from tests.support.html import html

AGENCY = "Secretaría de Desarrollo Social"


@pytest.fixture
def program(app):
    return make_program(make_agency(name=AGENCY), slug="contigo", name="Tarjeta Contigo")


def beneficiaries(program, n, **citizen):
    for _ in range(n):
        make_enrollment(make_citizen(**citizen), program)


def csv_rows(client, url) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv", url
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def chart_rows(page, dimension) -> dict[str, str]:
    table = page.find(id=f"g-{dimension}-caption").parent.find("table")
    return {tr.th.text: tr.td.text for tr in table.tbody.find_all("tr")}


def born_years_ago(years: int, today: dt.date | None = None) -> dt.date:
    """A birth date: ``years`` old today."""
    today = today or dt.date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return dt.date(today.year - years, 3, 1)


def test_statistics_page_names_the_agency_of_every_beneficiary(client, program):
    beneficiaries(program, 6)
    page = html(client.get("/estadisticas"))
    assert chart_rows(page, "dependencia") == {AGENCY: "6"}
    assert "None" not in page.find(id="g-dependencia-caption").parent.get_text()


@pytest.mark.parametrize(
    "url",
    [
        "/datos-abiertos/programas.csv",
        "/datos-abiertos/beneficiarios.csv",
        "/datos-abiertos/padron/contigo.csv",
        "/estadisticas/dependencia.csv",
    ],
)
def test_every_open_data_csv_names_the_agency(client, program, url):
    beneficiaries(program, 6)
    rows = csv_rows(client, url)
    assert rows and all(row["dependencia"] == AGENCY for row in rows)


def test_open_data_json_names_the_agency(client, program):
    beneficiaries(program, 6)
    for url in ("/datos-abiertos/programas.json", "/datos-abiertos/beneficiarios.json",
                "/datos-abiertos/padron/contigo.json"):  # fmt: skip
        rows = json.loads(client.get(url).get_data())
        assert rows and all(row["dependencia"] == AGENCY for row in rows), url


def test_published_roll_never_names_a_minor(client, program):
    make_enrollment(make_citizen(given_names="Ana", first_surname="Ruiz"), program)
    child = make_citizen(
        given_names="Luz", first_surname="Vega", birth_date=born_years_ago(10), sex="M"
    )
    make_enrollment(child, program)
    rows = csv_rows(client, "/datos-abiertos/padron/contigo.csv")
    body = client.get("/datos-abiertos/padron/contigo.csv").get_data(as_text=True)
    assert "Luz" not in body and "Vega" not in body
    minor = next(r for r in rows if r["grupo_edad"] == "0 a 17")
    assert minor["nombre"] == transparency.MINOR_NAME
    assert minor["programa"] == "Tarjeta Contigo" and minor["dependencia"] == AGENCY
    assert minor["municipio"] == "Querétaro" and minor["sexo"] == "Mujeres"
    adult = next(r for r in rows if r["grupo_edad"] != "0 a 17")
    assert adult["nombre"] == "Ana Ruiz Ruiz"


def test_a_person_still_17_today_is_not_named_even_in_the_year_they_turn_18(client, program):
    # Age groups count the age reached this year; the name follows the age today.
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    almost = make_citizen(given_names="Paz", birth_date=born_years_ago(18, tomorrow))
    make_enrollment(almost, program)
    rows = json.loads(client.get("/datos-abiertos/padron/contigo.json").get_data())
    assert [r["nombre"] for r in rows] == [transparency.MINOR_NAME]


def test_data_dictionary_says_minors_are_published_without_their_name(client, program):
    text = html(client.get("/datos-abiertos/diccionario")).get_text()
    assert "no da el nombre de las personas menores de 18 años" in text
    assert f"«{transparency.MINOR_NAME}»" in text


@pytest.mark.parametrize("count", [1, 4, 5, 6])
def test_every_public_table_shows_a_small_count_the_same_way(client, program, count):
    beneficiaries(program, count)
    shown = str(transparency.suppress(count))
    page = html(client.get("/estadisticas"))
    assert chart_rows(page, "programa") == {"Tarjeta Contigo": shown}
    assert chart_rows(page, "dependencia") == {AGENCY: shown}
    coverage = page.find("th", string="Tarjeta Contigo", scope="row").parent.find_all("td")
    assert coverage[0].text == shown
    assert csv_rows(client, "/estadisticas/programa.csv")[0]["beneficiarios"] == shown


def test_bars_of_small_counts_are_drawn_the_same_length(client, app):
    agency = make_agency(name=AGENCY)
    one, four = make_program(agency, name="Uno"), make_program(agency, name="Cuatro")
    beneficiaries(one, 1)
    beneficiaries(four, 4)
    svg = html(client.get("/estadisticas")).find(id="g-programa-caption").parent.find("svg")
    assert len({rect["width"] for rect in svg.find_all("rect")}) == 1


def test_coverage_of_a_program_nobody_receives_yet_is_zero_percent(client, program):
    page = html(client.get("/estadisticas"))
    coverage = page.find("th", string="Tarjeta Contigo", scope="row").parent.find_all("td")
    assert coverage[0].text == "0" and coverage[2].text == "0.0 %"


def test_office_statistics_show_small_counts_as_they_are(login, program):
    beneficiaries(program, 3)
    page = html(login(make_staff("admin_dependencia", program.agency)).get("/oficina/estadisticas"))
    assert chart_rows(page, "programa") == {"Tarjeta Contigo": "3"}
