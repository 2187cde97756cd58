"""The profile's address form: lists from the catalogs, "Buscar" without
JavaScript, the htmx swap, and every disagreement refused on its field."""

from __future__ import annotations

import pytest

from portal.models import AuditEvent, Citizen
from tests.support.html import html

GOOD = {
    "notify_channel": "portal",
    "municipality": "22016",
    "locality_code": "220160001",
    "postal_code": "76840",
    "settlement": "Pueblo|Cuarto Centenario",
    "road_type": "Avenida",
    "road_name": "Juárez",
    "exterior_number": "5",
}


def _options(page, name):
    return [o["value"] for o in page.find("select", attrs={"name": name}).find_all("option")]


def test_the_form_offers_the_norma_tecnica_road_types(client, login, citizen, places):
    login(citizen)
    page = html(client.get("/mis-datos/editar"))
    roads = _options(page, "road_type")
    assert {"Calle", "Avenida", "Boulevard", "Periférico", "Brecha", "Terracería"} <= set(roads)
    # The person's municipality (22014 here) brings its localities only.
    assert _options(page, "locality_code") == ["", "220140001"]
    assert page.find("button", attrs={"name": "lookup"}) or page.find(
        "input", attrs={"name": "lookup"}
    )


def test_lookup_fills_the_lists_and_saves_nothing(client, login, citizen, places):
    login(citizen)
    before = Citizen.get_by_id(citizen.id)
    response = client.post(
        "/mis-datos/editar",
        data={"municipality": "22016", "postal_code": "76840", "lookup": "Buscar"},
    )
    assert response.status_code == 200
    page = html(response)
    assert _options(page, "locality_code") == ["", "220160001"]
    assert _options(page, "settlement") == [
        "",
        "Pueblo|Cuarto Centenario",
        "Ranchería|Palma de Romero",
        "Ranchería|Revolución",
    ]
    assert not page.find(class_="error-summary")
    after = Citizen.get_by_id(citizen.id)
    assert (after.postal_code, after.municipality_id) == (
        before.postal_code,
        before.municipality_id,
    )
    assert not AuditEvent.select().where(AuditEvent.action == "record.update").exists()


def test_lookup_through_htmx_answers_with_the_fieldset(client, login, citizen, places):
    login(citizen)
    response = client.post(
        "/mis-datos/editar",
        data={"municipality": "22014", "lookup": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    fieldset = html(response).find("fieldset", id="domicilio")
    assert fieldset is not None
    assert "220140001" in _options(fieldset, "locality_code")


def test_a_catalog_address_is_saved_with_its_codes(client, login, citizen, places):
    login(citizen)
    response = client.post("/mis-datos/editar", data=GOOD)
    assert response.status_code == 303
    stored = Citizen.get_by_id(citizen.id)
    assert (
        stored.municipality_id,
        stored.locality_code,
        stored.locality,
        stored.postal_code,
        stored.settlement_type,
        stored.settlement_name,
        stored.road_type,
    ) == (
        "22016",
        "220160001",
        "San Juan del Río",
        "76840",
        "Pueblo",
        "Cuarto Centenario",
        "Avenida",
    )
    page = html(client.get("/mis-datos/editar"))
    chosen = page.find("select", attrs={"name": "settlement"}).find("option", selected=True)
    assert chosen["value"] == "Pueblo|Cuarto Centenario"


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"postal_code": "01000", "settlement": ""}, "postal_code", "no es de Querétaro"),
        ({"postal_code": "76000", "settlement": ""}, "postal_code", "no es del municipio"),
        ({"locality_code": "220140001"}, "locality_code", "no es del municipio"),
        ({"locality_code": "220169999"}, "locality_code", "Elija una localidad"),
        ({"settlement": "Colonia|Querétaro Centro"}, "settlement", "Elija una colonia"),
        ({"road_type": "Bulevar"}, "road_type", "Opción inválida"),
        ({"postal_code": "7680"}, "postal_code", "5 dígitos"),
        ({"municipality": "09010"}, "municipality", "Opción inválida"),
    ],
)
def test_an_address_that_disagrees_is_refused_on_its_field(
    client, login, citizen, places, change, field, message
):
    login(citizen)
    before = Citizen.get_by_id(citizen.id)
    response = client.post("/mis-datos/editar", data={**GOOD, **change})
    assert response.status_code == 422
    page = html(response)
    error = page.find(id=f"{field}-error")
    assert error is not None and message in error.get_text(), page.find(class_="error-summary")
    after = Citizen.get_by_id(citizen.id)
    assert (after.postal_code, after.locality_code, after.municipality_id) == (
        before.postal_code,
        before.locality_code,
        before.municipality_id,
    )


def test_the_address_form_needs_a_signed_in_citizen(client, places):
    response = client.post("/mis-datos/editar", data={**GOOD, "lookup": "1"})
    assert response.status_code in (302, 303, 401)
    assert Citizen.select().where(Citizen.locality_code != "").count() == 0


def test_choosing_a_municipality_through_htmx_refreshes_only_the_locality_list(
    client, login, citizen, places
):
    login(citizen)
    page = html(client.get("/mis-datos/editar"))
    select = page.find("select", attrs={"name": "municipality"})
    assert select["hx-target"] == "#locality_code-field"
    response = client.post(
        select["hx-post"],
        data={"municipality": "22009", "postal_code": "76", "lookup": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    field = html(response).find(id="locality_code-field")
    assert _options(field, "locality_code") == ["", "220090001"]


def test_the_form_built_from_a_record_offers_its_municipalitys_localities(app, places):
    from portal.territory.forms import AddressForm
    from tests.factories import make_citizen, make_municipality

    person = make_citizen(
        municipality=make_municipality("22016", "San Juan del Río"),
        locality_code="220160001",
        postal_code="76840",
        settlement_type="Pueblo",
        settlement_name="Cuarto Centenario",
    )
    with app.test_request_context("/"):
        form = AddressForm(obj=person)
        form.offer_choices(person)
        assert form.municipality.data == "22016"
        assert [c.value for c in form.locality_code.choices] == ["", "220160001"]
        assert form.settlement.data == "Pueblo|Cuarto Centenario"
