"""Electoral blackout (veda or blindaje electoral).

During an electoral process the law bars government propaganda: the portal
suspends the notices people did not ask for and the announcements of calls not
yet open, shows the mandatory legend prominently, and keeps every right of
people who already applied (following an application, correcting it, being
notified of its decisions, receiving the benefit). The state admin sets the
periods, per election and per municipality (or the whole state).

Whether a day is in a blackout is one indexed look-up (periods not yet over,
``blackout_period.ends``), kept once per request; the table holds a few rows
per election. What is held back is written to the audit trail:
a notice as one entry per notice (object: the person's record id, never its
content), the calls whose announcement a period withholds as one entry when
the period is set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context

from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.messages import Refusal, _l
from portal.models import BlackoutPeriod, Call, Citizen, Municipality, utcnow
from portal.rights.holidays import local_today
from portal.vocabulary import AuditAction
from portal.web.database import write
from portal.web.pagecache import KeptForSeconds
from portal.web.tables import Prepared, Slot

PERIOD_OBJECT = "veda"
MAX_ELECTION = 200
# A period is set for an electoral process: no longer than a year.
LONGEST = dt.timedelta(days=366)


class BlackoutRefused(Refusal):
    """A blackout period that cannot be set or withdrawn as asked."""


@dataclass(frozen=True)
class Blackout:
    """The period in force for a place on a day (the one that ends last)."""

    id: int
    election: str
    starts: dt.date
    ends: dt.date
    municipality_code: str | None


# Only a range on ``ends`` (its index): the periods not yet over are a few rows
# (the elections ahead), however many past ones the table keeps. A condition on
# the municipality here would let the planner read every period of that
# municipality instead. Every page asks (the layout's banner): prepared once.
_UPCOMING = Prepared(
    lambda: (
        BlackoutPeriod.select(
            BlackoutPeriod.id,
            BlackoutPeriod.election,
            BlackoutPeriod.starts,
            BlackoutPeriod.ends,
            BlackoutPeriod.municipality,
            BlackoutPeriod.withdrawn_at,
        )
        .where(BlackoutPeriod.ends >= Slot("on"))
        .order_by(BlackoutPeriod.ends.desc())
        .tuples()
    )
)


# The periods not yet over, read at most once per ``PAGE_CACHE_SECONDS`` per
# process: every page shows the banner and legend of the period in force, and
# asking the database on each request was one more round trip per page. A
# period set or withdrawn here is seen at once in this process
# (:func:`forget_periods`).
_kept = KeptForSeconds(lambda on: list(_UPCOMING(on=on)))


def forget_periods() -> None:
    """Drop this process's kept periods (after setting or withdrawing one)."""
    _kept.forget()


def in_force(on: dt.date | None = None, municipality_code: str | None = None) -> Blackout | None:
    """The period in force on ``on`` for the whole state or ``municipality_code``."""
    on = on or local_today()
    for period_id, election, starts, ends, municipality, withdrawn_at in _kept.get(on):
        if (
            withdrawn_at is None
            and starts <= on
            and municipality in (None, municipality_code or None)
        ):
            return Blackout(period_id, election, starts, ends, municipality)
    return None


def current(municipality_code: str | None = None) -> Blackout | None:
    """:func:`in_force` today, looked up once per request and place."""
    if not has_request_context():
        return in_force(None, municipality_code)
    memo: dict[str | None, Blackout | None] = g.setdefault("_blackouts", {})
    if municipality_code not in memo:
        memo[municipality_code] = in_force(None, municipality_code)
    return memo[municipality_code]


def for_page(citizen: Any = None) -> Blackout | None:
    """The period a page is under: the state's, or the signed-in person's municipality's."""
    code = getattr(citizen, "municipality_id", None) if citizen is not None else None
    return current(code)


def announces_calls() -> bool:
    """Whether public pages may announce calls not yet open (no statewide period today)."""
    return current(None) is None


def holds_back_notice(citizen: Citizen | int, what: str) -> bool:
    """Whether a notice the person did not ask for must wait (a period covers
    where they live); if so, the audit trail records what was held back."""
    person = citizen if isinstance(citizen, Citizen) else Citizen.get_by_id(citizen)
    period = in_force(None, person.municipality_id)
    if period is None:
        return False
    audit.record(
        AuditAction.BLACKOUT_SUPPRESS,
        audit.SYSTEM,
        object_type=audit.CITIZEN_OBJECT,
        object_id=person.id,
        details={"que": what, "veda": period.id},
    )
    return True


def _clean_election(election: str) -> str:
    election = " ".join((election or "").split())
    if not election:
        raise BlackoutRefused(_l("Escriba el nombre del proceso electoral."))
    if len(election) > MAX_ELECTION:
        raise BlackoutRefused(
            _l("El nombre del proceso electoral admite hasta %(max)d caracteres.", max=MAX_ELECTION)
        )
    return election


def set_period(
    actor: Actor,
    election: str,
    starts: dt.date,
    ends: dt.date,
    municipality_code: str | None = None,
    *,
    today: dt.date | None = None,
    request_id: str = "",
) -> BlackoutPeriod:
    """Set a blackout period; the audit trail records it and the calls whose
    announcement it withholds (those that open after it starts)."""
    today = today or local_today()
    election = _clean_election(election)
    if ends < starts:
        raise BlackoutRefused(_l("La veda no puede terminar antes de empezar."))
    if ends < today:
        raise BlackoutRefused(_l("La veda ya terminó: solo se registran vedas vigentes o futuras."))
    if ends - starts > LONGEST:
        raise BlackoutRefused(_l("Una veda dura a lo más un año; registre cada proceso aparte."))
    code = municipality_code or None
    if code is not None and Municipality.get_or_none(Municipality.code == code) is None:
        raise BlackoutRefused(_l("No existe el municipio elegido."))
    with write():
        same_place = (
            BlackoutPeriod.municipality.is_null()
            if code is None
            else (BlackoutPeriod.municipality == code)
        )
        overlapping = (
            BlackoutPeriod.select(BlackoutPeriod.id)
            .where(
                same_place
                & BlackoutPeriod.withdrawn_at.is_null()
                & (BlackoutPeriod.starts <= ends)
                & (BlackoutPeriod.ends >= starts)
                & (BlackoutPeriod.election == election)
            )
            .exists()
        )
        if overlapping:
            raise BlackoutRefused(
                _l("Ya hay una veda de ese proceso electoral en ese lugar y esas fechas.")
            )
        period = BlackoutPeriod.create(
            election=election,
            municipality=code,
            starts=starts,
            ends=ends,
            created_by=actor.id if actor.is_staff else None,
        )
        # Public pages follow statewide periods only (they are the same for everyone).
        withheld = (
            [
                call.id
                for call in Call.select(Call.id).where(
                    (Call.opens > max(starts, today)) & (Call.opens <= ends)
                )
            ]
            if code is None
            else []
        )
        audit.record(
            AuditAction.BLACKOUT_SET,
            actor,
            object_type=PERIOD_OBJECT,
            object_id=period.id,
            details={
                "municipio": code or "todo el estado",
                "inicia": starts.isoformat(),
                "termina": ends.isoformat(),
                "convocatorias_sin_anuncio": withheld,
            },
            request_id=request_id,
        )
    forget_periods()
    return period


def withdraw(actor: Actor, period_id: int, *, request_id: str = "") -> BlackoutPeriod:
    """Withdraw a period (set by mistake, or an election annulled); it stays on record."""
    with write():
        period = BlackoutPeriod.get_or_none(BlackoutPeriod.id == period_id)
        if period is None:
            raise BlackoutRefused(_l("Esa veda no existe."))
        if period.withdrawn_at is not None:
            raise BlackoutRefused(_l("Esa veda ya estaba retirada."))
        period.withdrawn_at = utcnow()
        period.save(only=[BlackoutPeriod.withdrawn_at])
        audit.record(
            AuditAction.BLACKOUT_WITHDRAW,
            actor,
            object_type=PERIOD_OBJECT,
            object_id=period.id,
            request_id=request_id,
        )
    forget_periods()
    return period


def periods_to_show(today: dt.date | None = None) -> list[BlackoutPeriod]:
    """Periods in force or to come, for the state admin's page (soonest first)."""
    today = today or local_today()
    return list(
        BlackoutPeriod.select()
        .where((BlackoutPeriod.ends >= today) & BlackoutPeriod.withdrawn_at.is_null())
        .order_by(BlackoutPeriod.starts, BlackoutPeriod.id)
    )
