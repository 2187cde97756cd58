"""Dates as people in the state read them, and the federal non-business days.

The deadlines of the data-protection law run in business days (días hábiles):
Monday to Friday, except the days in ``data/dias_inhabiles.yaml``: the
mandatory rest days of the Ley Federal del Trabajo (art. 74) and the days the
federal public administration declares non-business each year (Holy Thursday
and Friday, 2 November, 12 December). A state adds its own days in the same
file. A deadline that would run past the last year in the file is refused
rather than guessed: the legal office adds the next year first.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import yaml

from portal.messages import Refusal, _l
from portal.web.formatting import STATE_ZONE
from portal.web.formatting import local_date as local_date
from portal.web.tables import utcnow

CALENDAR_FILE = Path(__file__).parent / "data" / "dias_inhabiles.yaml"


class CalendarGap(Refusal):
    """The non-business-day calendar does not reach the date needed."""


def local_today() -> dt.date:
    """Today on the state's wall clock (UTC is already tomorrow at 18:00 there)."""
    return utcnow().replace(tzinfo=dt.UTC).astimezone(STATE_ZONE).date()


@cache
def non_business_days(path: Path = CALENDAR_FILE) -> tuple[frozenset[dt.date], range]:
    """The listed days, and the years the file covers."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    years = range(int(data["desde"]), int(data["hasta"]) + 1)
    days = set()
    for entry in data["dias"]:
        day = entry["fecha"]
        if not isinstance(day, dt.date) or day.year not in years or not entry.get("motivo"):
            raise ValueError(f"{path.name}: {entry!r} needs a date inside the years and a motivo")
        days.add(day)
    return frozenset(days), years


def is_business_day(day: dt.date) -> bool:
    days, years = non_business_days()
    if day.year not in years:
        raise CalendarGap(
            _l(
                "El calendario de días inhábiles no cubre el año %(year)s: "
                "la oficina jurídica debe agregarlo.",
                year=day.year,
            )
        )
    return day.weekday() < 5 and day not in days


def add_business_days(received: dt.date, count: int) -> dt.date:
    """The last day of a term of ``count`` business days for something received
    on ``received``: the term starts the business day after (LGPDPPSO art. 51,
    "contados a partir del día siguiente a la recepción")."""
    day = received
    left = count
    while left:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            left -= 1
    return day


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days after ``start`` up to ``end`` included (negative if ``end`` is earlier)."""
    if end < start:
        return -business_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            count += 1
    return count
