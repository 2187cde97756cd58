"""Business days on the federal calendar of non-business days (data/dias_inhabiles.yaml)."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.rights import holidays
from portal.rights.holidays import CalendarGap, add_business_days, business_days_between

D = dt.date


def test_the_calendar_holds_every_mandatory_rest_day_of_the_federal_labour_law():
    days, years = holidays.non_business_days()
    for year in years:
        for month, day in ((1, 1), (5, 1), (9, 16), (12, 25)):
            assert D(year, month, day) in days, (year, month, day)
        mondays = [d for d in days if d.year == year and d.weekday() == 0]
        # First Monday of February, third of March and of November.
        assert any(d.month == 2 and d.day <= 7 for d in mondays)
        assert any(d.month == 3 and 15 <= d.day <= 21 for d in mondays)
        assert any(d.month == 11 and 15 <= d.day <= 21 for d in mondays)


def test_weekends_and_holidays_are_not_business_days():
    assert holidays.is_business_day(D(2026, 12, 2))  # a Wednesday
    assert not holidays.is_business_day(D(2026, 12, 5))  # Saturday
    assert not holidays.is_business_day(D(2026, 12, 6))  # Sunday
    assert not holidays.is_business_day(D(2026, 12, 25))  # Navidad, a Friday
    assert not holidays.is_business_day(D(2026, 11, 16))  # Revolución, third Monday
    assert not holidays.is_business_day(D(2026, 4, 2))  # Jueves santo


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Wednesday 2 Dec 2026: the term starts on the 3rd; 25 Dec is skipped.
        (D(2026, 12, 2), D(2026, 12, 31)),
        # Received on a Saturday: the term starts on Monday; 1 Jan is skipped.
        (D(2026, 12, 5), D(2027, 1, 5)),
        # Across Holy Week 2026 (2 and 3 April) and 1 May.
        (D(2026, 3, 30), D(2026, 4, 29)),
        (D(2026, 4, 15), D(2026, 5, 14)),
        # Across the Constitution day (first Monday of February 2027).
        (D(2027, 1, 15), D(2027, 2, 15)),
    ],
)
def test_twenty_business_days_skip_weekends_and_holidays(received, due):
    assert add_business_days(received, 20) == due


def test_business_days_between_counts_what_is_left_and_what_is_overdue():
    assert business_days_between(D(2026, 12, 2), D(2026, 12, 31)) == 20
    assert business_days_between(D(2026, 12, 31), D(2026, 12, 31)) == 0
    assert business_days_between(D(2027, 1, 4), D(2026, 12, 31)) == -1


def test_a_term_past_the_calendar_is_refused_rather_than_guessed():
    with pytest.raises(CalendarGap, match="no cubre el año 2029"):
        add_business_days(D(2028, 12, 20), 20)


def test_a_calendar_entry_without_a_reason_is_refused(tmp_path):
    path = tmp_path / "dias.yaml"
    path.write_text("desde: 2026\nhasta: 2026\ndias:\n  - {fecha: 2026-01-01}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="motivo"):
        holidays.non_business_days(path)
