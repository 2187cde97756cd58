"""Phones as people write them: one 10-digit number kept, shown in groups."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.citizens import record as citizens
from portal.citizens.phones import PhoneError, display_phone, normalise_phone, sms_address
from portal.models import Citizen
from tests.factories import make_citizen
from tests.support.html import html


@pytest.mark.parametrize(
    "typed",
    [
        "4421234567",
        "442 123 4567",
        "442-123-4567",
        "442.123.4567",
        "(442) 123 4567",
        "(442)123-45-67",
        " 442 123 45 67 ",
        "442\u00a0123\u00a04567",
        "４４２１２３４５６７",
        "442–123–4567",
        "+52 442 123 4567",
        "+52 (442) 123-4567",
        "+524421234567",
        "52 442 123 4567",
        "524421234567",
        "+52 1 442 123 4567",
        "5214421234567",
        "01 442 123 4567",
        "044 442 123 4567",
        "045 442 123 4567",
    ],
)
def test_a_phone_is_kept_as_its_ten_digits(typed):
    assert normalise_phone(typed) == "4421234567"


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "Escriba los 10 dígitos"),
        ("44-21", "Faltan números"),
        ("442 123 456", "Faltan números"),
        ("442 123 45678", "Sobran números"),
        ("+52 442 123 456 78", "Sobran números"),
        ("442 ABC 4567", "solo números"),
        ("442 123 4567 ext. 12", "solo números"),
        ("+1 415 555 0100", "teléfono de México"),
        ("0442123456", "nunca con 0 ni 1"),
        ("1442123456", "nunca con 0 ni 1"),
    ],
)
def test_a_phone_that_cannot_be_mexican_is_refused_saying_what_to_type(typed, said):
    with pytest.raises(PhoneError) as refused:
        normalise_phone(typed)
    assert said in refused.value.message
    assert "442 123 4567" in refused.value.message


national = st.from_regex(r"[2-9][0-9]{9}", fullmatch=True)
separators = st.lists(st.sampled_from(["", " ", "-", ".", "  "]), min_size=10, max_size=10)
prefixes = st.sampled_from(["", "+52", "+52 ", "+52 1 ", "52", "521", "01", "044 ", "045-"])


@given(national, separators, prefixes, st.booleans())
def test_any_decorated_number_comes_back_to_itself(number, gaps, prefix, bracketed):
    body = number
    if bracketed:
        body = f"({number[:3]}){number[3:]}"
    decorated = prefix + "".join(
        c + gaps[i] if c.isdigit() and i < 10 else c for i, c in enumerate(body)
    )
    assert normalise_phone(decorated) == number


@given(st.text(max_size=20))
def test_normalising_twice_changes_nothing(text):
    try:
        once = normalise_phone(text)
    except PhoneError:
        return
    assert normalise_phone(once) == once


def test_a_phone_is_shown_in_groups_and_sent_with_the_country_code():
    assert display_phone("4421234567") == "442 123 4567"
    assert display_phone("") == ""
    assert display_phone("12-34") == "12-34"  # an old value is shown as stored
    assert sms_address("4421234567") == "+524421234567"
    assert sms_address("12-34") is None


def test_the_record_keeps_the_ten_digits_whoever_saves_it(app):
    person = make_citizen()
    citizens.update_contact(person, {"phone": "442 123 4567"}, None, citizens.Actor.citizen(1))
    assert Citizen.get_by_id(person.id).phone == "4421234567"
    with pytest.raises(PhoneError):
        citizens.update_contact(person, {"phone": "44-21"}, None, citizens.Actor.citizen(1))
    assert Citizen.get_by_id(person.id).phone == "4421234567"


def test_my_data_saves_a_spaced_phone_as_ten_digits_and_shows_it_grouped(client, login):
    person = make_citizen(privacy_version=citizens.PRIVACY_VERSION)
    login(person)
    response = client.post(
        "/mis-datos/editar", data={"notify_channel": "sms", "phone": "442 123 4567"}
    )
    assert response.status_code == 303
    assert Citizen.get_by_id(person.id).phone == "4421234567"
    assert "442 123 4567" in html(client.get("/mis-datos")).get_text()


def test_my_data_refuses_a_short_phone_and_saves_nothing(client, login):
    person = make_citizen(privacy_version=citizens.PRIVACY_VERSION, phone="4271112233")
    login(person)
    response = client.post(
        "/mis-datos/editar",
        data={"notify_channel": "sms", "phone": "44-21", "road_name": "Hidalgo"},
    )
    assert response.status_code == 422
    summary = html(response).find(class_="error-summary").get_text()
    assert "Escriba los 10 dígitos de su teléfono, por ejemplo 442 123 4567." in summary
    stored = Citizen.get_by_id(person.id)
    assert (stored.phone, stored.road_name) == ("4271112233", "")
