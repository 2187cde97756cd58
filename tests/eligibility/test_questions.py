"""The needs questionnaire: every question feeds a rule, questions come in a
useful order, none is asked twice, and the demo personas finish quickly."""

from __future__ import annotations

import statistics
from datetime import date

import pytest

from portal.eligibility.engine import Status, compile_catalog, evaluate
from portal.eligibility.profile import DONT_KNOW, AnswerError
from portal.eligibility.questions import (
    QuestionsError,
    check_coverage,
    load_questions,
    next_question,
)
from tests.catalog_builders import born_years_ago, demo_catalog, demo_state, make_program, rule

ON = date(2026, 6, 15)
QUESTIONS = load_questions(demo_state().municipalities)
CATALOG = demo_catalog()
COMPILED = compile_catalog(CATALOG.programs)


def ask(answers, compiled=COMPILED, questions=QUESTIONS):
    question = next_question(answers, compiled, ON, questions=questions)
    return question.field if question else None


def question(field):
    return next(q for q in QUESTIONS if q.field == field)


def test_every_question_feeds_a_rule_and_every_rule_has_its_question():
    assert check_coverage(QUESTIONS, CATALOG.programs) == []


def test_coverage_reports_a_rule_whose_answer_is_never_asked():
    without_birth_date = [q for q in QUESTIONS if q.field != "birth_date"]
    problems = check_coverage(without_birth_date, CATALOG.programs)
    assert (
        'programa "tarjeta-contigo": eligibility[1].field: '
        "age necesita la pregunta «birth_date», que no existe"
    ) in problems


def test_coverage_reports_a_question_that_feeds_no_rule():
    programs = [p for p in CATALOG.programs if p.slug != "pueblos-indigenas"]
    assert check_coverage(QUESTIONS, programs) == [
        "la pregunta «indigenous» no alimenta ninguna regla del catálogo"
    ]


def test_municipality_options_come_from_the_state_list():
    options = question("municipality").options
    assert len(options) == 18
    assert (options[0].value, options[0].label) == ("22001", "Amealco de Bonfil")
    assert (options[13].value, options[13].label) == ("22014", "Querétaro")


@pytest.mark.parametrize(
    ("field", "offered"),
    [
        ("birth_date", False),
        ("sex", False),
        ("municipality", False),
        ("household_income_monthly", True),
        ("disability", True),
    ],
)
def test_no_se_is_offered_only_where_it_is_an_honest_answer(field, offered):
    assert question(field).dont_know is offered


# Order


def test_the_first_question_is_the_one_every_program_needs():
    # Every demo program is only for people living in Querétaro.
    assert ask({}) == "municipality"


def test_then_the_field_most_undecided_programs_need():
    assert ask({"municipality": "22014"}) == "birth_date"


def test_ties_follow_the_order_of_the_questions_file():
    answers = {"municipality": "22014", "birth_date": born_years_ago(34, ON)}
    # household_size and household_income_monthly decide 3 programs each.
    assert ask(answers) == "household_size"


def test_a_man_is_never_asked_whether_he_is_pregnant():
    asked, _ = simulate(PERSONAS["hombre-45-empleo-formal"])
    assert "sex" in asked
    assert "pregnant" not in asked


def test_an_answer_of_no_se_is_not_asked_again_nor_are_answers_that_only_served_it():
    answers = {
        "municipality": "22014",
        "birth_date": born_years_ago(34, ON),
        "household_income_monthly": None,
    }
    # Without the income, household size only helps "Mejora tu Vivienda" (3 or more
    # people), no longer the per-person income rules of two other programs; sex
    # decides two programs, so it comes first.
    assert ask(answers) == "sex"


def test_nothing_is_asked_when_only_no_se_answers_are_missing():
    program = make_program(rule("income_per_capita", "lt", 3000))
    compiled = compile_catalog([program])
    # Household size could not decide the rule while income is unknown.
    assert ask({"household_income_monthly": None}, compiled) is None


def test_nothing_is_asked_once_every_program_is_decided():
    answers = {"municipality": "09007"}  # Mexico City: no demo program applies
    assert ask(answers) is None


def test_questions_for_fields_the_catalog_needs_but_the_file_lacks_are_not_invented():
    only_municipality = [question("municipality")]
    assert ask({"municipality": "22014"}, questions=only_municipality) is None


# Demo personas


def persona(age, sex, municipality, household, income, **rest):
    profile = {
        "birth_date": born_years_ago(age, ON),
        "sex": sex,
        "municipality": municipality,
        "household_size": household,
        "household_income_monthly": income,
        "children_ages": (),
        "student_level": "ninguno",
        "disability": False,
        "indigenous": False,
        "pregnant": False,
    }
    return profile | rest


PERSONAS = {
    "mujer-34-dos-hijos": persona(
        34, "M", "22014", 4, 9000, children_ages=(2, 6), employment="empleo_informal"
    ),
    "hombre-20-universitario": persona(
        20, "H", "22016", 5, 12000, student_level="licenciatura", employment="estudiante"
    ),
    "hombre-72-jubilado": persona(72, "H", "22001", 2, 4000, employment="jubilado"),
    "hombre-45-discapacidad": persona(
        45, "H", "22011", 3, 15000, disability=True, employment="empleo_formal"
    ),
    "mujer-23-embarazada": persona(
        23, "M", "22006", 3, 5000, pregnant=True, children_ages=(1,), employment="desempleo"
    ),
    "hombre-45-empleo-formal": persona(45, "H", "22014", 4, 30000, employment="empleo_formal"),
}


def simulate(profile):
    """Answer questions from ``profile`` until the questionnaire stops; return the fields asked."""
    answers = {}
    asked = []
    while (field := ask(answers)) is not None:
        assert field not in answers, f"{field} asked twice"
        asked.append(field)
        answers[field] = profile[field]
    return asked, answers


@pytest.mark.parametrize("name", sorted(PERSONAS))
def test_each_persona_ends_with_every_program_decided(name):
    asked, answers = simulate(PERSONAS[name])
    assert len(asked) == len(set(asked))
    results = evaluate(answers, COMPILED, ON)
    assert [r.program for r in results if r.status is Status.MAYBE] == []
    # Stopping early changed no verdict: the full profile only adds reasons.
    for early, full in zip(results, evaluate(PERSONAS[name], COMPILED, ON)):
        assert early.status is full.status
        assert set(early.reasons) <= set(full.reasons)


def test_demo_personas_reach_a_result_in_a_median_of_at_most_10_answers():
    counts = [len(simulate(profile)[0]) for profile in PERSONAS.values()]
    assert statistics.median(counts) <= 10, counts


# Answers from the form


def test_a_form_answer_is_parsed_into_the_profile_value():
    assert question("children_ages").parse("6, 2") == (2, 6)
    assert question("children_ages").parse("ninguno") == ()
    assert question("household_income_monthly").parse("$9,000") == 9000
    assert question("disability").parse("si") is True
    assert question("student_level").parse("ninguno") == "ninguno"
    assert question("birth_date").parse("1992-03-14") == date(1992, 3, 14)


def test_no_se_becomes_none_where_offered():
    assert question("household_income_monthly").parse(DONT_KNOW) is None


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("birth_date", DONT_KNOW, "Elija o escriba una respuesta."),
        ("birth_date", "", "Responda la pregunta para continuar."),
        ("birth_date", "14/03/1992", "Escriba la fecha como año-mes-día, por ejemplo 1990-05-31."),
        ("birth_date", "2026-06-16", "La fecha no puede ser posterior a hoy."),
        ("sex", "F", "Elija una de las opciones."),
        ("municipality", "09007", "Elija una de las opciones."),
        ("household_size", "0", "Escriba un número de 1 o más."),
        ("household_size", "cuatro", "Escriba un número entero, por ejemplo 4."),
        (
            "children_ages",
            "2, 25",
            "Escriba edades en años cumplidos, de 0 a 17, separadas por comas.",
        ),
    ],
)
def test_a_bad_answer_gets_a_plain_spanish_message(field, raw, message):
    with pytest.raises(AnswerError) as error:
        question(field).parse(raw, on=ON)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("birth_date", date(1992, 3, 14), "14 de marzo de 1992"),
        ("sex", "M", "Mujer"),
        ("municipality", "22016", "San Juan del Río"),
        ("household_income_monthly", 9000, "$9,000 al mes"),
        ("household_income_monthly", None, "No sé"),
        ("children_ages", (2, 6), "2 y 6 años"),
        ("children_ages", (1,), "1 año"),
        ("children_ages", (), "No tengo hijas ni hijos menores de 18 años"),
        ("disability", False, "No"),
        ("household_size", 4, "4"),
    ],
)
def test_answers_are_shown_back_as_the_person_would_say_them(field, value, shown):
    assert question(field).display(value) == shown


# The questions file


def write_questions(tmp_path, text):
    path = tmp_path / "preguntas.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("questions:\n  - {field: age, text: Edad, input: number}\n",
         'preguntas.yaml: questions[0]: field: "age" no es un dato que la persona responde'),
        ("questions:\n  - {field: sex, text: Sexo, input: yes_no}\n",
         'preguntas.yaml: questions[0]: input: "yes_no" no sirve para sex'),
        ("questions:\n  - {field: sex, text: Sexo, input: choice, options: [{value: M, label: Mujer}]}\n",
         "preguntas.yaml: questions[0]: options: deben ser exactamente H, M, X"),
        ("questions:\n  - {field: pregnant, text: Embarazo, input: yes_no, ayuda: x}\n",
         'preguntas.yaml: questions[0]: clave desconocida "ayuda"'),
        (("questions:\n  - {field: pregnant, text: a, input: yes_no}\n"
          "  - {field: pregnant, text: b, input: yes_no}\n"),
         "preguntas.yaml: hay dos preguntas para «pregnant»"),
    ],
)  # fmt: skip
def test_a_questions_file_that_does_not_fit_the_profile_is_refused(tmp_path, text, problem):
    with pytest.raises(QuestionsError) as error:
        load_questions([], write_questions(tmp_path, text))
    assert error.value.problems == [problem]
