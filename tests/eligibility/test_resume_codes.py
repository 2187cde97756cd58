"""Resume codes: how long they last (and the pages say so), expired codes
refused with their own message and emptied at once, and guesses limited per
client and for everybody together (portal/web/limits.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.eligibility import answers as store
from portal.models import ResumeCode, utcnow
from tests.support.html import html

pytestmark = pytest.mark.usefixtures("app")

WRONG = "2222-2222"


def resume(client, code, address="192.0.2.1"):
    return client.post(
        "/cuestionario/retomar", data={"code": code}, environ_base={"REMOTE_ADDR": address}
    )


def test_a_code_lasts_seven_days():
    code = store.save_for_later({"sex": "M"}, ["sex"])
    row = ResumeCode.get(ResumeCode.code == code)
    assert row.expires_at - row.created_at == dt.timedelta(days=7)


def test_the_page_with_the_code_says_until_when_it_works(client):
    with client.session_transaction() as session:
        session["answers"] = {"sex": "M"}
    assert client.post("/cuestionario/guardar").status_code == 303
    text = html(client.get("/cuestionario/codigo")).get_text(" ", strip=True)
    assert "durante 7 días" in text
    until = ResumeCode.get().expires_at
    assert "El código vale hasta el" in text and until.strftime("%Y") in text


def test_the_page_where_the_code_is_typed_says_how_long_codes_last(client):
    assert "Cada código vale 7 días" in html(client.get("/cuestionario")).get_text()


def test_an_expired_code_is_refused_saying_it_expired(client):
    code = store.save_for_later({"sex": "M"}, ["sex"], now=utcnow() - dt.timedelta(days=8))
    response = resume(client, code)
    assert response.status_code == 422
    summary = html(response).select_one(".error-summary").get_text(" ", strip=True)
    assert "Este código ya venció" in summary and "duran 7 días" in summary
    # Nothing was brought back into the session.
    assert "Continuar donde se quedó" not in html(client.get("/cuestionario")).get_text()


def test_a_code_one_minute_before_expiring_still_works(client):
    code = store.save_for_later(
        {"sex": "M"}, ["sex"], now=utcnow() - dt.timedelta(days=7) + dt.timedelta(minutes=1)
    )
    assert resume(client, code).status_code == 303


def test_expired_answers_are_erased_at_once_and_the_code_forgotten_a_week_later():
    now = utcnow()
    expired = store.save_for_later({"sex": "M"}, ["sex"], now=now - dt.timedelta(days=8))
    long_gone = store.save_for_later({"sex": "H"}, ["sex"], now=now - dt.timedelta(days=15))
    live = store.save_for_later({"sex": "H"}, ["sex"], now=now)
    row = ResumeCode.get(ResumeCode.code == expired)
    assert (row.answers, row.asked) == ({}, [])
    assert not ResumeCode.select().where(ResumeCode.code == long_gone).exists()
    assert ResumeCode.get(ResumeCode.code == live).answers == {"sex": "H"}


def test_ten_wrong_codes_from_one_client_stop_its_guessing(client):
    code = store.save_for_later({"sex": "M"}, ["sex"])
    for _ in range(10):
        assert resume(client, WRONG).status_code == 422
    refused = resume(client, code)  # even the right code, from this client, for now
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert html(refused).h1.get_text() == "Demasiados intentos"
    # Another client types its own code as usual.
    assert resume(client, code, address="192.0.2.2").status_code == 303


def test_right_codes_do_not_count_as_guesses(client):
    code = store.save_for_later({"sex": "M"}, ["sex"])
    for _ in range(15):
        assert resume(client, code).status_code == 303


@pytest.mark.parametrize("typed", ["", "ABC"])
def test_codes_that_cannot_be_read_count_too(client, typed):
    for _ in range(10):
        assert resume(client, typed).status_code == 422
    assert resume(client, WRONG).status_code == 429


def test_guesses_from_many_clients_are_limited_for_the_whole_code_space(client):
    for n in range(20):  # 20 clients, 10 guesses each: 200, the hour's budget
        for _ in range(10):
            assert resume(client, WRONG, address=f"198.51.100.{n}").status_code == 422
    code = store.save_for_later({"sex": "M"}, ["sex"])
    assert resume(client, WRONG, address="203.0.113.99").status_code == 429
    # A person with the right code is not a guesser: right codes still work.
    assert resume(client, code, address="203.0.113.98").status_code == 429
