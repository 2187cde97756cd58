"""What programs give, per period and per year, and what a person could add up.

Cash benefits are stored per period (``Benefit.amount`` every ``Benefit.period``,
see :mod:`portal.catalog.schema`); people plan by the year, so the results and
the program pages show both. A single payment (``unico``) counts once in the
year. In-kind benefits and services have no amount: they are named by their
description and counted apart, never priced.

A total never adds two programs of the same exclusion group: the person can
receive only one of them, so the group counts with its largest amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from portal.catalog.schema import PERIOD_MONTHS, Benefit, Program
from portal.messages import gettext as _
from portal.web.values import money


def payments_per_year(period: str | None) -> int:
    """How many times a year a benefit of ``period`` is paid (a single payment: once)."""
    if period in PERIOD_MONTHS:
        return 12 // PERIOD_MONTHS[period]
    return 1


def yearly_amount(benefit: Benefit) -> int | None:
    """Pesos a year of a cash benefit (None: not money, or no amount)."""
    if benefit.kind != "cash" or benefit.amount is None:
        return None
    return benefit.amount * payments_per_year(benefit.period)


def yearly_text(benefit: Benefit) -> str:
    """ "$9,000 al año" for a benefit paid more than once a year; else empty (the
    amount per period already says it all)."""
    amount = yearly_amount(benefit)
    if amount is None or payments_per_year(benefit.period) == 1:
        return ""
    return _("%(amount)s al año", amount=money(amount))


@dataclass(frozen=True)
class Total:
    """What a set of programs adds up to."""

    yearly: int  # pesos a year in cash, one program per exclusion group
    other: tuple[str, ...]  # slugs of the in-kind benefits and services, counted apart


def total(programs: Iterable[Program]) -> Total:
    """The yearly cash of ``programs``, taking the largest of each exclusion group."""
    alone = 0
    by_group: dict[str, int] = {}
    other: list[str] = []
    for program in programs:
        amount = yearly_amount(program.benefit)
        if amount is None:
            other.append(program.slug)
            continue
        group = program.exclusion_group
        if group:
            by_group[group] = max(by_group.get(group, 0), amount)
        else:
            alone += amount
    return Total(alone + sum(by_group.values()), tuple(other))
