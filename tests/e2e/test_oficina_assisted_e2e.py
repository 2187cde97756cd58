"""Assisted mode in Chromium: a reviewer answers the questionnaire with a person, then applies.

axe (zero violations) runs on every page of the journey and after the htmx
swaps of the question panel.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from portal.models import Agency
from portal.web.extensions import db
from tests.eligibility.test_questionnaire_views import ANSWERS

from ..factories import make_citizen, make_staff
from .conftest import assert_accessible
from .test_oficina_review_e2e import _sign_in
from .test_questionnaire_e2e import _answer


@pytest.fixture
def counter(live_app):
    """A SEDESOQ reviewer, and a woman of 40 in Querétaro city who has no digital ID."""
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        reviewer = make_staff(
            "revisor",
            Agency.get(Agency.slug == "sedesoq"),
            email=f"ventanilla-{uuid.uuid4().hex[:6]}@sedesoq.example.org",
        )
        person = make_citizen(birth_date=dt.date(1986, 4, 10), sex="M", origin="assisted")
        db.close()
    return reviewer.email, person


def test_reviewer_answers_the_questionnaire_with_the_person_and_applies(page, base_url, counter):
    email, person = counter
    _sign_in(page, base_url, email, check=False)
    page.goto(f"{base_url}/oficina/ventanilla")
    page.get_by_label("CURP de la persona").fill(person.curp)
    page.get_by_role("button", name="Buscar").click()
    page.get_by_label("Número o folio de la identificación").fill("123456789")
    page.get_by_role("button", name="Registrar identificación").click()
    assert_accessible(page)

    page.get_by_role("link", name="Contestar el cuestionario con la persona").click()
    assert "/cuestionario/pregunta/" in page.url
    assert "En ventanilla, con" in page.locator("#panel .caption").first.inner_text()
    assert_accessible(page)
    asked = []
    while "/pregunta/" in page.url:
        field = page.url.rsplit("/", 1)[1]
        asked.append(field)
        _answer(page, field)
        before = page.url
        page.evaluate("window.__same_page = true")
        page.get_by_role("button", name="Continuar").click()
        page.wait_for_url(lambda url, before=before: url != before)
        page.wait_for_selector("#panel")
        # htmx swapped the panel: the page itself stayed.
        assert page.evaluate("window.__same_page === true")
        assert_accessible(page)
        assert len(asked) <= 10
    assert page.url.endswith("/cuestionario/revisar")
    assert not {"birth_date", "sex", "municipality"} & set(asked)
    # The review reads the answers back from the person's record.
    income = int(ANSWERS["household_income_monthly"])
    assert f"${income:,} al mes" in page.locator(".summary-list").inner_text()

    page.get_by_role("link", name="Ver los resultados").click()
    assert_accessible(page)
    # The hidden program name makes each button's accessible name distinct.
    page.get_by_role(
        "button", name=re.compile(r"^Empezar solicitud a su nombre\W+Tarjeta Contigo$")
    ).click()
    assert "/oficina/ventanilla/solicitudes/" in page.url
    assert page.get_by_role("heading", level=1).inner_text().startswith("Tarjeta Contigo")
    # The answers are in: the draft no longer asks for the questionnaire.
    assert page.get_by_role("link", name="Contestar el cuestionario con la persona").count() == 0
    assert_accessible(page)
