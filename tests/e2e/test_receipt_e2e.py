"""The receipt in Chromium: printed, the site's navigation disappears; the 80 mm
slip fits a 302 px (80 mm) window; axe finds nothing on either."""

from __future__ import annotations

import re

import pytest

from portal.web.extensions import db
from tests.application_builders import submitted
from tests.conftest import sign_in_as
from tests.factories import make_citizen, make_program

from .conftest import assert_accessible, portal_of_its_own


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with portal_of_its_own(tmp_path_factory.mktemp("receipt-e2e")) as served:
        yield served


@pytest.fixture
def receipt(browser, portal):
    """A signed-in browser page and the folio of the person's submitted application."""
    app, base = portal
    with app.app_context():
        db.connect(reuse_if_open=True)
        citizen = make_citizen(notify_channel="email", email="persona.recibo@example.org")
        application = submitted(
            citizen, make_program(name="Apoyo de prueba", requirements=("identificacion",))
        )
        folio = application.folio
        client = app.test_client()
        sign_in_as(client, citizen)
        db.close()
    context = browser.new_context()
    context.add_cookies(
        [{"name": "vu_sesion", "value": client.get_cookie("vu_sesion").value, "url": base}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page, base, folio
    context.close()


def test_the_printed_receipt_hides_the_site_and_keeps_the_folio(receipt):
    page, base, folio = receipt
    page.goto(f"{base}/mis-solicitudes/{folio}/comprobante")
    assert page.locator(".receipt .folio").inner_text() == folio
    assert page.locator("nav.main-nav").is_visible()
    assert_accessible(page)
    page.emulate_media(media="print")
    assert not page.locator("nav.main-nav").is_visible()
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".receipt-actions").is_visible()
    assert page.locator(".receipt .folio").is_visible()
    assert page.locator(".sent-documents li").inner_text().startswith("Identificacion")


def test_the_80mm_slip_fits_its_paper(receipt):
    page, base, folio = receipt
    page.set_viewport_size({"width": 302, "height": 800})
    page.goto(f"{base}/mis-solicitudes/{folio}/comprobante")
    page.get_by_role("link", name="Imprimir comprobante (80 mm)").click()
    page.wait_for_url("**/comprobante/80mm")
    assert page.locator(".receipt .folio").inner_text() == folio
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) <= 0
    assert_accessible(page)
    page.emulate_media(media="print")
    assert page.evaluate(overflow) <= 0
    assert not page.locator(".print-bar").is_visible()


def test_the_80mm_slip_prints_on_80mm_paper_in_one_piece(receipt):
    page, base, folio = receipt
    page.goto(f"{base}/mis-solicitudes/{folio}/comprobante/80mm")
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(boxes) == 1, boxes  # one page: the roll is cut once
    width_mm = float(boxes[0][0]) / 72 * 25.4
    assert abs(width_mm - 80) < 1, width_mm
