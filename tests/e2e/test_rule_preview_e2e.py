"""The live preview in the rule editor, in Chromium with and without JavaScript:
an agency admin changes a rule and sees how many people in the registry would
get the program, by municipality and against the published version, without
saving anything. axe finds no violations on the page with the preview."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from portal.models import Program, ProgramVersion
from portal.web.extensions import db
from tests.factories import make_agency, make_citizen, make_municipality, make_program, make_staff

from .conftest import assert_accessible, portal_of_its_own
from .test_delivery_e2e import signed_in


@pytest.fixture
def preview_server(tmp_path_factory):
    # One registry per run, so that the counts are this run's people only.
    with portal_of_its_own(tmp_path_factory.mktemp("preview-e2e")) as (app, address):
        db.connect(reuse_if_open=True)
        yield app, address


@pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
def test_an_agency_admin_previews_a_rule_change_against_the_registry(
    browser, preview_server, javascript
):
    _app, base_url = preview_server
    make_municipality()
    agency = make_agency()
    program = make_program(
        agency,
        population="Personas de 65 años o más.",
        eligibility=[{"field": "age", "op": "gte", "value": 65, "reason": "Tener 65 años o más"}],
    )
    for n, born in enumerate((dt.date(1950, 3, 1), dt.date(1962, 3, 1), dt.date(1995, 3, 1))):
        make_citizen(curp=f"PREE2E{n:04d}HQTRRR00", birth_date=born)
    admin = make_staff("admin_dependencia", agency)
    page = signed_in(browser, base_url, admin, javascript=javascript).new_page()

    page.goto(f"/oficina/programas/{program.slug}/editor")
    page.fill("#conditions-0-value", "60")
    page.get_by_role("button", name="Ver la vista previa en el registro").click()
    table = page.locator("#tabla-vista-previa")
    expect(table).to_be_visible()
    # Pueden, cambio, tal vez, cambio, no pueden, cambio.
    cells = [table.locator("tfoot td").nth(i) for i in range(6)]
    for cell, text in zip(cells, ["2", "+1", "0", "0", "1", "-1"], strict=True):
        expect(cell).to_have_text(text)
    # The form keeps what was typed, and nothing was saved.
    expect(page.locator("#conditions-0-value")).to_have_value("60")
    assert Program.get_by_id(program.id).eligibility[0]["value"] == 65
    assert ProgramVersion.select().where(ProgramVersion.program == program.id).count() == 0
    if javascript:
        assert_accessible(page)
        assert page.url.endswith(f"/oficina/programas/{program.slug}/editor")
    # On a 412-pixel phone the table scrolls in its own region; the page does not.
    page.set_viewport_size({"width": 412, "height": 823})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 412, width
