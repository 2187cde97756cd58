"""How a stored moment reads to a person: the state's wall clock.

Every time is stored in UTC (naive, as the tables keep it) and every time a
person reads is the state's local time, America/Mexico_City, formatted by
Flask-Babel (``BABEL_DEFAULT_TIMEZONE``). Pages name the zone once, where it
matters (a receipt, the audit trail), never "UTC".
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import flask_babel

# Querétaro keeps UTC-6 all year (no daylight saving since 2022), as Mexico City.
STATE_ZONE = ZoneInfo("America/Mexico_City")
ZONE_NAME = "hora del centro de México"  # how the pages name it, where they do

_PATTERN = "dd/MM/yyyy HH:mm"
_PATTERN_SECONDS = "dd/MM/yyyy HH:mm:ss"


def wall_clock(moment: dt.datetime) -> dt.datetime:
    """A stored moment (naive UTC, or aware) on the state's wall clock."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(STATE_ZONE)


def local_date(moment: dt.datetime) -> dt.date:
    """The state's calendar day of a stored moment."""
    return wall_clock(moment).date()


def local_datetime(moment: dt.datetime | None, seconds: bool = False) -> str:
    """A stored moment as people read it: "02/12/2026 13:52", local time."""
    if moment is None:
        return ""
    return flask_babel.format_datetime(moment, _PATTERN_SECONDS if seconds else _PATTERN)


def clock(value: dt.time | None) -> str:
    """A wall-clock time of day kept as such (an appointment slot's "10:30"): it
    is already the state's local time, so no zone conversion applies."""
    return "" if value is None else f"{value.hour:02d}:{value.minute:02d}"


def plain_datetime(moment: dt.datetime) -> str:
    """The same reading outside a request (the CLI), with the zone named."""
    return f"{wall_clock(moment):%d/%m/%Y %H:%M} ({ZONE_NAME})"
