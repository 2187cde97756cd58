"""Properties of what a "maybe" asks on the way to applying (issue 18, item 1).

The missing answers the engine names for a program are exactly the ones worth
asking: answering anything else leaves the program undecided, and answering
what it names, round after round, always decides it.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.eligibility.engine import Status, evaluate
from portal.eligibility.missing import fields_to_ask, unanswerable
from portal.eligibility.profile import ANSWERED_FIELDS
from tests.eligibility.test_eligibility import ANSWERS, DEMO_COMPILED, ON, partial_profiles

QUESTION_FIELDS = [name for name in ANSWERED_FIELDS if name != "enrolled"]


@settings(max_examples=200, deadline=None)
@given(partial_profiles(), st.data())
def test_answering_what_is_not_missing_never_decides_a_maybe(profile, data):
    before = evaluate(profile, DEMO_COMPILED, ON)
    absent = [f for f in QUESTION_FIELDS if f not in profile]
    if not absent:
        return
    field = data.draw(st.sampled_from(absent))
    after = evaluate({**profile, field: data.draw(ANSWERS[field])}, DEMO_COMPILED, ON)
    for early, late in zip(before, after, strict=True):
        if early.status is Status.MAYBE and field not in early.missing:
            assert late.status is Status.MAYBE
            assert late.missing == early.missing


@settings(max_examples=200, deadline=None)
@given(partial_profiles(), st.data())
def test_answering_the_missing_fields_round_after_round_decides_every_program(profile, data):
    for position, result in enumerate(evaluate(profile, DEMO_COMPILED, ON)):
        answered = dict(profile)
        rounds = 0
        while result.status is Status.MAYBE:
            # Only answers not given, or given as "No sé", are asked.
            assert all(answered.get(f) is None for f in result.missing)
            for field in result.missing:
                answered[field] = data.draw(ANSWERS[field])
            result = evaluate(answered, DEMO_COMPILED, ON)[position]
            rounds += 1
            assert rounds <= len(QUESTION_FIELDS)


@given(
    st.lists(st.sampled_from(QUESTION_FIELDS), unique=True),
    st.sets(st.sampled_from(QUESTION_FIELDS)),
    st.sets(st.sampled_from(QUESTION_FIELDS)),
)
def test_the_pass_asks_each_askable_missing_field_once_in_the_engines_order(
    missing, askable, asked
):
    ask = fields_to_ask(missing, askable=askable, asked=asked)
    assert ask == [f for f in missing if f in askable and f not in asked]
    assert set(ask).isdisjoint(asked)
    assert set(ask) | set(unanswerable(missing, askable=askable)) | (set(missing) & asked) == set(
        missing
    )
