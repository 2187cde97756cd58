"""Parts of the page layout drawn once per process and reused.

The layout around every page (the menu, the footer's language switch, the
session dialog of a signed-in person) is the same for everyone who sees it
in the same language with the same menu on the same page; drawing those parts
through Jinja on every request was about a third of a questionnaire page's
CPU. A template draws such a part with ``kept(macro, *key)``: the macro's
drawing is kept under its name, the interface and content languages and
``key``, which must hold everything else the drawing depends on. Nothing
personal, and nothing that changes from one request to the next (a CSRF
token, a name, a flash message), may be drawn this way.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import current_app
from flask_babel import get_locale

from portal.web.i18n import content_language

KEPT_DRAWINGS = 1024  # per process and application; each a few hundred bytes to a few KB

_lock = threading.Lock()


def _drawings() -> OrderedDict[tuple, Any]:
    # Kept per application: its blueprints and settings are part of every
    # drawing (which links exist, the state's name), and tests make many.
    found = current_app.extensions.get("vu_kept_drawings")
    if found is None:
        found = current_app.extensions.setdefault("vu_kept_drawings", OrderedDict())
    return found


def kept(draw: Any, *key: Any) -> Any:
    """``draw()`` (a Jinja macro), reused for the same ``key`` in the same languages."""
    full = (draw.name, str(get_locale()), content_language(), *key)
    drawings = _drawings()
    with _lock:
        drawing = drawings.get(full)
        if drawing is not None:
            drawings.move_to_end(full)
            return drawing
    drawing = draw()
    with _lock:
        drawings[full] = drawing
        if len(drawings) > KEPT_DRAWINGS:
            drawings.popitem(last=False)
    return drawing
