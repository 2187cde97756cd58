"""The one place that decides between a whole page and an htmx fragment.

A request gets a fragment when htmx made it, it is not boosted (a boosted
link wants the whole page) and it is not a history restore (htmx asks for the
whole page then too). Every response says ``Vary: HX-Request`` so no cache
hands a fragment to a plain page load or the other way round.
"""

from __future__ import annotations

from flask import render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, **context) -> str:
    """Render ``template``, or only its ``block`` for an htmx request."""
    if block and wants_fragment():
        return render_block(template, block, **context)
    return render_template(template, **context)


def add_vary(response):
    response.vary.add("HX-Request")
    return response
