"""Planning in Chromium: an agency admin sets the budget (a bad figure first),
sees the quarter's physical-financial progress with its charts, downloads it,
and the public sees the budget progress on /estadisticas."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from portal.planning import budget as budgets
from portal.planning import goals as mir
from portal.rolls import federal_layout as layout
from portal.transparency import builds
from portal.web.extensions import db
from tests.factories import make_citizen, make_staff
from tests.planning.builders import AMOUNT, approve, deliver, monthly_program

from .conftest import assert_accessible, portal_of_its_own
from .test_delivery_e2e import signed_in

YEAR = dt.date.today().year
QUARTER = (dt.date.today().month - 1) // 3 + 1


@pytest.fixture(scope="module")
def planning_server(tmp_path_factory):
    with portal_of_its_own(tmp_path_factory.mktemp("planeacion-e2e")) as (app, address):
        db.connect(reuse_if_open=True)
        yield app, address


def test_an_agency_admin_sets_the_budget_and_reads_and_downloads_the_progress(
    browser, planning_server
):
    app, base_url = planning_server
    program = monthly_program(months=1, name="Tarjeta Contigo")
    admin = make_staff("admin_dependencia", program.agency)
    mir.set_goal(program, YEAR, 20, admin)
    mir.add_indicator(program, YEAR, admin, name="Cobertura", formula="cobertura",
                      frequency="trimestral", target=90)  # fmt: skip
    reviewer = make_staff("revisor", program.agency)
    for application in [approve(program, make_citizen(), reviewer) for _ in range(6)][:5]:
        deliver(application)

    page = signed_in(browser, base_url, admin).new_page()
    page.goto(f"/oficina/planeacion/{program.slug}/{YEAR}/presupuesto")
    page.fill("#aprobado", "-10")
    page.get_by_role("button", name="Guardar el presupuesto").click()
    expect(page.locator("#aprobado-error")).to_contain_text("no puede ser negativo")
    assert_accessible(page)
    page.fill("#aprobado", "1,000")  # below the 5,000 already spent
    page.get_by_role("button", name="Guardar el presupuesto").click()
    expect(page.locator("#aprobado-error")).to_contain_text("menor que lo ya ejercido")
    page.fill("#aprobado", "$20,000")
    page.get_by_role("button", name="Guardar el presupuesto").click()

    expect(page).to_have_url(f"{base_url}/oficina/planeacion/{program.slug}/{YEAR}")
    row = page.locator("#trimestres tbody tr").nth(QUARTER - 1)
    expect(row).to_contain_text("$5,000")
    expect(row).to_contain_text("25.0 %")  # 5 of 20 people, and 5,000 of 20,000 pesos
    expect(page.locator("figure.chart svg")).to_have_count(3)
    expect(page.locator("#indicadores")).to_contain_text("25.0 %")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar el avance (Excel)").click()
    assert download.value.suggested_filename == f"avance-{program.slug}-{YEAR}.xlsx"
    assert download.value.path().read_bytes()[:2] == b"PK"  # a zip: an XLSX workbook
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar el avance (CSV)").click()
    assert download.value.suggested_filename == f"avance-{program.slug}-{YEAR}.csv"
    assert "$5,000" in download.value.path().read_text(encoding="utf-8-sig") or (
        "5000" in download.value.path().read_text(encoding="utf-8-sig")
    )

    assert budgets.figures_of(program.id, YEAR).in_force == 20 * AMOUNT
    with app.app_context():  # the open-data build the queue would run
        assert builds.build(force=True) is not None
    public = browser.new_context(base_url=base_url).new_page()
    public.goto("/estadisticas")
    expect(public.locator("#tabla-presupuesto")).to_contain_text("Tarjeta Contigo")
    expect(public.locator("#tabla-presupuesto")).to_contain_text("$20,000")
    assert_accessible(public)


def test_the_state_admin_reads_the_state_wide_view_and_the_federal_roll_and_reviewers_the_calls(
    browser, planning_server
):
    """The other pages of issue 16 in Chromium, each axe-clean: the state-wide
    progress across agencies, the federal single roll (downloaded and validated
    against the documented layout) and each call's places and waiting list."""
    _, base_url = planning_server
    program = monthly_program(
        months=1, name="Apoyo Federal Contigo", federal_program_code="S001",
        federal_intra_program_code="01",
    )  # fmt: skip
    reviewer = make_staff("revisor", program.agency)
    deliver(approve(program, make_citizen(), reviewer))
    state = signed_in(browser, base_url, make_staff("admin_estatal"))
    page = state.new_page()
    page.goto(f"/oficina/planeacion?anio={YEAR}")
    expect(page.locator("main")).to_contain_text(program.agency.name)
    expect(page.locator("figure.chart svg").first).to_be_visible()
    assert_accessible(page)

    page.goto("/oficina/padron-federal")
    row = page.locator("tbody tr", has_text="Apoyo Federal Contigo")
    expect(row).to_contain_text("S001")
    assert_accessible(page)
    with page.expect_download() as download:
        row.get_by_role("link", name="Texto delimitado Apoyo Federal Contigo").click()
    with open(download.value.path(), encoding="utf-8", newline="") as fh:
        result = layout.validate(fh, "txt")
    assert result.valid, result.problems[:5]
    assert result.records >= 1
    state.close()

    desk = signed_in(browser, base_url, reviewer).new_page()
    desk.goto("/oficina/convocatorias")
    expect(desk.locator("tbody")).to_contain_text("Apoyo Federal Contigo")
    assert_accessible(desk)
