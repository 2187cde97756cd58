import random
import re
from collections import Counter
from datetime import date
from itertools import islice

import pytest
from stdnum.mx import curp as stdnum_curp

from portal.citizens import curp
from portal.demo import synthetic
from portal.eligibility.profile import parse_profile
from tests.support.synthetic import rebuilt_curp

SAMPLE_SIZE = 30_000


@pytest.fixture(scope="module")
def citizens():
    return list(synthetic.generate_citizens(SAMPLE_SIZE, seed=7))


def age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_the_same_seed_gives_the_same_people():
    first = list(synthetic.generate_citizens(500, seed=11))
    again = list(synthetic.generate_citizens(500, seed=11))
    other = list(synthetic.generate_citizens(500, seed=12))
    assert first == again
    assert first != other


def test_a_longer_run_starts_with_the_shorter_one():
    assert list(synthetic.generate_citizens(100)) == list(
        islice(synthetic.generate_citizens(1000), 100)
    )


def test_zero_citizens_is_an_empty_run():
    assert list(synthetic.generate_citizens(0)) == []


@pytest.mark.parametrize(("n", "state"), [(-1, "22"), (10, "09")])
def test_impossible_requests_are_refused_before_generating(n, state):
    with pytest.raises(ValueError):
        synthetic.generate_citizens(n, state=state)


def test_every_row_has_the_documented_keys(citizens):
    assert all(set(row) == set(synthetic.Citizen.__annotations__) for row in citizens)


def test_every_curp_is_valid_and_unique(citizens):
    curps = [row["curp"] for row in citizens]
    assert len(set(curps)) == len(curps)
    assert all(curp.is_valid(number) for number in curps)
    assert all(stdnum_curp.is_valid(number) for number in curps[:5000])


def test_every_curp_matches_the_persons_data(citizens):
    for row in citizens[:5000]:
        number = row["curp"]
        assert curp.check_consistency(number, row["birth_date"], row["sex"]) == []
        assert rebuilt_curp(row) == number


def test_repeated_prefixes_get_the_next_homoclave_like_renapo(monkeypatch):
    # One name, one surname and one birth year: prefixes repeat constantly.
    monkeypatch.setattr(synthetic, "WOMEN_NAMES", ("Ana",))
    monkeypatch.setattr(synthetic, "MEN_NAMES", ("Juan",))
    monkeypatch.setattr(synthetic, "SURNAMES", ("Pérez",))
    monkeypatch.setattr(synthetic, "AGE_PYRAMID", ((0, 0, 100.0, 0.5),))
    rows = list(synthetic.generate_citizens(20_000, as_of=date(2026, 1, 1)))
    curps = [row["curp"] for row in rows]
    assert len(set(curps)) == len(curps)
    homoclaves_by_prefix: dict[str, list[str]] = {}
    for number in curps:
        homoclaves_by_prefix.setdefault(number[:16], []).append(number[16])
    for homoclaves in homoclaves_by_prefix.values():
        assert homoclaves == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: len(homoclaves)])
    assert max(len(h) for h in homoclaves_by_prefix.values()) == 26


def test_names_look_real(citizens):
    names = " ".join(f"{r['first_name']} {r['last_name1']} {r['last_name2']}" for r in citizens)
    assert {"á", "é", "í", "ó", "ú", "ñ", "Á", "Ó"} <= set(names)
    assert all(r["first_name"] in synthetic.WOMEN_NAMES for r in citizens if r["sex"] == "M")
    assert all(r["first_name"] in synthetic.MEN_NAMES for r in citizens if r["sex"] == "H")
    surnames = Counter(r["last_name1"] for r in citizens)
    assert surnames.most_common(1)[0][0] == "Hernández"
    single = sum(1 for r in citizens if r["last_name2"] == "") / len(citizens)
    assert 0.002 < single < 0.01


def test_both_sexes_and_only_h_or_m(citizens):
    sexes = Counter(r["sex"] for r in citizens)
    assert set(sexes) == {"H", "M"}
    assert 0.49 < sexes["M"] / len(citizens) < 0.54


def test_ages_follow_the_pyramid(citizens):
    ages = [age(r["birth_date"], synthetic.DEFAULT_AS_OF) for r in citizens]
    assert min(ages) >= 0 and max(ages) <= 99
    minors = sum(1 for a in ages if a < 18) / len(ages)
    over_65 = sum(1 for a in ages if a >= 65) / len(ages)
    assert 0.28 < minors < 0.34
    assert 0.05 < over_65 < 0.09
    # Older groups have more women.
    old = [r for r, a in zip(citizens, ages, strict=True) if a >= 80]
    assert sum(1 for r in old if r["sex"] == "M") / len(old) > 0.54


def test_municipalities_are_weighted_by_population(citizens):
    counts = Counter(r["municipality"] for r in citizens)
    assert set(counts) <= {f"220{n:02d}" for n in range(1, 19)}
    assert [code for code, _ in counts.most_common(2)] == ["22014", "22016"]
    assert 0.41 < counts["22014"] / len(citizens) < 0.47
    assert synthetic.municipality_names()["22014"] == "Querétaro"


def test_minors_have_no_contact_data_and_adults_have_well_formed_data(citizens):
    emails = []
    for row in citizens:
        adult = age(row["birth_date"], synthetic.DEFAULT_AS_OF) >= 18
        if not adult:
            assert row["email"] is None and row["phone"] is None
            continue
        area = "427" if row["municipality"] in {"22001", "22012", "22016", "22017"} else "442"
        assert re.fullmatch(area + r"\d{7}", row["phone"])
        if row["email"] is not None:
            assert re.fullmatch(r"[a-z]+\.[a-z]+\.\d+@example\.org", row["email"])
            emails.append(row["email"])
    assert len(set(emails)) == len(emails)
    adults = sum(1 for r in citizens if r["phone"] is not None)
    assert 0.55 < len(emails) / adults < 0.65


def test_birth_states_are_mostly_queretaro(citizens):
    states = Counter(r["curp"][11:13] for r in citizens)
    assert states.most_common(1)[0][0] == "QT"
    assert 0.64 < states["QT"] / len(citizens) < 0.72
    assert "NE" in states


@pytest.fixture(scope="module")
def answers(citizens):
    rng = random.Random(5)
    return [(row, synthetic.draw_profile(row, rng, ON)) for row in citizens]


ON = date(2026, 12, 1)


def test_answers_parse_as_the_questionnaire_stores_them(answers):
    for _row, given in answers[:5000]:
        parse_profile(given, on=ON)


def test_only_women_of_15_to_45_are_pregnant(answers):
    pregnant = [row for row, given in answers if given.get("pregnant")]
    assert pregnant
    assert all(row["sex"] == "M" and 15 <= age(row["birth_date"], ON) <= 45 for row in pregnant)
    women = [g for r, g in answers if r["sex"] == "M" and 15 <= age(r["birth_date"], ON) <= 45]
    assert 0.03 < len(pregnant) / len(women) < 0.09


def test_children_fit_the_household_and_the_parents_age(answers):
    for row, given in answers:
        children = given.get("children_ages", [])
        if children:
            assert len(children) < given["household_size"]
            assert max(children) <= age(row["birth_date"], ON) - 15


def test_minors_answer_only_for_themselves(answers):
    household = {"household_size", "household_income_monthly", "children_ages", "employment"}
    for row, given in answers:
        if age(row["birth_date"], ON) < 18:
            assert not household & set(given)


def test_studies_and_occupation_fit_the_age(answers):
    for row, given in answers:
        years = age(row["birth_date"], ON)
        level = given.get("student_level")
        if level == "licenciatura":
            assert 18 <= years <= 29
        if level == "preparatoria":
            assert 15 <= years <= 19
        if given.get("employment") == "jubilado":
            assert years >= 65


def test_income_is_lower_in_the_sierra_than_in_the_capital(answers):
    def median_income(code):
        incomes = sorted(
            g["household_income_monthly"]
            for r, g in answers
            if r["municipality"] == code and "household_income_monthly" in g
        )
        return incomes[len(incomes) // 2]

    assert median_income("22002") < median_income("22014")
