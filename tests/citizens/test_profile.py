"""Profile answers: raw strings and JSON values become typed values, with plain
Spanish messages for what cannot be read; "No sé" is kept apart from "not asked"."""

from __future__ import annotations

from datetime import date

import pytest

from portal.catalog.geography import load_state
from portal.eligibility.profile import (
    ANSWERED_FIELDS,
    DONT_KNOW,
    FIELDS,
    AnswerError,
    ProfileError,
    parse_profile,
    parse_value,
    profile_to_json,
    read_profiles,
)


@pytest.mark.parametrize(
    ("field", "raw", "value"),
    [
        ("birth_date", "1992-03-14", date(1992, 3, 14)),
        ("birth_date", date(1992, 3, 14), date(1992, 3, 14)),
        ("sex", "m", "M"),
        ("municipality", " 22014 ", "22014"),
        ("household_size", "4", 4),
        ("household_size", 4, 4),
        ("household_income_monthly", "$9,000", 9000),
        ("household_income_monthly", "9 000.50", 9000.5),
        ("household_income_monthly", 0, 0),
        ("children_ages", "6, 2 y 0", (0, 2, 6)),
        ("children_ages", [3, "1"], (1, 3)),
        ("children_ages", "ninguno", ()),
        ("student_level", "licenciatura", "licenciatura"),
        ("employment", "hogar", "hogar"),
        ("disability", "sí", True),
        ("disability", "no", False),
        ("pregnant", False, False),
        ("enrolled", ["tarjeta-contigo", "tarjeta-contigo", "adultos-mayores"],
         ("tarjeta-contigo", "adultos-mayores")),
        ("household_income_monthly", DONT_KNOW, None),
        ("household_income_monthly", None, None),
    ],
)  # fmt: skip
def test_answers_are_read_into_typed_values(field, raw, value):
    assert parse_value(field, raw) == value


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("birth_date", "1899-12-31", "Revise el año: debe ser 1900 o posterior."),
        ("sex", "F", "Elija una de las opciones: H, M, X."),
        ("municipality", "2214", "Elija su municipio de la lista."),
        ("municipality", "22000", "Elija su municipio de la lista."),
        ("municipality", "33001", "Elija su municipio de la lista."),
        ("municipality", 22014, "Elija su municipio de la lista."),
        ("household_size", "0", "Escriba un número de 1 o más."),
        ("household_size", "41", "Escriba un número de 40 o menos."),
        ("household_size", "4.5", "Escriba un número entero, por ejemplo 4."),
        ("household_size", True, "Escriba un número entero."),
        ("household_income_monthly", "-10", "Escriba una cantidad en pesos, por ejemplo 9000."),
        ("household_income_monthly", "mucho", "Escriba una cantidad en pesos, por ejemplo 9000."),
        ("disability", "quizá", "Responda sí o no."),
        ("children_ages", "", "Escriba las edades separadas por comas, por ejemplo 2, 6."),
        ("enrolled", ["Tarjeta Contigo"], "«Tarjeta Contigo» no es la clave de un programa."),
        ("age", "30", "«age» se calcula a partir de: birth_date."),
        ("edad", "30", "No existe la pregunta «edad»."),
    ],
)
def test_unreadable_answers_get_a_plain_spanish_message(field, raw, message):
    with pytest.raises(AnswerError) as error:
        parse_value(field, raw)
    assert str(error.value) == message


def test_a_birth_date_in_the_future_is_refused_when_today_is_given():
    assert parse_value("birth_date", "2026-06-15", on=date(2026, 6, 15)) == date(2026, 6, 15)
    with pytest.raises(AnswerError):
        parse_value("birth_date", "2026-06-16", on=date(2026, 6, 15))


def test_parse_profile_reports_every_bad_answer_by_field():
    with pytest.raises(ProfileError) as error:
        parse_profile({"sex": "F", "household_size": "0", "municipality": "22014"})
    assert set(error.value.errors) == {"sex", "household_size"}


def test_not_asked_and_no_se_stay_apart_through_json():
    profile = parse_profile(
        {"birth_date": "1992-03-14", "household_income_monthly": None, "children_ages": [2, 6]}
    )
    assert "sex" not in profile  # not asked
    assert profile["household_income_monthly"] is None  # asked: "No sé"
    as_json = profile_to_json(profile)
    assert as_json == {
        "birth_date": "1992-03-14",
        "household_income_monthly": None,
        "children_ages": [2, 6],
    }
    assert parse_profile(as_json) == profile


def test_the_field_list_holds_the_issue_fields_and_their_derived_ones():
    assert ANSWERED_FIELDS == (
        "birth_date",
        "sex",
        "municipality",
        "household_size",
        "household_income_monthly",
        "children_ages",
        "student_level",
        "employment",
        "disability",
        "indigenous",
        "pregnant",
        "enrolled",
    )
    assert {name: FIELDS[name].sources for name in ("age", "income_per_capita", "in_state")} == {
        "age": ("birth_date",),
        "income_per_capita": ("household_income_monthly", "household_size"),
        "in_state": ("municipality",),
    }


def test_the_state_file_lists_the_18_municipalities_of_queretaro():
    state = load_state()
    assert (state.code, state.name) == ("22", "Querétaro")
    assert [m.code for m in state.municipalities] == [f"220{n:02d}" for n in range(1, 19)]
    assert state.municipality("22011").name == "El Marqués"
    assert state.municipality("09007") is None


def test_the_cli_reads_one_pretty_printed_profile():
    text = '{\n  "sex": "M",\n  "household_size": 3\n}\n'
    assert read_profiles(text) == [{"sex": "M", "household_size": 3}]


def test_the_cli_reads_json_lines_skipping_blank_ones():
    text = '{"sex": "M"}\n\n{"household_income_monthly": null}\n'
    assert read_profiles(text) == [{"sex": "M"}, {"household_income_monthly": None}]


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ('{"sex": "M"}\n{"sex": \n', {"línea 2": "JSON inválido: Expecting value"}),
        ('{"sex": "M"}\n[1, 2]\n', {"línea 2": "cada línea debe ser un objeto JSON"}),
        (
            '{"sex": "M"}\n{"sex": "F"}\n',
            {"línea 2: sex": "Elija una de las opciones: H, M, X."},
        ),
    ],
)
def test_a_bad_line_is_named_by_its_number(text, errors):
    with pytest.raises(ProfileError) as error:
        read_profiles(text)
    assert error.value.errors == errors
