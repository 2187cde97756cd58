"""Property: any program's rules, shown in the guided editor and posted back as a
browser would, are the same program for the catalog's validator (so the engine
gives every person the same verdict), and the editor's own conversions are
total: no input makes them raise."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from portal.catalog import editor, schema
from portal.catalog.geography import load_state
from portal.eligibility.engine import evaluate
from portal.eligibility.profile import FIELDS, RULE_FIELDS, STATE_CODES, Kind

MUNICIPALITIES = tuple(m.code for m in load_state().municipalities)
words = st.lists(
    st.sampled_from(["Tener", "años", "vivir", "en", "Querétaro", "más", "de"]),
    min_size=1,
    max_size=6,
)


def _scalar(kind: Kind, name: str) -> st.SearchStrategy:
    if kind is Kind.INTEGER:
        return st.integers(0, 130)
    if kind is Kind.MONEY:
        return st.one_of(
            st.integers(0, 1_000_000), st.integers(0, 100_000_000).map(lambda c: c / 100)
        )
    if kind is Kind.DATE:
        return st.dates(date(1900, 1, 1), date(2100, 12, 31))
    if kind is Kind.CHOICE:
        return st.sampled_from(FIELDS[name].choices)
    if kind is Kind.MUNICIPALITY:
        return st.sampled_from(MUNICIPALITIES)
    if kind is Kind.STATE:
        return st.sampled_from(STATE_CODES)
    raise AssertionError(kind)


@st.composite
def conditions(draw) -> dict:
    name = draw(st.sampled_from(RULE_FIELDS))
    kind = FIELDS[name].kind
    op = draw(st.sampled_from(schema.OPERATORS_BY_KIND[kind]))
    condition = {"field": name, "op": op, "reason": " ".join(draw(words))}
    if op in ("is_true", "is_false"):
        return condition
    if op in ("any_lt", "any_gte"):
        condition["value"] = draw(st.integers(0, 17))
    elif op == "between":
        low, high = sorted(draw(st.lists(_scalar(kind, name), min_size=2, max_size=2)))
        condition["value"] = [low, high]
    elif op in ("in", "not_in"):
        condition["value"] = draw(
            st.lists(_scalar(kind, name), min_size=1, max_size=4, unique=True)
        )
    else:
        condition["value"] = draw(_scalar(kind, name))
    return condition


def catalog_program(rules: list[dict], kind: str) -> dict:
    benefit = (
        {"kind": "cash", "amount": 1500, "period": "bimestral"}
        if kind == "cash"
        else {"kind": kind, "description": "Una despensa al mes."}
    )
    return {
        "slug": "programa-de-prueba",
        "agency": "sedesoq",
        "name": "Programa de prueba",
        "summary": "Un apoyo.",
        "population": "Personas que viven en Querétaro.",
        "benefit": benefit,
        "eligibility": rules,
        "requirements": [{"slug": "identificacion", "name": "INE", "formats": ["pdf"]}],
        "calls": [{"opens": "2026-01-01", "closes": "2026-12-31", "quota": 10}],
        "delivery_points": [
            {
                "name": "Oficina",
                "address": "Centro",
                "municipality": "22014",
                "lat": 20.59,
                "lon": -100.39,
                "hours": "9 a 15",
            }
        ],
    }


def as_posted(data: dict) -> MultiDict:
    """The editor's form data as a browser posts it: lists of rows flattened,
    several values per name for checkboxes, unchecked boxes absent."""
    posted: MultiDict = MultiDict()
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                for sub, item in row.items():
                    name = f"{key}-{i}-{sub}"
                    if isinstance(item, list):
                        for one in item:
                            posted.add(name, one)
                    elif item is True:
                        posted.add(name, "y")
                    elif item not in (False, None):
                        posted.add(name, str(item))
        elif value is not None and not isinstance(value, list):
            posted.add(key, str(value))
    return posted


@pytest.fixture
def request_context(app):
    with app.test_request_context(method="POST"):
        yield


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(conditions(), max_size=5), st.sampled_from(["cash", "in_kind", "service"]))
def test_a_program_round_trips_through_the_editor(request_context, rules, kind):
    stored = schema.program_from_dict(catalog_program(rules, kind), agencies=["sedesoq"])
    form = editor.ProgramEditorForm(
        formdata=as_posted(editor.form_data(stored.to_dict())), meta={"csrf": False}
    )
    form.offer(groups=[])
    assert form.validate(), editor.error_links(form)
    posted = editor.program_dict(form, slug=stored.slug, agency=stored.agency)
    assert editor.error_links(form) == []
    again = schema.program_from_dict(posted, agencies=["sedesoq"])
    assert again == stored
    person = {"birth_date": date(1960, 5, 1), "municipality": "22014", "household_size": 3}
    on = date(2026, 6, 1)
    assert evaluate(person, [again], on) == evaluate(person, [stored], on)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(Kind)), st.text(max_size=30))
def test_typing_a_value_never_raises(kind, text):
    value, error = editor._typed(kind, text)
    assert (value is None) != (error is None) or kind not in (
        Kind.INTEGER,
        Kind.MONEY,
        Kind.DATE,
        Kind.AGES,
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["opens", "closes"])), max_size=12),
    st.integers(0, 5),
)
def test_removing_a_row_keeps_every_other_row_in_order(rows, index):
    data = MultiDict([(f"calls-{n}-{key}", f"{n}:{key}") for n, key in rows])
    kept = editor.without_row(data, "calls", index)
    expected = [f"{n}:{key}" for n, key in rows if n != index]
    assert sorted(v for _, v in kept.items(multi=True)) == sorted(expected)
    for name, value in kept.items(multi=True):
        n = int(value.split(":")[0])
        assert name.startswith(f"calls-{n - 1 if n > index else n}-")
