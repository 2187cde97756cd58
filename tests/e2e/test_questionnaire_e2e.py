"""The questionnaire and the catalog in Chromium, with and without JavaScript."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import assert_accessible
from tests.eligibility.test_questionnaire_views import ANSWERS


def _answer(page, field: str) -> None:
    value = ANSWERS[field]
    control = page.locator("[name=answer]").first
    kind = control.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if kind == "input:radio":
        page.check(f"input[name=answer][value='{value}']")
    elif kind.startswith("select"):
        page.select_option("select[name=answer]", value)
    else:
        page.fill("input[name=answer]", value)


def _journey(page, base_url: str, *, javascript: bool) -> int:
    # axe is JavaScript: it runs on the journey with JavaScript, whose pages are
    # the same server-rendered HTML the journey without it gets.
    check = assert_accessible if javascript else (lambda page: None)
    page.goto(f"{base_url}/cuestionario")
    check(page)
    page.get_by_role("link", name="Comenzar").click()
    asked = 0
    while "/pregunta/" in page.url:
        field = page.url.rsplit("/", 1)[1]
        check(page)
        _answer(page, field)
        before = page.url
        if javascript:
            # htmx swaps the panel and pushes the new address; the page itself stays.
            page.evaluate("window.__same_page = true")
        page.get_by_role("button", name="Continuar").click()
        page.wait_for_url(lambda url, before=before: url != before)
        page.wait_for_selector("#panel")
        if javascript:
            assert page.evaluate("window.__same_page === true")
        asked += 1
        assert asked <= 11
    assert page.url.endswith("/cuestionario/revisar")
    check(page)
    page.get_by_role("link", name="Ver mis resultados").click()
    assert page.locator("h2#puede").count() == 1
    assert page.get_by_role("link", name="Mujeres Emprendedoras", exact=True).count() == 1
    check(page)
    return asked


def test_questionnaire_with_javascript(page, base_url):
    assert _journey(page, base_url, javascript=True) <= 10


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_questionnaire_without_javascript(no_js_page, base_url):
    assert _journey(no_js_page, base_url, javascript=False) <= 10


def test_a_wrong_answer_is_explained_in_place(page, base_url):
    page.goto(f"{base_url}/cuestionario/pregunta/household_size")
    page.evaluate("window.__same_page = true")
    page.fill("input[name=answer]", "muchos")
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_selector(".error-summary")
    assert page.evaluate("window.__same_page === true")
    assert "Escriba un número entero" in page.locator(".error-summary").inner_text()
    assert_accessible(page)


def test_catalog_search_and_program_page(page, base_url):
    page.goto(f"{base_url}/programas")
    assert_accessible(page)
    page.fill("#q", "beca")
    page.wait_for_function("() => document.querySelectorAll('.program-card').length === 2")
    assert_accessible(page)
    page.get_by_role("link", name="Beca Universitaria").click()
    page.wait_for_url("**/programas/beca-universitaria")
    assert page.get_by_role("heading", name="Beca Universitaria", level=1).count() == 1
    assert_accessible(page)
    # The filters search as they change, without a new page.
    page.goto(f"{base_url}/programas")
    page.evaluate("window.__same_page = true")
    page.select_option("#dependencia", index=1)
    page.wait_for_url(re.compile(r"dependencia=\w"))
    page.check("#abiertas")
    page.wait_for_url("**abiertas=1*")
    assert page.evaluate("window.__same_page === true")
