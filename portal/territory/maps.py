"""Maps drawn on the server as SVG: no tiles, no map library, a few KB.

The municipal map shades each municipality's boundary, INEGI's Marco
Geoestadístico simplified to about a pixel (``data/municipios_22.json``,
written by scripts/territory_boundaries.py; sources in data/README.md), and
numbers it at its seat (cabecera municipal). A municipality without a
boundary in the file is drawn as a circle at its seat. Places (delivery
points, offices) are marks around where the person starts from. Every map
comes with a table holding the same figures, for screen readers.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from portal.territory.catalog import SEED_FILE
from portal.transparency import public as transparency

BOUNDARIES_FILE = SEED_FILE.parent / "municipios_22.json"

WIDTH = 320
PAD = 16
SHADES = 4  # classes map-shade-1 .. map-shade-4; 0 is "nobody"


@dataclass(frozen=True)
class Seat:
    municipality: str
    name: str
    lat: float
    lon: float
    population: int


@cache
def seats() -> dict[str, Seat]:
    """Municipality code -> its seat, from the shipped seed (18 rows, read once)."""
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    places = {row["code"]: row for row in data["localities"]}
    found = {}
    for m in data["municipalities"]:
        seat = places[m["seat"]]
        found[m["code"]] = Seat(
            m["code"], seat["name"], seat["lat"], seat["lon"], m["population_2020"]
        )
    return found


Ring = list[tuple[float, float]]  # (lat, lon) points, closed implicitly


@cache
def boundaries() -> dict[str, list[Ring]]:
    """Municipality code -> the rings of its simplified boundary (read once)."""
    if not BOUNDARIES_FILE.exists():
        return {}
    data = json.loads(BOUNDARIES_FILE.read_text(encoding="utf-8"))
    return {
        code: [[(lat, lon) for lon, lat in ring] for ring in m["rings"]]
        for code, m in data["municipalities"].items()
    }


def _number(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def svg_path(rings: Sequence[Ring], fit: Frame) -> str:
    """The SVG path data of ``rings`` in ``fit``: one closed subpath each (holes
    come out with the even-odd rule of the CSS class)."""
    parts = []
    for ring in rings:
        xy = [fit.xy(lat, lon) for lat, lon in ring]
        parts.append("M" + " ".join(f"{_number(x)} {_number(y)}" for x, y in xy) + "Z")
    return "".join(parts)


@dataclass(frozen=True)
class Frame:
    """An equirectangular projection fitted to a box of points (fine for one state)."""

    lat_max: float
    lon_min: float
    scale: float
    height: int

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (
            round(PAD + (lon - self.lon_min) * self.scale * self._squash, 1),
            round(PAD + (self.lat_max - lat) * self.scale, 1),
        )

    @property
    def _squash(self) -> float:
        return math.cos(math.radians(self.lat_max))


def frame(points: Sequence[tuple[float, float]]) -> Frame:
    """The projection that fits ``points`` (lat, lon) into WIDTH, keeping shape."""
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    lat_min, lat_max = min(lats), max(lats)
    lon_min, lon_max = min(lons), max(lons)
    squash = math.cos(math.radians(lat_max))
    span_x = max((lon_max - lon_min) * squash, 0.01)
    span_y = max(lat_max - lat_min, 0.01)
    scale = (WIDTH - 2 * PAD) / span_x
    # A tall state would be too tall for a phone: cap the height at 1.5 widths.
    scale = min(scale, (1.5 * WIDTH - 2 * PAD) / span_y)
    return Frame(lat_max, lon_min, scale, math.ceil(2 * PAD + span_y * scale))


@dataclass(frozen=True)
class MapPoint:
    number: int
    code: str
    name: str
    x: float
    y: float
    count: int
    shown: str  # the count as the page may show it ("<5" when suppressed)
    rate: str  # per 1,000 inhabitants, "—" when suppressed or unknown
    shade: int  # 0 nobody, 1..SHADES by rate, -1 a small cell kept hidden
    path: str = ""  # the boundary as SVG path data; empty: a circle at the seat


@dataclass(frozen=True)
class CoverageMap:
    width: int
    height: int
    points: list[MapPoint]
    legend: list[tuple[int, str]]  # (shade, range said in words)
    bounded: bool = False  # drawn from municipal boundaries (else circles at the seats)


def municipal_counts(cells: Mapping[tuple, int]) -> Counter:
    """Beneficiaries by municipality code from the statistics' cells."""
    counts: Counter = Counter()
    for key, n in cells.items():
        if key[1]:
            counts[key[1]] += n
    return counts


def coverage_map(counts: Mapping[str, int], suppressed: bool = True) -> CoverageMap:
    """The state's municipalities shaded by beneficiaries per 1,000 inhabitants.

    With ``suppressed`` (public pages) a municipality of 1 to 4 people shows
    «<5», no rate and a shade of its own, as the tables do.
    """
    places = seats()
    shapes = boundaries()
    fit = frame(
        [(s.lat, s.lon) for s in places.values()]
        + [p for rings in shapes.values() for ring in rings for p in ring]
    )
    rates = {
        code: 1000 * counts.get(code, 0) / seat.population
        for code, seat in places.items()
        if seat.population
    }
    visible = sorted(
        r
        for code, r in rates.items()
        if r > 0 and not (suppressed and transparency.is_small(counts.get(code, 0)))
    )
    bounds = _breaks(visible)
    points = []
    for number, (code, seat) in enumerate(
        sorted(places.items(), key=lambda p: seat_municipality_name(p[0])), start=1
    ):
        n = counts.get(code, 0)
        hidden = suppressed and transparency.is_small(n)
        rate = rates.get(code, 0.0)
        if hidden:
            shade = -1
        elif n == 0:
            shade = 0
        else:
            shade = 1 + sum(rate > b for b in bounds)
        x, y = fit.xy(seat.lat, seat.lon)
        shown = transparency.suppress(n) if suppressed else n
        points.append(
            MapPoint(
                number=number,
                code=code,
                name=seat_municipality_name(code),
                x=x,
                y=y,
                count=n,
                shown=shown if isinstance(shown, str) else f"{shown:,}",
                rate="—" if hidden or not seat.population else f"{rate:.1f}",
                shade=shade,
                path=svg_path(shapes[code], fit) if code in shapes else "",
            )
        )
    return CoverageMap(WIDTH, fit.height, points, _legend(bounds, bool(visible)), bool(shapes))


def _breaks(rates: Sequence[float]) -> list[float]:
    """Upper bounds of the first SHADES-1 classes: quantiles of the rates shown."""
    if not rates:
        return []
    return sorted(
        {rates[min(len(rates) - 1, (len(rates) * i) // SHADES)] for i in range(1, SHADES)}
    )


def _legend(bounds: list[float], any_shown: bool) -> list[tuple[int, str]]:
    if not any_shown:
        return []
    edges = [0.0, *bounds]
    legend = []
    for shade, low in enumerate(edges, start=1):
        high = bounds[shade - 1] if shade - 1 < len(bounds) else None
        legend.append((shade, f"{low:.1f} – {high:.1f}" if high is not None else f"> {low:.1f}"))
    return legend


@cache
def _municipality_names() -> dict[str, str]:
    from portal.catalog import geography as geo

    return {m.code: m.name for m in geo.load_state().municipalities}


def seat_municipality_name(code: str) -> str:
    return _municipality_names().get(code, code)


@dataclass(frozen=True)
class PlacesMap:
    width: int
    height: int
    here: tuple[float, float]
    points: list[tuple[str, float, float]]  # (mark in the list beside, x, y)
    offices: list[tuple[str, float, float]] = field(default_factory=list)


Marked = Sequence[tuple[int | str, float | None, float | None]]


def _located(places: Marked) -> list[tuple[str, float, float]]:
    return [(str(n), lat, lon) for n, lat, lon in places if lat is not None and lon is not None]


def places_map(origin: tuple[float, float], places: Marked, offices: Marked = ()) -> PlacesMap:
    """Marked places (delivery points, and offices apart) around where the
    person starts from; places without coordinates stay in the list, off the map."""
    points, desks = _located(places), _located(offices)
    fit = frame([origin, *((lat, lon) for _, lat, lon in points + desks)])
    return PlacesMap(
        WIDTH,
        fit.height,
        fit.xy(*origin),
        [(n, *fit.xy(lat, lon)) for n, lat, lon in points],
        [(n, *fit.xy(lat, lon)) for n, lat, lon in desks],
    )
