"""Issue 15, item 6: ask only what is needed.

"Sin registrar" on the apply page links to the very field to fill in and
comes back to the application; the municipality the questionnaire learnt
fills the address form (said so, changeable); a link elsewhere is refused as
the place to come back to.
"""

from __future__ import annotations

import pytest
from flask import Blueprint

from portal.citizens import record as citizens
from portal.models import Citizen
from tests.factories import make_citizen, make_municipality, make_program
from tests.support.html import html


@pytest.fixture(autouse=True)
def sign_in_pages(app):
    if "auth.sign_out" not in app.view_functions:
        bp = Blueprint("auth", __name__)
        bp.add_url_rule("/entrar", "start", lambda: "entrar")
        bp.add_url_rule("/salir", "sign_out", lambda: "salir", methods=["POST"])
        app.register_blueprint(bp)


def _bare_citizen(**profile):
    return make_citizen(
        privacy_version=citizens.PRIVACY_VERSION,
        email="",
        phone="",
        municipality=None,
        profile=profile,
    )


def test_each_missing_datum_links_to_its_field_and_back_to_the_application(login):
    program = make_program()
    person = _bare_citizen()
    page = html(login(person).get(f"/programas/{program.slug}/solicitar"))
    summary = page.find("dl", class_="summary")
    links = {a.get_text(): a["href"] for a in summary.find_all("a")}
    back = f"/programas/{program.slug}/solicitar"
    assert set(links) == {"Agregar su domicilio", "Agregar su correo", "Agregar su teléfono"}
    for label, anchor in (
        ("Agregar su domicilio", "#road_name"),
        ("Agregar su correo", "#email"),
        ("Agregar su teléfono", "#phone"),
    ):
        assert links[label].startswith("/mis-datos/editar?next=") and links[label].endswith(anchor)
        assert back.replace("/", "%2F") in links[label] or back in links[label]
    assert summary.get_text().count("Sin registrar") == 3


def test_saving_the_missing_phone_comes_back_to_the_application(client, login):
    program = make_program()
    person = _bare_citizen()
    login(person)
    back = f"/programas/{program.slug}/solicitar"
    page = html(client.get("/mis-datos/editar", query_string={"next": back}))
    form = next(f for f in page.find_all("form", method="post") if "editar" in f["action"])
    assert "next=" in form["action"]
    response = client.post(form["action"], data={"notify_channel": "portal", "phone": "4421234567"})
    assert response.status_code == 303 and response.location == back
    assert Citizen.get_by_id(person.id).phone == "4421234567"
    assert "442 123 4567" in html(client.get(back)).find("dl", class_="summary").get_text()


def test_a_link_elsewhere_is_not_followed_after_saving(client, login):
    login(_bare_citizen())
    response = client.post(
        "/mis-datos/editar?next=https://malicioso.example/",
        data={"notify_channel": "portal"},
    )
    assert response.status_code == 303 and response.location.endswith("/mis-datos")


def test_the_questionnaires_municipality_fills_the_address_and_says_so(client, login):
    make_municipality("22014", "Querétaro")
    login(_bare_citizen(municipality="22014"))
    page = html(client.get("/mis-datos/editar"))
    chosen = page.find("select", attrs={"name": "municipality"}).find("option", selected=True)
    assert chosen["value"] == "22014"
    assert page.find(id="municipio-de-respuestas") is not None


def test_a_stored_municipality_wins_over_the_answer_and_nothing_is_said(client, login):
    make_municipality("22014", "Querétaro")
    person = make_citizen(
        privacy_version=citizens.PRIVACY_VERSION,
        municipality=make_municipality("22006", "Corregidora"),
        profile={"municipality": "22014"},
    )
    page = html(login(person).get("/mis-datos/editar"))
    chosen = page.find("select", attrs={"name": "municipality"}).find("option", selected=True)
    assert chosen["value"] == "22006"
    assert page.find(id="municipio-de-respuestas") is None


def test_an_answer_that_is_not_a_municipality_of_the_state_is_not_used(client, login):
    page = html(login(_bare_citizen(municipality="99999")).get("/mis-datos/editar"))
    assert page.find("select", attrs={"name": "municipality"}).find("option", selected=True) in (
        None,
        page.find("select", attrs={"name": "municipality"}).find("option", value=""),
    )
    assert page.find(id="municipio-de-respuestas") is None
