"""The formatting layer for stored values (portal/web/values.py): every value
reads as words a person uses, never a key or a Python literal."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.eligibility.profile import FIELDS, Kind
from portal.web import values

LITERAL = re.compile(r"\b(True|False|None)\b|\[\d|\(\d|_")


def test_money_has_the_peso_sign_and_thousands_separators():
    assert values.money(8000) == "$8,000"
    assert values.money(1234.5) == "$1,234.50"
    assert values.money(-300) == "-$300"
    assert values.money(None) == "—"


def test_dates_read_in_words():
    assert values.long_date(dt.date(2026, 12, 3)) == "3 de diciembre de 2026"
    assert values.long_date(dt.datetime(1990, 5, 17, 8, 0)) == "17 de mayo de 1990"
    assert values.long_date(None) == ""


def test_ages_join_with_y_and_say_year_once():
    assert values.ages_text([2, 6]) == "2 y 6 años"
    assert values.ages_text([1]) == "1 año"
    assert values.ages_text([]) == "Ninguna"


def test_codes_read_by_their_names():
    assert values.sex_label("M") == "Mujer"
    assert values.sex_label("H") == "Hombre"
    assert values.municipality_name("22014") == "Querétaro"
    assert values.value_label("municipality", "22016") == "San Juan del Río"


def test_booleans_dont_know_and_money_answers():
    assert values.value_label("disability", False) == "No"
    assert values.value_label("pregnant", True) == "Sí"
    assert values.value_label("employment", None) == "No sé"
    assert values.value_label("household_income_monthly", 8000) == "$8,000 al mes"
    assert values.value_label("children_ages", [2, 6]) == "2 y 6 años"
    assert values.value_label("birth_date", "1990-05-17") == "17 de mayo de 1990"


def test_field_labels_are_words_and_follow_the_fields_spanish_names():
    for name, spec in FIELDS.items():
        label = values.field_label(name)
        assert label and "_" not in label, name
        assert label.lower() == str(spec.label).lower(), (name, label, spec.label)


def test_answer_rows_keep_the_questionnaire_order_and_skip_what_is_asked():
    rows = values.answer_rows(
        {"disability": False, "household_size": 4, "unknown_key": 1, "sex": "M"}, skip=("sex",)
    )
    assert rows == [("Personas en el hogar", "4"), ("Discapacidad", "No")]


def _value_for(kind: Kind, spec) -> st.SearchStrategy:
    if kind is Kind.DATE:
        return st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 31))
    if kind is Kind.CHOICE:
        return st.sampled_from(spec.choices)
    if kind is Kind.INTEGER:
        return st.integers(spec.minimum or 0, spec.maximum or 120)
    if kind is Kind.MONEY:
        return st.integers(0, 10_000_000) | st.floats(0, 1e7, allow_nan=False)
    if kind is Kind.BOOLEAN:
        return st.booleans()
    if kind is Kind.AGES:
        return st.lists(st.integers(0, 17), max_size=6)
    if kind is Kind.SLUGS:
        return st.lists(st.sampled_from(["tarjeta-contigo", "becas-basicas"]), max_size=2)
    if kind is Kind.MUNICIPALITY:
        return st.sampled_from(["22001", "22014", "22016"])
    return st.sampled_from(["22", "09", "15"])


field_and_value = st.sampled_from(sorted(FIELDS)).flatmap(
    lambda name: st.tuples(st.just(name), st.none() | _value_for(FIELDS[name].kind, FIELDS[name]))
)


@settings(max_examples=300, deadline=None)
@given(field_and_value)
def test_every_value_of_every_field_reads_as_words(pair):
    name, value = pair
    text = values.value_label(name, value)
    assert isinstance(text, str) and text.strip()
    assert not LITERAL.search(text), (name, value, text)


def test_money_read_again_is_the_same_text_in_each_language(app):
    """Amounts are formatted once per amount, pattern and locale (kept): the
    same amount reads the same, and each language keeps its own text."""
    with app.test_request_context():
        assert [values.money(8000), values.money(8000), values.money(1234.5)] == [
            "$8,000",
            "$8,000",
            "$1,234.50",
        ]
        assert values.people_count(-1234) == "-1,234"
    assert values._decimal(1234.5, "#,##0.00", "de_DE") == "1.234,50"


def test_the_language_is_read_once_per_request_and_each_request_has_its_own(app):
    from portal.web.i18n import LANGUAGE_COOKIE, content_language

    with app.app_context():  # requests of one app context share g, not the request
        with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}):
            assert content_language() == "en" == content_language()
        with app.test_request_context():
            assert content_language() == "es"
        with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}=xx"}):
            assert content_language() == "es"
