"""Nearest delivery points: distances, the ranking any list of places can
use, where a person starts from, and the /puntos-cercanos page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.models.periods import DeliveryDate
from portal.territory import nearby
from portal.territory.distance import distance_text, km_between, nearest
from tests.factories import make_agency, make_citizen, make_delivery_point, make_program
from tests.support.html import html

QUERETARO = (20.5931, -100.3925)
SAN_JUAN = (20.3886, -99.9964)
JALPAN = (21.2172, -99.4728)


@dataclass(frozen=True)
class Place:
    name: str
    lat: float | None
    lon: float | None


coords = st.tuples(
    st.floats(min_value=-89.0, max_value=89.0, allow_nan=False),
    st.floats(min_value=-179.0, max_value=179.0, allow_nan=False),
)
maybe = st.one_of(st.none(), coords)


def test_known_distances_between_municipal_seats():
    assert km_between(QUERETARO, SAN_JUAN) == pytest.approx(47, abs=2)
    assert km_between((20.0, -100.0), (21.0, -100.0)) == pytest.approx(111.19, abs=0.01)
    assert km_between(QUERETARO, QUERETARO) == 0


@given(coords, coords)
def test_distance_is_symmetric_and_never_negative(a, b):
    assert km_between(a, b) == pytest.approx(km_between(b, a), abs=1e-6)
    assert 0 <= km_between(a, b) <= 20016


@given(coords, coords, coords)
def test_distance_keeps_the_triangle_inequality(a, b, c):
    assert km_between(a, c) <= km_between(a, b) + km_between(b, c) + 1e-6


@given(coords, st.lists(maybe, max_size=20))
def test_ranking_goes_from_nearest_to_farthest_with_unknown_places_last(origin, spots):
    places = [Place(str(i), *(s or (None, None))) for i, s in enumerate(spots)]
    ranked = nearest(origin, places)
    assert sorted(r.place.name for r in ranked) == sorted(p.name for p in places)
    known = [r.km for r in ranked if r.km is not None]
    assert known == sorted(known)
    first_unknown = next((i for i, r in enumerate(ranked) if r.km is None), len(ranked))
    assert all(r.km is None for r in ranked[first_unknown:])
    assert [r.place.name for r in ranked[first_unknown:]] == [
        p.name for p in places if p.lat is None
    ]


@given(coords, st.lists(coords, max_size=15), st.integers(0, 20))
def test_the_limit_keeps_the_nearest(origin, spots, limit):
    places = [Place(str(i), *s) for i, s in enumerate(spots)]
    kept = nearest(origin, places, limit)
    assert len(kept) == min(limit, len(places))
    left = {r.place.name for r in nearest(origin, places)} - {r.place.name for r in kept}
    far = [km_between(origin, (p.lat, p.lon)) for p in places if p.name in left]
    assert all(r.km <= min(far, default=float("inf")) + 1e-9 for r in kept)


@pytest.mark.parametrize(
    "km,said",
    [
        (0.31, "a 300 m en línea recta"),
        (3.24, "a 3.2 km en línea recta"),
        (41.6, "a 42 km"),
        (None, "desconocida"),
    ],
)
def test_distances_are_said_in_words(app, km, said):
    assert said in distance_text(km)


def test_a_postal_code_starts_from_its_settlements_locality(places):
    origin = nearby.from_postal_code("76800")
    assert origin is not None and origin.point == SAN_JUAN
    assert nearby.from_postal_code("01000") is None


def test_a_record_starts_from_its_locality_or_else_its_municipality(places):
    from tests.factories import make_municipality

    jalpan = make_citizen(locality_code="220090001", locality="Jalpan de Serra")
    assert nearby.from_record(jalpan).point == JALPAN
    only_municipality = make_citizen(municipality=make_municipality("22016", "San Juan del Río"))
    assert nearby.from_record(only_municipality).point == SAN_JUAN
    nowhere = make_citizen(municipality=None)
    assert nearby.from_record(nowhere) is None


@pytest.fixture
def points(places):
    program = make_program(make_agency(), slug="contigo", name="Tarjeta Contigo")
    other = make_program(make_agency(), slug="otro", name="Otro apoyo")
    made = {
        "queretaro": make_delivery_point(
            program, name="Jardín Zenea", lat=QUERETARO[0], lon=QUERETARO[1], hours="9:00 a 14:00"
        ),
        "sanjuan": make_delivery_point(
            program, name="Auditorio de San Juan", lat=SAN_JUAN[0], lon=SAN_JUAN[1]
        ),
        "jalpan": make_delivery_point(
            program, name="Presidencia de Jalpan", lat=JALPAN[0], lon=JALPAN[1]
        ),
        "nowhere": make_delivery_point(program, name="Sin coordenadas"),
        "closed": make_delivery_point(
            program, name="Cerrado", lat=SAN_JUAN[0], lon=SAN_JUAN[1], active=False
        ),
        "other": make_delivery_point(
            other, name="Punto de otro programa", lat=SAN_JUAN[0], lon=SAN_JUAN[1]
        ),
    }
    made["program"] = program
    return made


def _listed(page):
    return [li.strong.text for li in page.select("ol.points > li")]


def test_a_postal_code_lists_the_programs_points_by_distance(client, points):
    response = client.get("/puntos-cercanos", query_string={"cp": "76800", "programa": "contigo"})
    assert response.status_code == 200
    page = html(response)
    assert _listed(page) == [
        "Auditorio de San Juan",
        "Jardín Zenea",
        "Presidencia de Jalpan",
        "Sin coordenadas",
    ]
    svg = page.find("svg", attrs={"role": "img"})
    assert len(svg.select("circle.map-point")) == 3 and len(svg.select("circle.map-here")) == 1
    assert "Cerca de Centro" in page.find(id="cercanos").text


def test_without_a_program_every_programs_points_are_ranked(client, points):
    page = html(client.get("/puntos-cercanos", query_string={"cp": "76800"}))
    assert set(_listed(page)[:2]) == {"Auditorio de San Juan", "Punto de otro programa"}
    assert "Cerrado" not in _listed(page)


def test_the_next_delivery_date_is_shown_beside_its_point(client, points):
    today = dt.date.today()
    for day, hours in (
        (today - dt.timedelta(days=3), "pasada"),
        (today + dt.timedelta(days=9), "10:00 a 13:00"),
        (today + dt.timedelta(days=40), "luego"),
    ):
        DeliveryDate.create(
            program=points["program"],
            period=day.toordinal(),
            day=day,
            hours=hours,
            point=points["sanjuan"],
        )
    page = html(client.get("/puntos-cercanos", query_string={"cp": "76800", "programa": "contigo"}))
    first = page.select("ol.points > li")[0].get_text(" ", strip=True)
    assert "Próxima entrega" in first and "10:00 a 13:00" in first
    assert "pasada" not in first and "luego" not in first
    assert "Sin fecha de entrega publicada" in page.select("ol.points > li")[1].get_text()


def test_a_signed_in_person_starts_from_their_locality(client, login, points):
    person = make_citizen(locality_code="220090001", locality="Jalpan de Serra")
    login(person)
    page = html(client.get("/puntos-cercanos", query_string={"programa": "contigo"}))
    assert _listed(page)[0] == "Presidencia de Jalpan"
    assert "Cerca de Jalpan de Serra" in page.find(id="cercanos").text


def test_an_anonymous_visitor_is_asked_for_a_postal_code(client, points):
    page = html(client.get("/puntos-cercanos"))
    assert page.find("input", attrs={"name": "cp"}) is not None
    assert _listed(page) == []


@pytest.mark.parametrize(
    "args,field,message",
    [
        ({"cp": "7680"}, "cp", "5 dígitos"),
        ({"cp": "abcde"}, "cp", "5 dígitos"),
        ({"cp": "01000"}, "cp", "No encontramos ese código postal"),
        ({"cp": "76800", "programa": "no-existe"}, "programa", "Opción inválida"),
    ],
)
def test_bad_input_is_refused_on_its_field(client, points, args, field, message):
    response = client.get("/puntos-cercanos", query_string=args)
    assert response.status_code == 422
    page = html(response)
    assert message in page.find(id=f"{field}-error").get_text()
    assert _listed(page) == []


def test_program_page_links_to_its_nearest_points(client, points):
    page = html(client.get("/programas/contigo"))
    link = page.find("a", string="Ver los puntos más cercanos a usted")
    assert link is not None and link["href"] == "/puntos-cercanos?programa=contigo"


# The state's offices (portal/appointments) in the same list of nearest places.

CADEREYTA = (20.6950, -99.8170)


@pytest.fixture
def offices(points):
    from tests.appointments.builders import make_office

    return {
        "queretaro": make_office(
            name="Oficina Centro", lat=QUERETARO[0], lon=QUERETARO[1], address="Av. 5 de Mayo 75"
        ),
        "sanjuan": make_office(
            name="Oficina San Juan",
            lat=SAN_JUAN[0] + 0.001,
            lon=SAN_JUAN[1],
            hours="Lunes a viernes de 9:00 a 15:00",
            address="Av. Juárez Oriente 30, Centro, 76800 San Juan del Río",
        ),
        "cadereyta": make_office(name="Oficina Cadereyta", lat=CADEREYTA[0], lon=CADEREYTA[1]),
        "jalpan": make_office(name="Oficina Jalpan", lat=JALPAN[0], lon=JALPAN[1]),
        "closed": make_office(
            name="Oficina cerrada", lat=SAN_JUAN[0], lon=SAN_JUAN[1], active=False
        ),
    }


def _offices_listed(page):
    return [li.strong.text for li in page.select("ol.offices > li")]


def test_the_nearest_offices_come_by_distance_without_the_closed_ones(places, offices):
    origin = nearby.from_postal_code("76800")
    found = nearby.offices_near(origin)
    assert [o.office.name for o in found] == [
        "Oficina San Juan",
        "Oficina Cadereyta",
        "Oficina Centro",
    ]
    assert found[0].km == pytest.approx(0.1, abs=0.05)
    assert [o.km for o in found] == sorted(o.km for o in found)


def test_an_office_shows_its_first_day_with_a_free_appointment(places, offices):
    from tests.appointments.builders import make_slot

    today = dt.date.today()
    make_slot(offices["sanjuan"], day=today - dt.timedelta(days=1))  # past
    full = make_slot(offices["sanjuan"], day=today + dt.timedelta(days=2), capacity=1)
    full.booked = 1  # its one place is taken
    full.save()
    make_slot(offices["sanjuan"], day=today + dt.timedelta(days=5))
    make_slot(offices["cadereyta"], day=today + dt.timedelta(days=9))
    found = {
        o.office.name: o.next_free_day
        for o in nearby.offices_near(nearby.from_postal_code("76800"))
    }
    assert found == {
        "Oficina San Juan": today + dt.timedelta(days=5),
        "Oficina Cadereyta": today + dt.timedelta(days=9),
        "Oficina Centro": None,
    }


def test_the_page_lists_offices_beside_the_points_and_letters_them_on_the_map(client, offices):
    from tests.appointments.builders import make_slot

    make_slot(offices["sanjuan"], day=dt.date.today() + dt.timedelta(days=3))
    response = client.get("/puntos-cercanos", query_string={"cp": "76800", "programa": "contigo"})
    assert response.status_code == 200
    page = html(response)
    assert _offices_listed(page) == ["Oficina San Juan", "Oficina Cadereyta", "Oficina Centro"]
    assert _listed(page)[0] == "Auditorio de San Juan"  # the points' list is unchanged
    first = page.select("ol.offices > li")[0].get_text(" ", strip=True)
    assert "Av. Juárez Oriente 30" in first and "Lunes a viernes de 9:00 a 15:00" in first
    assert "Próxima cita disponible" in first and "en el mapa: A" in first
    link = page.select("ol.offices > li")[0].find("a", string="Pedir cita")
    assert link["href"] == f"/citas/oficina/{offices['sanjuan'].id}"
    assert "Sin citas disponibles" in page.select("ol.offices > li")[1].get_text()
    svg = page.find("svg", attrs={"role": "img"})
    assert len(svg.select("rect.map-office")) == 3
    assert [t.text for t in svg.select("text")][-3:] == ["A", "B", "C"]
    assert "Oficina cerrada" not in page.get_text()


def test_a_signed_in_person_sees_the_offices_near_their_locality(client, login, offices):
    login(make_citizen(locality_code="220090001", locality="Jalpan de Serra"))
    page = html(client.get("/puntos-cercanos"))
    assert _offices_listed(page)[0] == "Oficina Jalpan"


def test_with_htmx_the_page_comes_back_with_the_offices(client, offices):
    response = client.get(
        "/puntos-cercanos", query_string={"cp": "76800"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert _offices_listed(html(response))[0] == "Oficina San Juan"


def test_offices_alone_are_listed_when_the_program_has_no_points(client, offices):
    make_program(make_agency(), slug="sin-puntos", name="Sin puntos")
    # A program without points is not offered; every program's points are.
    response = client.get("/puntos-cercanos", query_string={"cp": "76000"})
    page = html(response)
    assert _offices_listed(page)[0] == "Oficina Centro"


def test_bad_input_lists_no_offices(client, offices):
    response = client.get("/puntos-cercanos", query_string={"cp": "01000"})
    assert response.status_code == 422
    assert _offices_listed(html(response)) == []


@given(st.lists(coords, min_size=0, max_size=8), coords)
def test_offices_are_lettered_in_order(spots, origin):
    from portal.territory.maps import places_map
    from portal.territory.views import office_mark

    drawn = places_map(
        origin, [], [(office_mark(i), lat, lon) for i, (lat, lon) in enumerate(spots)]
    )
    assert [mark for mark, _, _ in drawn.offices] == [chr(65 + i) for i in range(len(spots))]
    assert all(0 <= x <= drawn.width and 0 <= y <= drawn.height for _, x, y in drawn.offices)
