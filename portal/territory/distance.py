"""Distances on the Earth and places ranked by them.

:func:`nearest` takes any places with ``lat`` and ``lon`` (delivery points
now, the state's offices when they exist), so every "nearest to me" list
ranks the same way."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


P = TypeVar("P")


def lat_lon(place: Any) -> tuple[float | None, float | None]:
    """A place's coordinates: its ``lat`` and ``lon`` (a model row or a dataclass)."""
    return place.lat, place.lon


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Ranked(Generic[P]):
    place: P
    km: float | None  # None: the place has no coordinates


def nearest(
    origin: tuple[float, float],
    places: Iterable[P],
    limit: int | None = None,
    locate: Callable[[P], tuple[float | None, float | None]] = lat_lon,
) -> list[Ranked[P]]:
    """``places`` from the nearest to ``origin`` to the farthest.

    Places without coordinates come last, in the order given; so do ties.
    """
    ranked = []
    for place in places:
        lat, lon = locate(place)
        km = km_between(origin, (lat, lon)) if lat is not None and lon is not None else None
        ranked.append(Ranked(place, km))
    ranked.sort(key=lambda r: (r.km is None, r.km or 0.0))
    return ranked if limit is None else ranked[:limit]


def distance_text(km: float | None) -> str:
    """A distance as people say it: «a 850 m», «a 3.2 km», «a 41 km» (straight line)."""
    from flask_babel import gettext as _

    if km is None:
        return _("distancia desconocida")
    if km < 1:
        return _("a %(n)s m en línea recta", n=f"{max(50, round(km * 20) * 50):,}")
    if km < 10:
        return _("a %(n)s km en línea recta", n=f"{km:.1f}")
    return _("a %(n)s km en línea recta", n=f"{round(km):,}")
