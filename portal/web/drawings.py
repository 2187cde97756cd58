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

KEPT_DRAWINGS = 4096  # per process and application; each a few hundred bytes to a few KB

_lock = threading.Lock()


def _drawings() -> OrderedDict[tuple, Any]:
    # Kept per application: its blueprints and settings are part of every
    # drawing (which links exist, the state's name), and tests make many.
    found = current_app.extensions.get("vu_kept_drawings")
    if found is None:
        found = current_app.extensions.setdefault("vu_kept_drawings", OrderedDict())
    return found


class Same:
    """A key part that is one object itself (a program of the compiled catalog in
    one language): equal only to the same object, which it keeps alive, so a
    freed object's address can never stand for a new one."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.obj is self.obj


def kept(draw: Any, *key: Any, args: tuple = ()) -> Any:
    """``draw(*args)`` (a Jinja macro), reused for the same ``key`` in the same
    languages; ``key`` holds everything the drawing reads from ``args``."""
    full = (draw.name, str(get_locale()), content_language(), *key)
    drawings = _drawings()
    with _lock:
        drawing = drawings.get(full)
        if drawing is not None:
            drawings.move_to_end(full)
            return drawing
    drawing = draw(*args)
    with _lock:
        drawings[full] = drawing
        if len(drawings) > KEPT_DRAWINGS:
            drawings.popitem(last=False)
    return drawing
