"""The counter takes a person's address from the same catalogs as the profile:
the state counter's contact form (portal/backoffice/views/counter.py), with
and without htmx, and its refusals."""

from __future__ import annotations

import pytest

from portal.models import AuditEvent, Citizen
from portal.vocabulary import AuditAction
from tests.backoffice import test_state_counter as counter
from tests.backoffice.test_state_counter import CONTACT, contact_data
from tests.support.html import html
from tests.territory.test_address_form import GOOD, _options

# The state counter's fixtures: a clerk who checked a person's ID.
two_agencies = counter.two_agencies
serving = counter.serving

# The address of the profile's tests, less what the counter form asks apart.
SAN_JUAN = {
    name: GOOD[name] for name in ("municipality", "postal_code", "locality_code", "settlement")
}


def test_the_counter_saves_an_address_picked_from_the_catalogs(places, serving):
    client, _, citizen = serving
    response = client.post(CONTACT, data=contact_data(**SAN_JUAN))
    assert response.status_code == 303
    stored = Citizen.get_by_id(citizen.id)
    assert (
        stored.municipality_id,
        stored.locality_code,
        stored.locality,
        stored.postal_code,
        stored.settlement_type,
        stored.settlement_name,
    ) == ("22016", "220160001", "San Juan del Río", "76840", "Pueblo", "Cuarto Centenario")


@pytest.mark.parametrize("htmx", [False, True])
def test_buscar_at_the_counter_offers_the_lists_and_saves_nothing(places, serving, htmx):
    client, _, citizen = serving
    before = Citizen.get_by_id(citizen.id)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(
        CONTACT,
        data=contact_data(municipality="22016", postal_code="76840", lookup="Buscar"),
        headers=headers,
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
    assert Citizen.get_by_id(citizen.id).updated_at == before.updated_at
    assert not AuditEvent.select().where(AuditEvent.action == AuditAction.COUNTER_CONTACT).exists()


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"postal_code": "01000"}, "postal_code", "no es de Querétaro"),
        ({"postal_code": "76000"}, "postal_code", "no es del municipio"),
        ({"locality_code": "220140001"}, "locality_code", None),
        ({"settlement": "Colonia|Centro"}, "settlement", None),
        ({"road_type": "Bulevar"}, "road_type", None),
    ],
)
def test_an_address_that_disagrees_with_the_catalogs_is_refused(
    places, serving, changes, field, message
):
    client, _, citizen = serving
    before = Citizen.get_by_id(citizen.id)
    response = client.post(CONTACT, data=contact_data(**{**SAN_JUAN, **changes}))
    assert response.status_code == 422
    error = html(response).find(id=f"{field}-error")
    assert error is not None
    if message:
        assert message in error.get_text()
    stored = Citizen.get_by_id(citizen.id)
    assert (stored.postal_code, stored.locality_code, stored.updated_at) == (
        before.postal_code,
        before.locality_code,
        before.updated_at,
    )
    assert not AuditEvent.select().where(AuditEvent.action == AuditAction.COUNTER_CONTACT).exists()
