"""Where a person starts from, and the delivery points near there.

The starting point is the person's locality (from their record) or a postal
code anyone types: its settlement's locality, or else its municipality's
seat. Every look-up is by key; the points are those of one program (or of
all programs) and the state's offices (portal/appointments), lists the size
of the catalog, never of the registry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import fn

from portal.appointments.models import Office, Slot
from portal.catalog.models import DeliveryPoint, Program
from portal.models.periods import DeliveryDate
from portal.territory import catalog, maps
from portal.territory.distance import Ranked, nearest
from portal.web.tables import tuples

NEAREST = 10
NEAREST_OFFICES = 3


@dataclass(frozen=True)
class Origin:
    label: str  # the locality or settlement people recognise
    lat: float
    lon: float

    @property
    def point(self) -> tuple[float, float]:
        return (self.lat, self.lon)


def _seat(municipality: str | None) -> Origin | None:
    seat = maps.seats().get(municipality or "")
    return Origin(seat.name, seat.lat, seat.lon) if seat else None


def _locality_origin(code: str | None, label: str | None = None) -> Origin | None:
    place = catalog.locality(code or "")
    if place is None or place.lat is None or place.lon is None:
        return None
    return Origin(label or place.name, place.lat, place.lon)


def from_postal_code(postal_code: str) -> Origin | None:
    """Where a postal code of the state is; None when it is not one."""
    settlements = catalog.settlements_of(postal_code)
    for s in settlements:
        found = _locality_origin(s.locality_id, s.settlement_name)
        if found is not None:
            return found
    return _seat(settlements[0].municipality_id) if settlements else None


def from_record(citizen) -> Origin | None:
    """Where the person's record says they live: their locality, else their municipality."""
    return _locality_origin(citizen.locality_code, citizen.locality) or _seat(
        citizen.municipality_id
    )


@dataclass(frozen=True)
class NearbyPoint:
    point: DeliveryPoint
    program: str
    km: float | None
    next_day: dt.date | None
    next_hours: str


def programs_with_points() -> list[tuple[str, str]]:
    """(slug, name) of the programs that have active delivery points."""
    rows = (
        Program.select(Program.slug, Program.name)
        .join(DeliveryPoint)
        .where(DeliveryPoint.active == True)  # noqa: E712
        .distinct()
        .order_by(Program.name)
    )
    return [(slug, name) for slug, name in tuples(rows)]


def delivery_points_near(
    origin: Origin,
    program_slug: str | None = None,
    today: dt.date | None = None,
    limit: int = NEAREST,
) -> list[NearbyPoint]:
    """The active delivery points nearest to ``origin``, with their next delivery date."""
    today = today or dt.date.today()
    query = (
        DeliveryPoint.select(DeliveryPoint, Program.name)
        .join(Program)
        .where(DeliveryPoint.active == True)  # noqa: E712
    )
    if program_slug:
        query = query.where(Program.slug == program_slug)
    points = list(query)
    ranked: list[Ranked[DeliveryPoint]] = nearest(origin.point, points, limit)
    upcoming = _next_dates([r.place.id for r in ranked], today)
    return [
        NearbyPoint(
            r.place,
            r.place.program.name,
            r.km,
            *upcoming.get(r.place.id, (None, "")),
        )
        for r in ranked
    ]


def _next_dates(point_ids: list[int], today: dt.date) -> dict[int, tuple[dt.date, str]]:
    """Point id -> (day, hours) of its next delivery on the calendar, if any."""
    if not point_ids:
        return {}
    first = (
        DeliveryDate.select(DeliveryDate.point, fn.MIN(DeliveryDate.day).alias("day"))
        .where(DeliveryDate.point.in_(point_ids), DeliveryDate.day >= today)
        .group_by(DeliveryDate.point)
    )
    days = {row.point_id: row.day for row in first}
    found: dict[int, tuple[dt.date, str]] = {}
    if days:
        for row in DeliveryDate.select(
            DeliveryDate.point, DeliveryDate.day, DeliveryDate.hours
        ).where(DeliveryDate.point.in_(list(days)), DeliveryDate.day.in_(list(set(days.values())))):
            day = row.day if isinstance(row.day, dt.date) else dt.date.fromisoformat(str(row.day))
            if str(days[row.point_id]) == str(row.day) and row.point_id not in found:
                found[row.point_id] = (day, row.hours)
    return found


@dataclass(frozen=True)
class NearbyOffice:
    office: Office
    km: float | None
    next_free_day: dt.date | None  # the first day with a free counter appointment


def offices_near(
    origin: Origin, today: dt.date | None = None, limit: int = NEAREST_OFFICES
) -> list[NearbyOffice]:
    """The state's active offices nearest to ``origin``, with the first day that
    still has a free appointment (the (office, day, starts) index answers it)."""
    today = today or dt.date.today()
    offices = list(Office.select().where(Office.active == True))  # noqa: E712
    ranked: list[Ranked[Office]] = nearest(origin.point, offices, limit)
    ids = [r.place.id for r in ranked]
    free: dict[int | None, dt.date] = {}
    if ids:
        rows = (
            Slot.select(Slot.office, fn.MIN(Slot.day).alias("day"))
            .where(Slot.office.in_(ids), Slot.day >= today, Slot.booked < Slot.capacity)
            .group_by(Slot.office)
        )
        free = {
            row.office_id: row.day
            if isinstance(row.day, dt.date)
            else dt.date.fromisoformat(str(row.day))
            for row in rows
        }
    return [NearbyOffice(r.place, r.km, free.get(r.place.id)) for r in ranked]
