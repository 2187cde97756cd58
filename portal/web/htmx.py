"""The one place that decides between a whole page and an htmx fragment.

htmx-flask (``htmx_ext``, bound in create_app) reads the HX-* request headers
into ``request.htmx``. A request gets a fragment when htmx made it, it is not
boosted (a boosted link wants the whole page) and it is not a history restore
(htmx asks for the whole page then too). Every response says
``Vary: HX-Request`` so no cache hands a fragment to a plain page load or the
other way round. Responses that steer htmx (push a URL, redirect, refresh) are
built with htmx-flask's ``make_response``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from htmx_flask import make_response, request
from jinja2_fragments.flask import render_block, render_blocks

__all__ = ["add_vary", "make_response", "render", "wants_fragment"]


def wants_fragment() -> bool:
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(
    template: str, block: str | None = None, *, also: tuple[str, ...] = (), **context: Any
) -> str:
    """Render ``template``, or only its ``block`` for an htmx request; ``also``
    names more blocks sent with it (out-of-band swaps, e.g. an announcement)."""
    if block and wants_fragment():
        if also:
            return render_blocks(template, [block, *also], **context)
        return render_block(template, block, **context)
    return render_template(template, **context)


def add_vary(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response
