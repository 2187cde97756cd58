"""The physical-financial progress report (issue 16, item 8): the back-office
page with its charts and tables, its CSV and XLSX downloads, the state-wide
view across agencies, and the public budget progress on /estadisticas."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from openpyxl import load_workbook

from portal.planning import budget as budgets
from portal.planning import goals as mir
from portal.transparency.tasks import rebuild_open_data
from tests.factories import make_agency, make_citizen, make_staff
from tests.planning.builders import AMOUNT, approve, counted_queries, deliver, monthly_program
from tests.support.html import html, page_text

YEAR = dt.date.today().year
QUARTER = (dt.date.today().month - 1) // 3 + 1
REGISTRY = re.compile(r'\b"?(citizen|enrollment|application|delivery)"?\b')


def _planned(agency=None, people=2, delivered=1, **overrides):
    program = monthly_program(agency, months=1, **overrides)
    admin = make_staff("admin_dependencia", program.agency)
    budgets.set_budget(program, YEAR, 10 * AMOUNT, None, admin)
    mir.set_goal(program, YEAR, 10, admin)
    mir.add_indicator(program, YEAR, admin, name="Cobertura", formula="cobertura",
                      frequency="trimestral", target=90)  # fmt: skip
    reviewer = make_staff("revisor", program.agency)
    approved = [approve(program, make_citizen(), reviewer) for _ in range(people)]
    for application in approved[:delivered]:
        deliver(application)
    return program, admin


def _report_url(program):
    return f"/oficina/planeacion/{program.slug}/{YEAR}"


def test_the_agency_admin_sees_the_quarters_progress_with_charts_and_tables(app, login):
    program, admin = _planned()
    page = html(login(admin).get(_report_url(program) + f"?trimestre={QUARTER}"))
    row = page.select("#trimestres tbody tr")[QUARTER - 1]
    cells = [td.get_text(strip=True) for td in row.select("td")]
    assert cells[:4] == ["1", "10", "10.0 %", "$1,000"]
    assert cells[5] == "10.0 %"  # financial: 1,000 of 10,000
    assert row.get("aria-current") == "true"
    assert page.select_one("#g-fisico-caption") is not None
    assert len(page.select("figure.chart svg")) == 3
    indicator = page.select_one("#indicadores tbody tr")
    assert "10.0 %" in page_text(indicator)  # coverage: 1 of 10
    figures = page_text(page.select_one("#cifras"))
    assert "$10,000" in figures and "$1,000" in figures


def test_the_report_reads_the_same_few_rows_whatever_the_number_of_people(app, login):
    program, admin = _planned(people=1)
    client = login(admin)
    client.get(_report_url(program))
    with counted_queries() as small:
        assert client.get(_report_url(program)).status_code == 200
    reviewer = make_staff("revisor", program.agency)
    for _ in range(12):
        deliver(approve(program, make_citizen(), reviewer))
    with counted_queries() as large:
        assert client.get(_report_url(program)).status_code == 200
    assert len(large) == len(small)
    assert not [sql for sql in large if REGISTRY.search(sql)]


def test_the_report_downloads_as_csv_and_xlsx(app, login):
    program, admin = _planned()
    client = login(admin)
    response = client.get(_report_url(program) + "/avance.csv")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["programa", "anio", "trimestre", "personas_atendidas"]
    assert rows[0][-1] == "indicador: Cobertura"
    mine = [r for r in rows[1:] if r[2] == str(QUARTER)][0]
    assert mine[3] == "1" and mine[6] == "1000" and mine[-1] == "10.0"
    response = client.get(_report_url(program) + "/avance.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("programa", "anio", "trimestre")
    mine = [r for r in values[1:] if r[2] == QUARTER][0]
    assert (mine[3], mine[6]) == (1, 1000)


def test_a_name_that_looks_like_a_formula_is_text_in_both_downloads(app, login):
    program, admin = _planned(name='=HYPERLINK("http://x")')
    client = login(admin)
    rows = list(
        csv.reader(
            io.StringIO(client.get(_report_url(program) + "/avance.csv").get_data(as_text=True))
        )
    )
    assert rows[1][0].startswith("'=")
    sheet = load_workbook(io.BytesIO(client.get(_report_url(program) + "/avance.xlsx").data)).active
    assert sheet.cell(row=2, column=1).value.startswith("'=")
    assert sheet.cell(row=2, column=1).data_type == "s"


def test_the_state_admin_sees_every_agency_and_the_agency_admin_only_theirs(app, login):
    home, _ = _planned(make_agency(name="Bienestar"))
    other, _ = _planned(make_agency(name="Educación"), people=1, delivered=1)
    state = login(make_staff("admin_estatal"))
    page = html(state.get(f"/oficina/planeacion?anio={YEAR}"))
    text = page_text(page)
    assert home.name in text and other.name in text
    assert "$2,000" in page_text(page.select_one("#total-estatal"))  # spent: 1,000 + 1,000
    assert page.select_one("#g-ejercido-dependencia-caption") is not None
    summary = state.get(f"/oficina/planeacion/resumen.csv?anio={YEAR}").get_data(as_text=True)
    assert home.name in summary and other.name in summary
    admin = make_staff("admin_dependencia", home.agency)
    client = login(admin)
    text = page_text(html(client.get("/oficina/planeacion")))
    assert home.name in text and other.name not in text
    assert client.get(_report_url(other)).status_code == 404
    assert client.get(_report_url(other) + "/avance.csv").status_code == 404


def test_an_agency_admins_summary_downloads_hold_only_their_agency(app, login):
    home, admin = _planned(make_agency(name="Bienestar"))
    other, _ = _planned(make_agency(name="Educación"), people=1, delivered=1)
    client = login(admin)
    rows = list(csv.reader(io.StringIO(
        client.get(f"/oficina/planeacion/resumen.csv?anio={YEAR}").get_data(as_text=True)
    )))  # fmt: skip
    assert [r[1] for r in rows[1:]] == [home.name]
    sheet = load_workbook(
        io.BytesIO(client.get(f"/oficina/planeacion/resumen.xlsx?anio={YEAR}").data)
    ).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [home.name] and other.name not in names
    assert client.get(_report_url(other) + "/avance.xlsx").status_code == 404


def test_other_staff_may_not_open_planning(app, login):
    program, _ = _planned(people=0)
    for role in ("revisor", "entrega", "supervisor"):
        response = login(make_staff(role, program.agency)).get("/oficina/planeacion")
        assert response.status_code == 403, role


def test_estadisticas_shows_budget_progress_from_the_open_data_build(app, client):
    program, _ = _planned(people=6, delivered=5)
    small, _ = _planned(people=2, delivered=2)
    rebuild_open_data()
    table = html(client.get("/estadisticas")).select_one("#tabla-presupuesto")
    assert table is not None
    rows = {tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
            for tr in table.select("tbody tr")}  # fmt: skip
    assert rows[program.name][1:5] == ["$10,000", "$5,000", "50.0 %", "5"]
    # Two people: neither their count nor the money that would give it away.
    assert rows[small.name][2:5] == ["—", "—", "<5"]


def test_a_budget_change_reaches_estadisticas_with_the_next_build(app, client):
    program, admin = _planned(people=5, delivered=5)
    rebuild_open_data()
    budgets.set_budget(program, YEAR, 10 * AMOUNT, 20 * AMOUNT, admin)
    rebuild_open_data()
    table = html(client.get("/estadisticas")).select_one("#tabla-presupuesto")
    assert "$20,000" in page_text(table)
