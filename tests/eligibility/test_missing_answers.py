"""Item 1 of issue 18: applying to a "maybe" asks exactly the missing answers on the way.

The application page of a program the engine cannot decide yet sends the
person through the answers it needs (those answered "No sé" too), one per
page, and back to the application; when an answer is still unknown the page
names it. Everything else is refused as before.
"""

from __future__ import annotations

import pytest

from portal.models import Application, Citizen
from tests.factories import make_citizen, make_program, make_staff
from tests.support.html import html

POOR = {
    "field": "income_per_capita",
    "op": "lte",
    "value": 3000,
    "reason": "Es para hogares de ingreso bajo.",
}
DISABILITY = {
    "field": "disability",
    "op": "is_true",
    "reason": "Es para personas con discapacidad.",
}


@pytest.fixture
def program(app):
    return make_program(eligibility=[POOR, DISABILITY])


def _apply_url(program) -> str:
    return f"/programas/{program.slug}/solicitar"


def _follow(client, url: str) -> str:
    """Follow redirects as a browser would; the address that answers 200 (or the last one)."""
    response = client.get(url)
    while response.status_code in (302, 303):
        url = response.headers["Location"]
        response = client.get(url)
    return url


def test_a_maybe_is_asked_its_missing_answers_then_continues_the_application(login, program):
    client = login(make_citizen())
    asked = []
    url = _follow(client, _apply_url(program))
    answers = {"household_size": "4", "household_income_monthly": "8000", "disability": "si"}
    while "/para-solicitar/" in url:
        field = url.rsplit("/", 1)[1]
        asked.append(field)
        page = html(client.get(url))
        assert "nos falta saber esto" in page.select_one(".question-panel").get_text()
        response = client.post(url, data={"answer": answers[field]})
        assert response.status_code == 303
        url = _follow(client, response.headers["Location"])
    assert asked == ["household_size", "household_income_monthly", "disability"]
    assert url == _apply_url(program)
    page = html(client.get(url))
    assert page.select_one(f"form[action='{_apply_url(program)}']")
    assert not page.select(".notice-error")


def test_the_pass_asks_only_what_is_missing(login, program):
    citizen = make_citizen(profile={"household_size": 2, "disability": True})
    client = login(citizen)
    location = client.get(_apply_url(program)).headers["Location"]
    assert location == f"/cuestionario/para-solicitar/{program.slug}"
    location = client.get(location).headers["Location"]
    location = client.get(location).headers["Location"]
    assert location.endswith("/pregunta/household_income_monthly")


def test_a_dont_know_is_asked_again_and_still_unknown_is_named(login, program):
    citizen = make_citizen(profile={"household_size": 4, "household_income_monthly": None})
    client = login(citizen)
    url = _follow(client, _apply_url(program))
    assert url.endswith("/pregunta/household_income_monthly")
    form = html(client.get(url))
    assert form.select_one("input[name=dont_know]").has_attr("checked")
    client.post(url, data={"dont_know": "y"})
    url = _follow(client, f"/cuestionario/para-solicitar/{program.slug}/siguiente")
    assert url.endswith("/pregunta/disability")
    response = client.post(url, data={"answer": "si"})
    # Asked once in this pass: the application page names what is missing.
    assert client.get(response.headers["Location"]).headers["Location"] == _apply_url(program)
    notice = html(client.get(_apply_url(program))).select_one(".notice-error")
    notice = notice.get_text(" ", strip=True)
    assert "ingreso mensual del hogar" in notice


def test_the_application_page_names_the_missing_answer_after_the_pass(login, program):
    citizen = make_citizen(profile={"household_size": 4, "disability": True})
    client = login(citizen)
    url = _follow(client, _apply_url(program))
    client.post(url, data={"dont_know": "y"})
    response = client.get(f"/cuestionario/para-solicitar/{program.slug}/siguiente")
    assert response.headers["Location"] == _apply_url(program)
    page = html(client.get(_apply_url(program)))
    notice = page.select_one(".notice-error").get_text(" ", strip=True)
    assert "Nos faltan datos" in notice and "ingreso mensual del hogar" in notice
    assert page.find("a", string="Contestar los datos que faltan")["href"] == (
        f"/cuestionario/para-solicitar/{program.slug}"
    )
    assert not page.select(f"form[action='{_apply_url(program)}']")
    # Never a dead end: the next visit asks again.
    again = client.get(_apply_url(program))
    assert again.headers["Location"] == f"/cuestionario/para-solicitar/{program.slug}"


def test_an_eligible_or_refused_program_is_not_sent_through_the_pass(login, program):
    eligible = make_citizen(
        profile={"household_size": 4, "household_income_monthly": 4000, "disability": True}
    )
    assert login(eligible).get(_apply_url(program)).status_code == 200


def test_a_not_eligible_person_gets_the_reason_not_questions(login, program):
    citizen = make_citizen(profile={"household_size": 1, "household_income_monthly": 9000})
    page = html(login(citizen).get(_apply_url(program)))
    assert "Es para hogares de ingreso bajo." in page.select_one(".notice-error").get_text()


def test_a_wrong_answer_in_the_pass_is_refused_and_nothing_saved(login, program):
    citizen = make_citizen()
    client = login(citizen)
    url = f"/cuestionario/para-solicitar/{program.slug}/pregunta/household_size"
    for bad in ("", "muchos", "0", "41"):
        response = client.post(url, data={"answer": bad})
        assert response.status_code == 422, bad
        assert html(response).select_one(".error-summary, [role=alert]")
    assert Citizen.get_by_id(citizen.id).profile == {}
    assert Application.select().count() == 0


def test_the_pass_refuses_what_is_not_a_question_or_not_the_persons(login, program):
    client = login(make_citizen())
    base = f"/cuestionario/para-solicitar/{program.slug}"
    assert client.get(f"{base}/pregunta/no_existe").status_code == 404
    # The digital ID says the birth date: never asked.
    assert client.get(f"{base}/pregunta/birth_date").status_code == 404
    assert client.get("/cuestionario/para-solicitar/no-existe").status_code == 404
    assert client.get("/cuestionario/para-solicitar/no-existe/siguiente").status_code == 404


def test_the_pass_is_for_signed_in_citizens_only(client, login, program):
    base = f"/cuestionario/para-solicitar/{program.slug}"
    anonymous = client.get(base)
    assert anonymous.status_code in (302, 303, 401)
    assert anonymous.headers["Location"].startswith("/entrar")
    login(make_staff())
    assert client.get(base).status_code == 403
    assert client.get(f"{base}/pregunta/household_size").status_code == 403


def test_with_htmx_the_pass_swaps_the_panel_and_ends_on_the_whole_application_page(login, program):
    citizen = make_citizen(profile={"household_size": 4, "household_income_monthly": 4000})
    client = login(citizen)
    htmx = {"HX-Request": "true"}
    url = f"/cuestionario/para-solicitar/{program.slug}/pregunta/disability"
    fragment = client.get(url, headers=htmx)
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="panel"')
    response = client.post(url, data={"answer": "si"}, headers=htmx)
    assert response.status_code == 303
    end = client.get(response.headers["Location"], headers=htmx)
    assert end.status_code == 204
    assert end.headers["HX-Redirect"] == _apply_url(program)


def test_answers_on_the_way_are_rate_limited_per_person(login, program):
    client = login(make_citizen())
    url = f"/cuestionario/para-solicitar/{program.slug}/pregunta/household_size"
    for _ in range(60):
        assert client.post(url, data={"answer": "x"}).status_code == 422
    assert client.post(url, data={"answer": "x"}).status_code == 429
