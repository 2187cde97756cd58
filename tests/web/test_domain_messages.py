"""Refusals raised by domain code are shown in the person's language, stored in Spanish."""

from __future__ import annotations

import json

import pytest

from portal.catalog.store import load_catalog
from portal.eligibility import answers
from portal.messages import _l, spanish
from tests.catalog_builders import demo_catalog
from tests.support.html import html

NOT_FOUND_ES = "No encontramos respuestas con ese código. Revíselo; los códigos duran 7 días."
NOT_FOUND_EN = "We found no answers with that code. Check it; codes last 7 days."


def _refusal(client) -> str:
    response = client.post("/cuestionario/retomar", data={"code": "2222-2222"})
    assert response.status_code == 422
    return html(response).select_one(".error-summary").get_text(" ", strip=True)


def test_a_domain_refusal_is_shown_in_english_to_whoever_chose_english(client):
    load_catalog(demo_catalog())
    client.get("/idioma/en")
    shown = _refusal(client)
    assert NOT_FOUND_EN in shown
    assert NOT_FOUND_ES not in shown


def test_the_same_refusal_is_in_spanish_by_default(client):
    load_catalog(demo_catalog())
    assert NOT_FOUND_ES in _refusal(client)


def test_outside_a_request_a_domain_message_is_its_spanish_source(app):
    with pytest.raises(answers.CodeError) as refused:
        answers.find_saved("2222-2222")
    assert str(refused.value) == NOT_FOUND_ES
    assert f"{refused.value}" == NOT_FOUND_ES


def test_what_is_stored_stays_spanish_in_an_english_request(app):
    message = _l("Falta el documento «%(name)s».", name="Acta")
    with app.test_request_context("/", headers={"Cookie": "vu_idioma=en"}):
        assert str(message) == "The document “Acta” is missing."
        assert spanish(message) == "Falta el documento «Acta»."
        assert app.json.dumps({"m": message}) == json.dumps(
            {"m": "The document “Acta” is missing."}
        )
    assert str(message) == spanish(message) == "Falta el documento «Acta»."
