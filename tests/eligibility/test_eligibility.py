"""The eligibility engine: operators at their limits, maybe and missing answers,
enrollment and exclusion groups, derived fields, calls and quotas."""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.eligibility.engine import ALREADY_RECEIVES, Status, compile_catalog, evaluate
from portal.eligibility.profile import EMPLOYMENTS, SEXES, STUDENT_LEVELS, ProfileError, derive
from tests.catalog_builders import born_years_ago, demo_catalog, make_program, rule

ON = date(2026, 6, 15)


def judge(program, profile, on=ON, **kwargs):
    [result] = evaluate(profile, [program], on, **kwargs)
    return result


def status_of(condition, profile):
    return judge(make_program(condition), profile).status


E, N = Status.ELIGIBLE, Status.NOT_ELIGIBLE


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        # eq / ne on a whole number: limit-1, limit, limit+1
        (rule("household_size", "eq", 4), 3, N),
        (rule("household_size", "eq", 4), 4, E),
        (rule("household_size", "eq", 4), 5, N),
        (rule("household_size", "ne", 4), 3, E),
        (rule("household_size", "ne", 4), 4, N),
        (rule("household_size", "ne", 4), 5, E),
        # lt / lte / gt / gte
        (rule("household_size", "lt", 4), 3, E),
        (rule("household_size", "lt", 4), 4, N),
        (rule("household_size", "lt", 4), 5, N),
        (rule("household_size", "lte", 4), 3, E),
        (rule("household_size", "lte", 4), 4, E),
        (rule("household_size", "lte", 4), 5, N),
        (rule("household_size", "gt", 4), 3, N),
        (rule("household_size", "gt", 4), 4, N),
        (rule("household_size", "gt", 4), 5, E),
        (rule("household_size", "gte", 4), 3, N),
        (rule("household_size", "gte", 4), 4, E),
        (rule("household_size", "gte", 4), 5, E),
        # between is inclusive at both ends
        (rule("household_size", "between", [3, 6]), 2, N),
        (rule("household_size", "between", [3, 6]), 3, E),
        (rule("household_size", "between", [3, 6]), 4, E),
        (rule("household_size", "between", [3, 6]), 5, E),
        (rule("household_size", "between", [3, 6]), 6, E),
        (rule("household_size", "between", [3, 6]), 7, N),
        # in / not_in: just outside, at each end, inside
        (rule("household_size", "in", [3, 5]), 2, N),
        (rule("household_size", "in", [3, 5]), 3, E),
        (rule("household_size", "in", [3, 5]), 4, N),
        (rule("household_size", "in", [3, 5]), 5, E),
        (rule("household_size", "in", [3, 5]), 6, N),
        (rule("household_size", "not_in", [3, 5]), 2, E),
        (rule("household_size", "not_in", [3, 5]), 3, N),
        (rule("household_size", "not_in", [3, 5]), 4, E),
        (rule("household_size", "not_in", [3, 5]), 5, N),
        (rule("household_size", "not_in", [3, 5]), 6, E),
    ],
)
def test_comparison_operators_at_their_limits(condition, value, expected):
    assert status_of(condition, {"household_size": value}) is expected


@pytest.mark.parametrize(
    ("condition", "ages", "expected"),
    [
        (rule("children_ages", "any_lt", 4), (3,), E),
        (rule("children_ages", "any_lt", 4), (4,), N),
        (rule("children_ages", "any_lt", 4), (5,), N),
        (rule("children_ages", "any_lt", 4), (10, 3), E),
        (rule("children_ages", "any_lt", 4), (), N),
        (rule("children_ages", "any_gte", 6), (5,), N),
        (rule("children_ages", "any_gte", 6), (6,), E),
        (rule("children_ages", "any_gte", 6), (7,), E),
        (rule("children_ages", "any_gte", 6), (2, 6), E),
        (rule("children_ages", "any_gte", 6), (), N),
    ],
)
def test_list_operators_hold_if_any_child_satisfies_them(condition, ages, expected):
    assert status_of(condition, {"children_ages": ages}) is expected


@pytest.mark.parametrize(
    ("op", "answer", "expected"),
    [("is_true", True, E), ("is_true", False, N), ("is_false", False, E), ("is_false", True, N)],
)
def test_boolean_operators(op, answer, expected):
    assert status_of(rule("disability", op), {"disability": answer}) is expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [(17, N), (18, E), (19, E), (63, E), (64, E), (65, N)],
)
def test_age_between_18_and_64(age, expected):
    profile = {"birth_date": born_years_ago(age, ON)}
    assert status_of(rule("age", "between", [18, 64]), profile) is expected


@pytest.mark.parametrize(
    ("income", "expected"),
    [(2999, E), (3000, N), (3001, N), (2999.99, E)],
)
def test_income_per_capita_below_3000(income, expected):
    profile = {"household_income_monthly": income, "household_size": 1}
    assert status_of(rule("income_per_capita", "lt", 3000), profile) is expected


@pytest.mark.parametrize(
    ("birth_date", "expected"),
    [(date(1960, 12, 31), E), (date(1961, 1, 1), N), (date(1961, 1, 2), N)],
)
def test_dates_compare_by_day(birth_date, expected):
    condition = rule("birth_date", "lt", "1961-01-01")
    assert status_of(condition, {"birth_date": birth_date}) is expected


@pytest.mark.parametrize(
    ("municipality", "expected"),
    [("22014", E), ("22001", E), ("11020", N)],
)
def test_in_state_compares_the_first_two_digits_with_the_state(municipality, expected):
    assert status_of(rule("in_state", "is_true"), {"municipality": municipality}) is expected


def test_in_state_uses_the_state_code_given():
    program = make_program(rule("in_state", "is_true"))
    assert judge(program, {"municipality": "11020"}, state_code="11").status is E


def test_state_is_the_first_two_digits_of_the_municipality():
    assert status_of(rule("state", "eq", "11"), {"municipality": "11020"}) is E
    assert status_of(rule("state", "eq", "11"), {"municipality": "22014"}) is N


# Derived fields


@pytest.mark.parametrize(
    ("on", "age"),
    [(date(2026, 6, 14), 25), (date(2026, 6, 15), 26), (date(2026, 6, 16), 26)],
)
def test_age_goes_up_on_the_birthday(on, age):
    assert derive({"birth_date": date(2000, 6, 15)}, on)["age"] == age


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2025, 2, 28), 20),
        (date(2025, 3, 1), 21),
        (date(2028, 2, 28), 23),
        (date(2028, 2, 29), 24),
    ],
)
def test_someone_born_on_leap_day_turns_older_on_1_march_in_common_years(on, age):
    assert derive({"birth_date": date(2004, 2, 29)}, on)["age"] == age


def test_income_per_capita_divides_income_by_household_size():
    values = derive({"household_income_monthly": 9000, "household_size": 4}, ON)
    assert values["income_per_capita"] == 2250


def test_household_of_zero_people_is_refused():
    with pytest.raises(ProfileError) as error:
        derive({"household_income_monthly": 9000, "household_size": 0}, ON)
    assert "household_size" in error.value.errors


def test_birth_date_after_the_evaluation_date_is_refused():
    with pytest.raises(ProfileError):
        derive({"birth_date": date(2027, 1, 1)}, ON)


def test_derived_fields_are_unknown_when_a_source_is_unknown_and_absent_when_not_asked():
    values = derive({"household_income_monthly": None, "municipality": None}, ON)
    assert values["income_per_capita"] is None
    assert values["in_state"] is None
    assert "age" not in values


# maybe and missing


def test_a_profile_with_no_answers_is_maybe_for_everything_and_lists_what_is_needed():
    program = make_program(
        rule("in_state", "is_true"),
        rule("age", "gte", 18),
        rule("income_per_capita", "lt", 3000),
    )
    result = judge(program, {})
    assert result.status is Status.MAYBE
    assert result.reasons == ()
    assert result.missing == (
        "birth_date",
        "municipality",
        "household_size",
        "household_income_monthly",
    )


def test_missing_lists_only_the_answers_still_needed():
    program = make_program(rule("age", "gte", 18), rule("income_per_capita", "lt", 3000))
    result = judge(program, {"birth_date": date(1990, 1, 1), "household_income_monthly": 2000})
    assert result.status is Status.MAYBE
    assert result.missing == ("household_size",)


def test_an_unknown_answer_leaves_the_program_maybe_and_names_only_that_answer():
    # Household size can't decide the rule while income is "No sé".
    program = make_program(rule("income_per_capita", "lt", 3000))
    result = judge(program, {"household_income_monthly": None})
    assert result.status is Status.MAYBE
    assert result.missing == ("household_income_monthly",)


def test_a_failed_condition_beats_missing_answers():
    program = make_program(rule("sex", "eq", "M", "Es para mujeres."), rule("age", "gte", 18))
    result = judge(program, {"sex": "H"})
    assert result.status is Status.NOT_ELIGIBLE
    assert result.reasons == ("Es para mujeres.",)
    assert result.missing == ()


def test_every_failed_reason_is_listed_in_the_programs_order():
    program = make_program(
        rule("sex", "eq", "M", "Es para mujeres."),
        rule("age", "gte", 18, "Es para personas de 18 años o más."),
        rule("disability", "is_true", reason="Es para personas con discapacidad."),
    )
    profile = {"sex": "H", "birth_date": born_years_ago(16, ON), "disability": False}
    assert judge(program, profile).reasons == (
        "Es para mujeres.",
        "Es para personas de 18 años o más.",
        "Es para personas con discapacidad.",
    )


def test_a_reason_shared_by_two_failed_conditions_is_said_once():
    program = make_program(
        rule("sex", "in", ["M", "X"], "Es para personas embarazadas."),
        rule("pregnant", "is_true", reason="Es para personas embarazadas."),
    )
    assert judge(program, {"sex": "H", "pregnant": False}).reasons == (
        "Es para personas embarazadas.",
    )


# Enrollment and exclusion groups


def family_programs():
    contigo = make_program(
        rule("age", "gte", 18, "Es para personas de 18 años o más."),
        slug="tarjeta-contigo",
        name="Tarjeta Contigo",
        exclusion_group="apoyo-familias",
    )
    childcare = make_program(
        rule("children_ages", "any_lt", 4, "Es para familias con niñas o niños menores de 4."),
        slug="apoyo-cuidado-infantil",
        name="Apoyo para el Cuidado Infantil",
        exclusion_group="apoyo-familias",
    )
    elders = make_program(rule("age", "gte", 65), slug="adultos-mayores", name="Adultos Mayores")
    return [contigo, childcare, elders]


def test_a_program_already_received_is_not_eligible_again():
    profile = {"birth_date": born_years_ago(30, ON), "enrolled": ("tarjeta-contigo",)}
    contigo = evaluate(profile, family_programs(), ON)[0]
    assert contigo.status is Status.NOT_ELIGIBLE
    assert contigo.reasons == (ALREADY_RECEIVES,)


def test_programs_in_the_same_exclusion_group_cannot_be_combined():
    profile = {"children_ages": (2,), "enrolled": ("tarjeta-contigo",)}
    childcare = evaluate(profile, family_programs(), ON)[1]
    assert childcare.status is Status.NOT_ELIGIBLE
    assert childcare.reasons == ("No se puede combinar con Tarjeta Contigo, que ya recibe.",)


def test_enrollment_reasons_come_first_and_failed_conditions_follow():
    profile = {"children_ages": (7,), "enrolled": ("tarjeta-contigo",)}
    childcare = evaluate(profile, family_programs(), ON)[1]
    assert childcare.reasons == (
        "No se puede combinar con Tarjeta Contigo, que ya recibe.",
        "Es para familias con niñas o niños menores de 4.",
    )


def test_receiving_both_programs_of_a_group_gives_both_reasons():
    profile = {
        "birth_date": born_years_ago(30, ON),
        "enrolled": ("tarjeta-contigo", "apoyo-cuidado-infantil"),
    }
    contigo = evaluate(profile, family_programs(), ON)[0]
    assert contigo.reasons == (
        ALREADY_RECEIVES,
        "No se puede combinar con Apoyo para el Cuidado Infantil, que ya recibe.",
    )


def test_programs_outside_the_group_are_not_affected_by_enrollment():
    profile = {"birth_date": born_years_ago(70, ON), "enrolled": ("tarjeta-contigo",)}
    elders = evaluate(profile, family_programs(), ON)[2]
    assert elders.status is Status.ELIGIBLE


def test_enrollment_in_a_program_outside_the_catalog_is_ignored():
    profile = {"birth_date": born_years_ago(30, ON), "enrolled": ("pension-federal",)}
    assert evaluate(profile, family_programs(), ON)[0].status is Status.ELIGIBLE


def test_enrollment_is_judged_afresh_after_remembered_verdicts():
    compiled = compile_catalog(family_programs())
    adult = {"birth_date": born_years_ago(30, ON)}
    assert evaluate(adult, compiled, ON)[0].status is Status.ELIGIBLE
    enrolled = evaluate({**adult, "enrolled": ("tarjeta-contigo",)}, compiled, ON)[0]
    assert enrolled.reasons == (ALREADY_RECEIVES,)
    assert evaluate(adult, compiled, ON)[0].status is Status.ELIGIBLE


# Calls and quotas


def program_with_calls(*calls):
    return make_program(rule("age", "gte", 18), calls=list(calls))


CALL_2026 = {"opens": "2026-01-15", "closes": "2026-12-31", "quota": 10}
CALL_2027 = {"opens": "2027-02-01", "closes": "2027-11-30", "quota": 20}


@pytest.mark.parametrize(
    ("on", "is_open", "opens"),
    [
        (date(2026, 1, 14), False, date(2026, 1, 15)),
        (date(2026, 1, 15), True, date(2026, 1, 15)),
        (date(2026, 12, 31), True, date(2026, 1, 15)),
        (date(2027, 1, 1), False, date(2027, 2, 1)),
        (date(2027, 11, 30), True, date(2027, 2, 1)),
    ],
)
def test_the_call_is_the_open_one_or_else_the_next(on, is_open, opens):
    result = judge(program_with_calls(CALL_2026, CALL_2027), {}, on=on)
    assert result.call_open is is_open
    assert result.call.opens == opens


def test_after_the_last_call_there_is_no_call():
    result = judge(program_with_calls(CALL_2026), {}, on=date(2027, 1, 1))
    assert result.call is None
    assert result.call_open is False


def test_a_compiled_catalog_follows_the_evaluation_date():
    compiled = compile_catalog([program_with_calls(CALL_2026, CALL_2027)])
    assert evaluate({}, compiled, date(2026, 6, 1))[0].call_open is True
    assert evaluate({}, compiled, date(2027, 1, 10))[0].call_open is False


@pytest.mark.parametrize(("used", "full"), [(9, False), (10, True), (11, True)])
def test_quota_is_full_when_the_places_taken_reach_it(used, full):
    result = judge(program_with_calls(CALL_2026), {}, quota_used={"programa-prueba": used})
    assert result.quota_full is full


def test_quota_of_a_call_that_is_not_open_is_never_full():
    result = judge(
        program_with_calls(CALL_2026), {}, on=date(2026, 1, 1), quota_used={"programa-prueba": 99}
    )
    assert result.quota_full is False


def test_a_call_without_quota_is_never_full():
    call = {"opens": "2026-01-01", "closes": "2026-12-31"}
    result = judge(program_with_calls(call), {}, quota_used={"programa-prueba": 10**6})
    assert result.quota_full is False


def test_result_to_dict_has_the_cli_shape():
    result = judge(make_program(rule("sex", "eq", "M", "Es para mujeres.")), {"sex": "H"})
    assert json.loads(json.dumps(result.to_dict())) == {
        "program": "programa-prueba",
        "status": "not_eligible",
        "reasons": ["Es para mujeres."],
        "missing": [],
        "call_open": True,
    }


# The demo catalog end to end


def test_demo_catalog_verdicts_for_a_young_mother():
    profile = {
        "birth_date": born_years_ago(23, ON),
        "sex": "M",
        "municipality": "22006",
        "household_size": 3,
        "household_income_monthly": 5000,
        "children_ages": (1,),
        "student_level": "ninguno",
        "employment": "desempleo",
        "disability": False,
        "indigenous": False,
        "pregnant": True,
    }
    by_program = {r.program: r for r in evaluate(profile, demo_catalog().programs, ON)}
    eligible = {slug for slug, r in by_program.items() if r.status is Status.ELIGIBLE}
    assert eligible == {
        "tarjeta-contigo",
        "mujeres-emprendedoras",
        "embarazo-saludable",
        "empleo-temporal",
        "mejora-vivienda",
    }
    assert by_program["apoyo-cuidado-infantil"].reasons == (
        "Es para madres, padres o tutores que trabajan o estudian.",
    )


# Properties over random profiles

ANSWERS = {
    "birth_date": st.dates(date(1920, 1, 1), ON),
    "sex": st.sampled_from(SEXES),
    "municipality": st.sampled_from(["22001", "22014", "22018", "11020", "09007"]),
    "household_size": st.integers(1, 12),
    "household_income_monthly": st.integers(0, 60_000),
    "children_ages": st.lists(st.integers(0, 17), max_size=4).map(lambda a: tuple(sorted(a))),
    "student_level": st.sampled_from(STUDENT_LEVELS),
    "employment": st.sampled_from(EMPLOYMENTS),
    "disability": st.booleans(),
    "indigenous": st.booleans(),
    "pregnant": st.booleans(),
    "enrolled": st.lists(
        st.sampled_from(["tarjeta-contigo", "apoyo-cuidado-infantil", "beca-universitaria"]),
        max_size=2,
        unique=True,
    ).map(tuple),
}
complete_profiles = st.fixed_dictionaries(ANSWERS)


@st.composite
def partial_profiles(draw):
    """Some fields left out (not asked) and some answered "No sé" (None)."""
    profile = draw(complete_profiles)
    kept = draw(st.sets(st.sampled_from(sorted(profile))))
    unknown = draw(st.sets(st.sampled_from(sorted(kept)))) if kept else set()
    return {f: (None if f in unknown else v) for f, v in profile.items() if f in kept}


DEMO = demo_catalog()
DEMO_COMPILED = compile_catalog(DEMO.programs)


@settings(max_examples=300, deadline=None)
@given(partial_profiles())
def test_status_always_agrees_with_reasons_and_missing(profile):
    for result in evaluate(profile, DEMO_COMPILED, ON):
        assert (result.status is Status.NOT_ELIGIBLE) == bool(result.reasons)
        assert (result.status is Status.MAYBE) == bool(result.missing)
        # Only answers not given, or given as "No sé", can be missing.
        assert all(profile.get(field) is None for field in result.missing)


@settings(max_examples=200, deadline=None)
@given(complete_profiles, st.data())
def test_more_answers_never_undo_a_decision(profile, data):
    # Enrollment stays: a missing `enrolled` means "receives nothing", not "not asked".
    kept = data.draw(st.sets(st.sampled_from(sorted(profile)))) | {"enrolled"}
    partial = {f: v for f, v in profile.items() if f in kept}
    before = evaluate(partial, DEMO_COMPILED, ON)
    after = evaluate(profile, DEMO_COMPILED, ON)
    for early, late in zip(before, after):
        if early.status is not Status.MAYBE:
            assert late.status is early.status
            assert set(early.reasons) <= set(late.reasons)
        assert late.status is not Status.MAYBE


def load_bench():
    path = Path(__file__).resolve().parents[2] / "bench" / "eligibility.py"
    spec = importlib.util.spec_from_file_location("bench_eligibility", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = load_bench()
BENCH_PROGRAMS = BENCH.generate_programs(count=640)
BENCH_COMPILED = compile_catalog(BENCH_PROGRAMS)


@settings(max_examples=150, deadline=None)
@given(partial_profiles())
def test_compiled_engine_agrees_with_the_naive_baseline(profile):
    # The benchmark's ratio only means something if both give the same answers;
    # this also checks that remembered verdicts never leak between profiles.
    assert evaluate(profile, DEMO_COMPILED, ON) == BENCH.naive_evaluate(profile, DEMO.programs, ON)
    assert evaluate(profile, BENCH_COMPILED, ON) == BENCH.naive_evaluate(
        profile, BENCH_PROGRAMS, ON
    )


MIXED = [
    make_program(condition, slug=f"p{n}")
    for n, condition in enumerate(
        [
            rule("household_size", "eq", 4),
            rule("household_size", "ne", 2),
            rule("household_size", "lt", 3),
            rule("household_size", "lte", 5),
            rule("household_size", "gt", 6),
            rule("household_size", "gte", 4),
            rule("household_size", "between", [2, 7]),
            rule("household_size", "in", [1, 4, 9]),
            rule("household_size", "not_in", [3, 4]),
            rule("household_income_monthly", "lt", 2500.5),
            rule("household_income_monthly", "between", [1000, 9000]),
            rule("birth_date", "gte", "1990-02-28"),
            rule("birth_date", "between", ["1960-01-01", "1990-02-28"]),
            rule("employment", "eq", "hogar"),
            rule("employment", "ne", "hogar"),
            rule("employment", "in", ["desempleo", "hogar"]),
            rule("employment", "not_in", ["desempleo", "jubilado"]),
            rule("children_ages", "any_lt", 3),
            rule("children_ages", "any_gte", 3),
            rule("children_ages", "any_gte", 12),
            rule("pregnant", "is_true"),
            rule("pregnant", "is_false"),
        ]
    )
]
MIXED_COMPILED = compile_catalog(MIXED)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "household_size": st.integers(1, 12),
            "household_income_monthly": st.one_of(
                st.integers(0, 12_000), st.floats(0, 12_000, allow_nan=False)
            ),
            "birth_date": st.dates(date(1950, 1, 1), date(2000, 1, 1)),
            "employment": st.sampled_from(EMPLOYMENTS),
            "children_ages": ANSWERS["children_ages"],
            "pregnant": st.booleans(),
        }
    )
)
def test_tests_sharing_a_field_are_indexed_without_changing_any_answer(profile):
    # Many operators and limits on the same fields, so the field indexes have
    # several cuts and named values, checked against the obvious interpreter.
    assert evaluate(profile, MIXED_COMPILED, ON) == BENCH.naive_evaluate(profile, MIXED, ON)


# flask eligibility check's line (issue 21: it built and encoded 6,700 dictionaries per profile)


def dumped(results) -> str:
    return json.dumps([r.to_dict() for r in results], ensure_ascii=False)


@settings(max_examples=150, deadline=None)
@given(partial_profiles())
def test_the_json_line_is_the_dump_of_every_verdict(profile):
    # Same text as encoding each result's dictionary, also once verdicts (and
    # their JSON) are remembered from earlier profiles, and as the bench's plain loop.
    for compiled, programs in ((DEMO_COMPILED, DEMO.programs), (BENCH_COMPILED, BENCH_PROGRAMS)):
        line = compiled.evaluate_json(profile, ON)
        assert line == dumped(evaluate(profile, compiled, ON))
        assert line == BENCH.plain_check_line(profile, programs, ON)


def test_remembered_json_is_not_reused_for_a_maybe_or_an_enrollment():
    compiled = compile_catalog(family_programs())
    adult = {"birth_date": born_years_ago(30, ON)}
    eligible = json.loads(compiled.evaluate_json(adult, ON))[0]
    assert eligible["status"] == "eligible"
    enrolled = json.loads(compiled.evaluate_json({**adult, "enrolled": ("tarjeta-contigo",)}, ON))
    assert enrolled[0]["reasons"] == [ALREADY_RECEIVES]
    unknown = json.loads(compiled.evaluate_json({"birth_date": None}, ON))[0]
    assert unknown["status"] == "maybe"
    assert unknown["missing"] == ["birth_date"]
    assert json.loads(compiled.evaluate_json(adult, ON))[0] == eligible


def test_the_json_line_follows_the_evaluation_date():
    compiled = compile_catalog([program_with_calls(CALL_2026, CALL_2027)])
    assert json.loads(compiled.evaluate_json({}, date(2026, 6, 1)))[0]["call_open"] is True
    assert json.loads(compiled.evaluate_json({}, date(2027, 1, 10)))[0]["call_open"] is False
