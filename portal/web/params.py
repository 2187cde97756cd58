"""Numbers from query strings and forms, bounded before they reach a query.

``int("9" * 20)`` is a valid Python int, but SQLite refuses it ("Python int
too large to convert to SQLite INTEGER") and PostgreSQL overflows a bigint:
a page number or an id from the URL must be range-checked first, here.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# The largest id or page number any table can hold (a signed 32-bit integer):
# anything beyond names nothing that exists.
MAX_INT = 2**31 - 1


def bounded_int(value: object, default: int, low: int = 1, high: int = MAX_INT) -> int:
    """``value`` as an int within [low, high]; ``default`` when it is not a
    plain decimal number; clamped to the bounds when it is out of range."""
    if not isinstance(value, str):
        return default
    text = value.strip()
    if (
        not text
        or len(text) > 20
        or not text.lstrip("-").isascii()
        or not text.lstrip("-").isdigit()
    ):
        return default
    return min(max(int(text), low), high)


def optional_id(value: object) -> int | None:
    """A positive database id from a form or query string, or None."""
    number = bounded_int(value, 0, low=0, high=MAX_INT + 1)
    return number if 0 < number <= MAX_INT else None


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in routes, refusing (404) numbers no table can hold."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)
