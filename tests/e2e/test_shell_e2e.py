"""The shell in a real browser: accessible, usable without JavaScript, narrow screens."""

from __future__ import annotations

import pytest

from .conftest import assert_accessible


def test_home_is_accessible_and_htmx_loads(page, base_url):
    page.goto(base_url + "/")
    assert page.locator("h1").inner_text() == "Apoyos del gobierno del estado, en un solo lugar"
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("htmx.config.allowEval") is False
    assert_accessible(page)


def test_skip_link_moves_focus_to_content(page, base_url):
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#contenido"


def test_error_page_is_accessible(page, base_url):
    response = page.goto(base_url + "/no-existe")
    assert response.status == 404
    assert_accessible(page)


@pytest.mark.parametrize("width", [320, 412])
def test_readable_on_narrow_phones_without_horizontal_scroll(browser, base_url, width):
    context = browser.new_context(viewport={"width": width, "height": 740})
    page = context.new_page()
    page.goto(base_url + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    context.close()


def test_home_works_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/")
    page.get_by_role("link", name="View in English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()
