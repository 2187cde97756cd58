"""The live preview of draft rules against the registry: the SQL counts give
every person the engine's verdict, the editor shows them by municipality next
to the published version, and a preview writes nothing."""

from __future__ import annotations

from datetime import date
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.catalog import preview as rule_preview
from portal.catalog.preview import Counts
from portal.catalog.schema import Condition, program_from_dict
from portal.eligibility.engine import evaluate
from portal.eligibility.profile import EMPLOYMENTS, STUDENT_LEVELS, parse_profile
from portal.models import AuditEvent, Citizen, Program, ProgramVersion
from portal.web.database import db
from tests.catalog.test_program_editor import press, read_form
from tests.catalog.test_program_editor_properties import catalog_program
from tests.factories import make_agency, make_citizen, make_municipality, make_program, make_staff
from tests.support.html import html

QUERETARO, CORREGIDORA, LEON = "22014", "22006", "11020"
MUNICIPALITIES = (QUERETARO, CORREGIDORA, LEON)
_curps = count(1)


def add_person(municipality: str | None = QUERETARO, **overrides) -> Citizen:
    """A citizen with a CURP of their own (the builder's depends on birth date and sex)."""
    return make_citizen(
        curp=f"PREV{next(_curps):06d}HQTRRR0",
        municipality=municipality,
        **overrides,
    )


@pytest.fixture
def municipalities(app):
    make_municipality(QUERETARO, "Querétaro")
    make_municipality(CORREGIDORA, "Corregidora")
    make_municipality(LEON, "León")


def rule(field: str, op: str, value=None) -> Condition:
    return Condition(field, op, value, f"Regla sobre {field}")


def verdicts_by_person(conditions, on: date, published=None) -> dict[int, str]:
    """The SQL verdict of each person (draft, or (draft, published) with ``published``)."""
    text, params, _, _ = rule_preview.preview_sql(conditions, published, on, by="id")

    def name(count) -> str:
        verdict = Counts.of(count, 1)
        return (
            "eligible" if verdict.eligible else "not_eligible" if verdict.not_eligible else "maybe"
        )

    rows = db.execute_sql(text, params)
    if published is None:
        return {person: name(draft) for person, draft, _, _ in rows}
    return {person: (name(draft), name(base)) for person, draft, base, _ in rows}


def engine_verdict(citizen: Citizen, conditions, on: date) -> str:
    """What the engine says, from the profile the portal builds for a person."""
    profile = parse_profile(dict(citizen.profile or {}), on=on)
    profile["birth_date"] = citizen.birth_date
    profile["sex"] = citizen.sex
    if citizen.municipality_id:
        profile["municipality"] = citizen.municipality_id
    (result,) = evaluate(profile, [stored_program(conditions)], on)
    return str(result.status)


def stored_program(conditions):
    """A program with these rules, as the catalog's validator stores them."""
    rules = []
    for c in conditions:
        item = {"field": c.field, "op": c.op, "reason": c.reason}
        if c.value is not None:
            item["value"] = c.value.isoformat() if isinstance(c.value, date) else c.value
            if isinstance(c.value, tuple):
                item["value"] = [v.isoformat() if isinstance(v, date) else v for v in c.value]
        rules.append(item)
    return program_from_dict(
        catalog_program(rules, "cash"), agencies=["sedesoq"], run_examples=False
    )


# Unit tests --------------------------------------------------------------------------------


def test_counts_by_municipality_with_totals(municipalities):
    on = date(2026, 6, 1)
    add_person(QUERETARO, birth_date=date(1950, 1, 1))
    add_person(QUERETARO, birth_date=date(2000, 1, 1))
    add_person(CORREGIDORA, birth_date=date(1940, 1, 1), profile={"household_size": None})
    add_person(None, birth_date=date(1945, 1, 1))
    draft = [rule("age", "gte", 65), rule("household_size", "lte", 4)]
    published = [rule("age", "gte", 70)]
    result = rule_preview.preview(draft, published, on)
    rows = {r.code: r for r in result.rows}
    assert [r.code for r in result.rows] == [CORREGIDORA, QUERETARO, None]
    # Nobody answered the household size: the old ones are maybe, the young one not.
    assert rows[QUERETARO].draft == Counts(0, 1, 1)
    assert rows[QUERETARO].published == Counts(1, 0, 1)
    assert rows[CORREGIDORA].draft == Counts(0, 1, 0)
    assert rows[CORREGIDORA].published == Counts(1, 0, 0)
    assert rows[None].draft == Counts(0, 1, 0)
    assert result.draft_total == Counts(0, 3, 1)
    assert result.published_total == Counts(3, 0, 1)
    assert result.difference == Counts(-3, 3, 0)
    assert rows[CORREGIDORA].name == "Corregidora"


def test_no_conditions_make_everyone_eligible_and_no_published_version_compares_nothing(
    municipalities,
):
    add_person()
    add_person(LEON)
    result = rule_preview.preview([], None, date(2026, 6, 1))
    assert result.draft_total == Counts(2, 0, 0)
    assert result.published_total is None
    assert result.difference is None
    assert all(r.published is None for r in result.rows)


def test_an_empty_registry_gives_no_rows(app):
    result = rule_preview.preview([rule("age", "gte", 18)], [], date(2026, 6, 1))
    assert result.rows == []
    assert result.draft_total == Counts()
    assert result.published_total == Counts()


def test_a_condition_that_cannot_be_compiled_counts_as_unknown_and_is_listed(municipalities):
    add_person(birth_date=date(1950, 1, 1))
    add_person(birth_date=date(2010, 1, 1))
    odd = rule("enrolled", "in", ("otro",))
    result = rule_preview.preview([rule("age", "gte", 18), odd], None, date(2026, 6, 1))
    assert result.draft_uncompiled == (odd,)
    # The adult is unknown (maybe) by it; the child still fails on age.
    assert result.draft_total == Counts(0, 1, 1)


def test_the_municipality_answered_counts_when_the_record_has_none(municipalities):
    on = date(2026, 6, 1)
    answered = add_person(None, profile={"municipality": CORREGIDORA})
    unknown = add_person(None)
    conditions = [rule("in_state", "is_true")]
    found = verdicts_by_person(conditions, on)
    assert found[answered.id] == engine_verdict(answered, conditions, on) == "eligible"
    assert found[unknown.id] == engine_verdict(unknown, conditions, on) == "maybe"


@pytest.mark.parametrize(
    ("born", "on", "limit", "expected"),
    [
        (date(2008, 2, 29), date(2026, 2, 28), 18, "not_eligible"),  # turns 18 on 1 March
        (date(2008, 2, 29), date(2026, 3, 1), 18, "eligible"),
        (date(2010, 2, 28), date(2028, 2, 29), 18, "eligible"),
        (date(2010, 3, 1), date(2028, 2, 29), 18, "not_eligible"),
    ],
)
def test_ages_around_29_february_agree_with_the_engine(municipalities, born, on, limit, expected):
    person = add_person(birth_date=born)
    conditions = [rule("age", "gte", limit)]
    assert verdicts_by_person(conditions, on)[person.id] == expected
    assert engine_verdict(person, conditions, on) == expected


def test_children_ages_an_empty_list_fails_and_no_answer_is_unknown(municipalities):
    on = date(2026, 6, 1)
    none = add_person(profile={"children_ages": []})
    unknown = add_person(profile={"children_ages": None})
    young = add_person(profile={"children_ages": [2, 9]})
    conditions = [rule("children_ages", "any_lt", 6)]
    found = verdicts_by_person(conditions, on)
    assert (found[none.id], found[unknown.id], found[young.id]) == (
        "not_eligible",
        "maybe",
        "eligible",
    )


def test_a_value_of_the_wrong_type_is_unknown_and_does_not_break_the_query(municipalities):
    person = add_person(profile={"household_size": "cuatro", "disability": "sí"})
    conditions = [rule("household_size", "gte", 2), rule("disability", "is_true")]
    assert verdicts_by_person(conditions, date(2026, 6, 1))[person.id] == "maybe"


def test_grouping_is_only_by_municipality_or_person():
    with pytest.raises(ValueError):
        rule_preview.preview_sql([], None, date(2026, 6, 1), by="curp")


def test_the_preview_is_one_query_over_the_narrow_facts_table(municipalities):
    text, _, _, _ = rule_preview.preview_sql(
        [rule("age", "gte", 18), rule("household_size", "gte", 3)],
        [rule("age", "gte", 21)],
        date(2026, 6, 1),
    )
    # One table, read once: no other table, no join, no JSON parsed.
    assert text.count(" FROM citizen_facts ") == 1 and text.count(" FROM ") == 2
    assert "JOIN" not in text and "profile" not in text and "json" not in text.lower()


def test_a_draft_equal_to_the_published_version_is_judged_once(municipalities):
    add_person(QUERETARO, birth_date=date(1950, 1, 1), profile={"household_size": 4})
    add_person(QUERETARO, birth_date=date(2000, 1, 1), profile={})
    rules = [rule("age", "gte", 65), rule("household_size", "gte", 3)]
    text, _, _, _ = rule_preview.preview_sql(rules, list(rules), date(2026, 6, 1))
    assert text.count("household_size") == 2  # once where it fails, once where it holds
    result = rule_preview.preview(rules, list(rules), date(2026, 6, 1))
    assert result.draft_total == result.published_total == Counts(1, 0, 1)
    assert result.difference == Counts()


# Property: the SQL gives every person the engine's verdict -----------------------------


ON_DATES = (date(2026, 6, 1), date(2028, 2, 29), date(2027, 2, 28), date(2026, 12, 31))
maybe_unknown = st.none()


def answer(strategy):
    """An answer, "No sé" (None) or absent (the marker dropped below)."""
    return st.one_of(strategy, st.none(), st.just("__absent__"))


@st.composite
def profiles(draw) -> dict:
    answers = {
        "household_size": draw(answer(st.integers(1, 6))),
        "household_income_monthly": draw(
            answer(
                st.one_of(
                    st.integers(0, 24).map(lambda n: n * 500),
                    st.integers(0, 1_200_000).map(lambda c: c / 100),
                )
            )
        ),
        "children_ages": draw(answer(st.lists(st.integers(0, 17), max_size=3))),
        "student_level": draw(answer(st.sampled_from(STUDENT_LEVELS))),
        "employment": draw(answer(st.sampled_from(EMPLOYMENTS))),
        "disability": draw(answer(st.booleans())),
        "indigenous": draw(answer(st.booleans())),
        "pregnant": draw(answer(st.booleans())),
        "municipality": draw(answer(st.sampled_from(MUNICIPALITIES))),
    }
    return {k: v for k, v in answers.items() if v != "__absent__"}


@st.composite
def people(draw) -> dict:
    return {
        "birth_date": draw(st.dates(date(1920, 1, 1), date(2026, 5, 31))),
        "sex": draw(st.sampled_from(("H", "M", "X"))),
        "municipality": draw(st.one_of(st.none(), st.sampled_from(MUNICIPALITIES))),
        "profile": draw(profiles()),
    }


def _limit(name: str, draw):
    scalars = {
        "age": st.integers(0, 100),
        "household_size": st.integers(1, 6),
        "household_income_monthly": st.integers(0, 24).map(lambda n: n * 500),
        "income_per_capita": st.one_of(
            st.integers(0, 12).map(lambda n: n * 500),
            st.integers(0, 600_000).map(lambda c: c / 100),
        ),
        "birth_date": st.dates(date(1920, 1, 1), date(2026, 5, 31)),
        "sex": st.sampled_from(("H", "M", "X")),
        "student_level": st.sampled_from(STUDENT_LEVELS),
        "employment": st.sampled_from(EMPLOYMENTS),
        "municipality": st.sampled_from(MUNICIPALITIES),
        "state": st.sampled_from(("22", "11", "09")),
    }
    return scalars[name]


OPS = {
    "age": ("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between"),
    "household_size": ("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between"),
    "household_income_monthly": ("lt", "lte", "gt", "gte", "between"),
    "income_per_capita": ("lt", "lte", "gt", "gte", "between"),
    "birth_date": ("eq", "ne", "lt", "lte", "gt", "gte", "between"),
    "sex": ("eq", "ne", "in", "not_in"),
    "student_level": ("eq", "ne", "in", "not_in"),
    "employment": ("eq", "ne", "in", "not_in"),
    "municipality": ("eq", "ne", "in", "not_in"),
    "state": ("eq", "ne", "in", "not_in"),
    "disability": ("is_true", "is_false"),
    "indigenous": ("is_true", "is_false"),
    "pregnant": ("is_true", "is_false"),
    "in_state": ("is_true", "is_false"),
    "children_ages": ("any_lt", "any_gte"),
}


@st.composite
def conditions(draw) -> Condition:
    name = draw(st.sampled_from(sorted(OPS)))
    op = draw(st.sampled_from(OPS[name]))
    if op in ("is_true", "is_false"):
        return rule(name, op)
    if op in ("any_lt", "any_gte"):
        return rule(name, op, draw(st.integers(0, 18)))
    if op == "between":
        return rule(
            name, op, tuple(sorted(draw(st.lists(_limit(name, draw), min_size=2, max_size=2))))
        )
    if op in ("in", "not_in"):
        values = draw(st.lists(_limit(name, draw), min_size=1, max_size=3, unique=True))
        return rule(name, op, tuple(values))
    return rule(name, op, draw(_limit(name, draw)))


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(people(), min_size=1, max_size=5),
    st.lists(conditions(), max_size=4),
    st.lists(conditions(), max_size=3),
    st.sampled_from(ON_DATES),
)
def test_the_sql_gives_every_person_the_engines_verdict(
    municipalities, registry, draft, published, on
):
    Citizen.delete().execute()
    citizens = [add_person(**person) for person in registry]
    # The rules as the catalog stores them (its validator may normalise values).
    stored = stored_program(draft).eligibility
    base = stored_program(published).eligibility
    found = verdicts_by_person(stored, on)
    both = verdicts_by_person(stored, on, published=base)
    for citizen in citizens:
        expected = engine_verdict(citizen, stored, on)
        assert found[citizen.id] == expected, (citizen.profile, stored)
        assert both[citizen.id] == (expected, engine_verdict(citizen, base, on)), (
            citizen.profile,
            stored,
            base,
        )
    result = rule_preview.preview(stored, base, on)
    assert result.draft_total.total == result.published_total.total == len(citizens)


# The editor ---------------------------------------------------------------------------------


@pytest.fixture
def agency(municipalities):
    return make_agency(slug="sedesoq", name="Secretaría de Desarrollo Social")


@pytest.fixture
def program(agency):
    return make_program(
        agency,
        requirements=("identificacion",),
        population="Personas de 65 años o más.",
        eligibility=[{"field": "age", "op": "gte", "value": 65, "reason": "Tener 65 años o más"}],
    )


def editor_url(program) -> str:
    return f"/oficina/programas/{program.slug}/editor"


def preview_table(response) -> dict[str, list[str]]:
    table = html(response).find("table", id="tabla-vista-previa")
    assert table is not None, response.get_data(as_text=True)[:2000]
    return {
        tr.find("th").get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in table.find_all("tr")
        if tr.find("th", scope="row")
    }


def test_the_admin_sees_the_draft_against_the_published_version(login, agency, program):
    admin = login(make_staff("admin_dependencia", agency))
    add_person(QUERETARO, birth_date=date(1955, 1, 1))
    add_person(QUERETARO, birth_date=date(1962, 1, 1))
    add_person(LEON, birth_date=date(1990, 1, 1))
    data = read_form(admin.get(editor_url(program)))
    response = press(admin, editor_url(program), data, "vista-previa", conditions__0__value="60")
    assert response.status_code == 200
    rows = preview_table(response)
    # Pueden, cambio, tal vez, cambio, no pueden, cambio.
    assert rows["Querétaro"] == ["2", "+1", "0", "0", "0", "-1"]
    assert rows["León"] == ["0", "0", "0", "0", "1", "0"]
    assert rows["Total"] == ["2", "+1", "0", "0", "1", "-1"]
    # The form is redrawn with what was typed, and nothing was saved.
    assert read_form(response)["conditions-0-value"] == "60"
    assert Program.get_by_id(program.id).eligibility[0]["value"] == 65
    assert ProgramVersion.select().count() == 0
    assert AuditEvent.select().count() == 0


def test_htmx_gets_only_the_preview_section(login, agency, program):
    admin = login(make_staff("admin_dependencia", agency))
    add_person(birth_date=date(1950, 1, 1))
    data = read_form(admin.get(editor_url(program)))
    data["action"] = "vista-previa"
    response = admin.post(editor_url(program), data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = html(response)
    assert page.find("section", id="vista-previa") is not None
    assert page.find("form", id="programa") is None
    assert preview_table(response)["Total"][0] == "1"


def test_a_program_never_published_shows_counts_without_differences(login, agency, program):
    Program.update(active=False).where(Program.id == program.id).execute()
    admin = login(make_staff("admin_dependencia", agency))
    add_person(birth_date=date(1950, 1, 1))
    response = press(
        admin, editor_url(program), read_form(admin.get(editor_url(program))), "vista-previa"
    )
    assert preview_table(response)["Total"] == ["1", "0", "0"]


def test_draft_rules_that_do_not_validate_say_so_and_count_nothing(login, agency, program):
    admin = login(make_staff("admin_dependencia", agency))
    data = read_form(admin.get(editor_url(program)))
    response = press(admin, editor_url(program), data, "vista-previa", conditions__0__value="")
    assert response.status_code == 200
    page = html(response)
    assert "age" in page.find(id="vista-previa-aviso").get_text()
    assert page.find("table", id="tabla-vista-previa") is None


def test_the_editor_without_a_preview_shows_only_the_button(login, agency, program):
    admin = login(make_staff("admin_dependencia", agency))
    page = html(admin.get(editor_url(program)))
    assert page.find("button", value="vista-previa") is not None
    assert page.find("table", id="tabla-vista-previa") is None


def test_a_preview_without_a_valid_csrf_token_is_refused(app, login, agency, program):
    admin = login(make_staff("admin_dependencia", agency))
    data = read_form(admin.get(editor_url(program)))
    app.config["WTF_CSRF_ENABLED"] = True
    data.setlist("csrf_token", ["falso"])
    response = press(admin, editor_url(program), data, "vista-previa")
    assert response.status_code == 400
    assert html(response).find("table", id="tabla-vista-previa") is None


def test_an_admin_of_another_agency_gets_404(login, agency, program):
    other = login(make_staff("admin_dependencia", make_agency()))
    response = other.post(editor_url(program), data={"action": "vista-previa"})
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["revisor", "supervisor", "entrega"])
def test_other_staff_roles_get_403(login, agency, program, role):
    staff = login(make_staff(role, agency))
    response = staff.post(editor_url(program), data={"action": "vista-previa"})
    assert response.status_code == 403


def test_a_citizen_or_nobody_cannot_preview(client, login, agency, program):
    response = client.post(editor_url(program), data={"action": "vista-previa"})
    assert response.status_code in (302, 303, 401, 403)
    assert "tabla-vista-previa" not in response.get_data(as_text=True)
    citizen = login(add_person())
    response = citizen.post(editor_url(program), data={"action": "vista-previa"})
    assert response.status_code in (302, 303, 401, 403)
    assert "tabla-vista-previa" not in response.get_data(as_text=True)


def test_a_state_admin_may_preview_any_agencys_program(login, agency, program):
    state_admin = login(make_staff("admin_estatal", None))
    add_person(birth_date=date(1950, 1, 1))
    data = read_form(state_admin.get(editor_url(program)))
    response = press(state_admin, editor_url(program), data, "vista-previa")
    assert preview_table(response)["Total"][0] == "1"


@pytest.mark.parametrize("role", ["secretaria", "ventanilla_estatal"])
def test_state_roles_that_do_not_edit_programs_get_403(login, agency, program, role):
    staff = login(make_staff(role, None))
    response = staff.post(editor_url(program), data={"action": "vista-previa"})
    assert response.status_code == 403
