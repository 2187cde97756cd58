"""Reading pages in tests: the one place that parses HTML.

Tests read the page, not the bytes: :func:`html` takes a Flask test response, a
``requests`` response or a string and gives a BeautifulSoup tree.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup


def html(response: Any) -> BeautifulSoup:
    """Parse a response body (Flask's or requests') or a string as HTML."""
    if isinstance(response, str):
        text = response
    elif hasattr(response, "get_data"):
        text = response.get_data(as_text=True)
    else:
        text = response.text
    return BeautifulSoup(text, "html.parser")


def hidden_fields(form: Any) -> dict[str, str]:
    """The hidden inputs of a parsed ``<form>``, as a form would post them."""
    return {
        field["name"]: field.get("value", "")
        for field in form.find_all("input", type="hidden")
        if field.get("name")
    }


def page_text(soup: Any) -> str:
    """What a person reads on the page (or element): its text, spaces collapsed."""
    return soup.get_text(" ", strip=True)
