"""The needs questionnaire's steps, shared by everyone who answers it.

A person answers it at ``/cuestionario`` (views/questionnaire.py): anonymously,
with the answers in the session, or signed in, with them in their record.
Counter staff answer it with a person at
``/oficina/ventanilla/persona/cuestionario`` (backoffice/views/counter_questionnaire.py),
into that person's record. Questions, forms, checks and templates are the same;
a :class:`Flow` says where the answers are kept (an :class:`Answers`) and which
blueprint serves the pages.

One question per page, chosen by :func:`portal.eligibility.questions.next_question`; a
check-your-answers page; results in three groups. Every step is a plain form
post answered with a 303 redirect; with htmx the same form swaps only the
``panel`` block of the page (the redirect is followed by the browser, and the
page it lands on answers with its own ``panel``).
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache, lru_cache
from typing import Any

from flask import abort, redirect, request, session, url_for
from flask_babel import get_locale
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField

from portal.catalog import amounts, content
from portal.catalog.geography import load_state
from portal.catalog.store import engine_catalog, quota_used
from portal.eligibility import answers as store
from portal.eligibility import household as household_store
from portal.eligibility.engine import Status
from portal.eligibility.profile import DONT_KNOW, FIELDS, NONE_OF_THEM, AnswerError, profile_to_json
from portal.eligibility.questions import DONT_KNOW_LABEL, Question, load_questions, next_question
from portal.messages import gettext as _
from portal.models import Citizen
from portal.web.forms import BaseForm
from portal.web.htmx import render
from portal.web.i18n import content_language

PANEL = "panel"


@cache
def questions() -> dict[str, Question]:
    """The questions by field, in the file's order (read once per process)."""
    return {q.field: q for q in load_questions(load_state().municipalities)}


def shown_questions() -> dict[str, Question]:
    """The questions in the person's language (text by text, Spanish where missing)."""
    return _questions_in(content_language())


@cache
def _questions_in(lang: str) -> dict[str, Question]:
    return {name: q.localized(lang) for name, q in questions().items()}


# Where the answers are


class Answers(ABC):
    """Where one person's answers are kept."""

    #: The session key that remembers the order in which the fields were asked.
    asked_key = "asked"

    @abstractmethod
    def load(self) -> tuple[dict[str, Any], set[str]]:
        """The stored answers (JSON values) and the fields that may not be changed."""

    @abstractmethod
    def save(self, field: str, stored: Any) -> None:
        """Keep one answer, given as its JSON value."""

    def enrolled(self) -> tuple[str, ...]:
        """The programs the person already receives, as far as the portal knows."""
        return ()

    def asked(self) -> list[str]:
        return list(session.get(self.asked_key, []))

    # The household's people (portal/eligibility/household.py); an anonymous
    # person's are kept in the session, like their answers.

    def household(self) -> list[household_store.Member]:
        return [household_store.member_from_json(m) for m in session.get("household", [])]

    def add_member(self, member: household_store.Member) -> None:
        members = household_store.add_to_list(self.household(), member)
        session["household"] = [m.to_json() for m in members]

    def remove_member(self, index: int) -> bool:
        members = self.household()
        if not 0 <= index < len(members):
            return False
        del members[index]
        session["household"] = [m.to_json() for m in members]
        return True

    def mark_asked(self, field: str) -> None:
        session[self.asked_key] = [*(f for f in self.asked() if f != field), field]


class CitizenAnswers(Answers):
    """A citizen's record (``Citizen.profile``); what it says of identity is never asked."""

    def __init__(self, citizen_id: int) -> None:
        self.citizen_id = citizen_id

    def load(self) -> tuple[dict[str, Any], set[str]]:
        # Read afresh: the answers may have changed since the user was loaded.
        citizen = Citizen.get_by_id(self.citizen_id)
        return store.citizen_answers(citizen), set(store.identity_answers(citizen))

    def save(self, field: str, stored: Any) -> None:
        store.save_citizen_answers(self.citizen_id, {field: stored})

    def enrolled(self) -> tuple[str, ...]:
        return store.enrolled_slugs(self.citizen_id)

    def household(self) -> list[household_store.Member]:
        return household_store.citizen_members(self.citizen_id)

    def add_member(self, member: household_store.Member) -> None:
        household_store.add_member(self.citizen_id, member)

    def remove_member(self, index: int) -> bool:
        return household_store.remove_member(self.citizen_id, index)


def answered_count(citizen: Citizen) -> int:
    """How many questions the citizen's record holds an answer to."""
    return sum(1 for name in citizen.profile if name in questions())


@dataclasses.dataclass(frozen=True)
class Flow:
    """One questionnaire being answered: whose answers, and which pages ask them.

    ``blueprint`` serves the views ``next_step``, ``question``, ``review`` and
    ``results``, whose URLs take ``url_args`` (and ``field`` for a question);
    ``start`` is the page before the first question.
    """

    answers: Answers
    blueprint: str
    start: str
    url_args: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def url(self, view: str, **values: Any) -> str:
        return url_for(f"{self.blueprint}.{view}", **self.url_args, **values)

    def profile(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The typed profile the engine reads: the answers and the programs received."""
        profile = store.typed_profile(raw)
        enrolled = self.answers.enrolled()
        if enrolled:
            profile["enrolled"] = enrolled
        return profile

    def order(self, raw: Mapping[str, Any]) -> list[str]:
        """Answered fields in the order they were asked, then the rest in question order."""
        asked = [f for f in self.answers.asked() if f in raw and f in questions()]
        return asked + [f for f in questions() if f in raw and f not in asked]


# Forms


class AnswerForm(BaseForm):
    """Base of the one-question forms built by :func:`answer_form`."""


def answer_form(question: Question, data: dict[str, Any] | None = None) -> AnswerForm:
    return _answer_form_class(question, str(get_locale()))(data=data)


@lru_cache(maxsize=256)
def _answer_form_class(question: Question, _locale: str) -> type[AnswerForm]:
    """The form class of one question in one interface language, built once per
    process: making a class (and WTForms' metaclass reading its fields) on
    every request was a seventh of a question page's CPU."""
    fields: dict[str, Any] = {}
    if question.input in ("choice", "yes_no"):
        choices = [SelectChoice(o.value, o.label) for o in question.options]
        if question.dont_know:
            choices.append(SelectChoice(DONT_KNOW, _(DONT_KNOW_LABEL)))
        fields["answer"] = RadioField(question.text, choices=choices, validate_choice=False)
    elif question.input == "municipality":
        choices = [SelectChoice("", _("Elija su municipio"))]
        choices += [SelectChoice(o.value, o.label) for o in question.options]
        fields["answer"] = SelectField(question.text, choices=choices, validate_choice=False)
    else:
        fields["answer"] = StringField(question.text)
        if question.none_label:
            fields["none"] = BooleanField(question.none_label)
        if question.dont_know:
            fields["dont_know"] = BooleanField(_(DONT_KNOW_LABEL))
    return type("QuestionForm", (AnswerForm,), fields)


def form_data(question: Question, value: Any) -> dict[str, Any]:
    """A stored answer as the form shows it, so a changed answer starts from the old one."""
    if value is None:
        if question.input in ("choice", "yes_no", "municipality"):
            return {"answer": DONT_KNOW}
        return {"dont_know": True}
    if question.input == "yes_no":
        return {"answer": "si" if value else "no"}
    if question.input == "multi":
        return {"none": True} if not value else {"answer": ", ".join(str(a) for a in value)}
    if isinstance(value, date):
        return {"answer": value.isoformat()}
    if isinstance(value, float) and value.is_integer():
        return {"answer": str(int(value))}
    return {"answer": str(value)}


def raw_answer(form: AnswerForm) -> str:
    typed = form.answer.data or ""
    if "dont_know" in form and form.dont_know.data:
        if typed:
            raise AnswerError(_("Escriba una respuesta o marque «No sé», no las dos."))
        return DONT_KNOW
    if "none" in form and form.none.data:
        if typed:
            raise AnswerError(_("Escriba las edades o marque que no tiene, no las dos."))
        return NONE_OF_THEM
    return typed


# Steps: each answers one request of the blueprint named in the flow. ``context``
# goes to the template as is (the counter names the person it serves).


def next_step(flow: Flow):
    raw, _locked = flow.answers.load()
    question = next_question(
        flow.profile(raw), engine_catalog(), date.today(), questions=list(questions().values())
    )
    if question is None:
        return redirect(flow.url("review"), code=303)
    return redirect(flow.url("question", field=question.field), code=303)


def question(flow: Flow, field: str, **context: Any):
    raw, locked = flow.answers.load()
    q = shown_questions().get(field)
    if q is None or field in locked:
        abort(404)
    if request.method == "POST":
        form = answer_form(q)
        if form.validate():
            try:
                value = q.parse(raw_answer(form), on=date.today())
            except AnswerError as exc:
                form.answer.errors.append(str(exc))
            else:
                flow.answers.save(field, profile_to_json({field: value})[field])
                flow.answers.mark_asked(field)
                return redirect(flow.url("next_step"), code=303)
        status = 422
    else:
        typed = store.typed_profile(raw)
        form = answer_form(q, form_data(q, typed[field]) if field in typed else None)
        status = 200
    # What the person's record says is never asked, so it is no step back.
    order = [f for f in flow.order(raw) if f not in locked]
    earlier = order[: order.index(field)] if field in order else order
    back = flow.url("question", field=earlier[-1]) if earlier else flow.start
    return render(
        "eligibility/question.html",
        block=PANEL,
        flow=flow,
        q=q,
        form=form,
        back=back,
        back_is_question=bool(earlier),
        number=len(earlier) + 1,
        **context,
    ), status


def review(flow: Flow, **context: Any):
    raw, locked = flow.answers.load()
    if not raw:
        return redirect(flow.start, code=303)
    typed = store.typed_profile(raw)
    shown = shown_questions()
    rows = [
        (shown[f], shown[f].display(typed[f]), f not in locked)
        for f in flow.order(raw)
        if f in typed
    ]
    return render("eligibility/review.html", block=PANEL, flow=flow, rows=rows, **context)


def results(flow: Flow, **context: Any):
    raw, _locked = flow.answers.load()
    if not raw:
        return redirect(flow.start, code=303)
    today = date.today()
    # The cards show each program in the person's language, built from the same
    # compiled catalog the verdicts come from.
    compiled = content.compiled_catalog()
    programs = {p.slug: p for p in content.programs()}
    groups: dict[Status, list] = {status: [] for status in Status}
    for result in compiled.evaluate(flow.profile(raw), today, quota_used=quota_used(today)):
        groups[result.status].append((programs[result.program], result))
    eligible = [program for program, _result in groups[Status.ELIGIBLE]]
    could = eligible + [program for program, _result in groups[Status.MAYBE]]
    people = household_results(flow, raw, compiled, programs, today, eligible)
    own = amounts.total(eligible)
    return render(
        "eligibility/results.html",
        flow=flow,
        people=people,
        household_yearly=own.yearly + sum(p.total.yearly for p in people),
        total=own,
        maybe_more=amounts.total(could).yearly - amounts.total(eligible).yearly,
        yearly_text=amounts.yearly_text,
        eligible=groups[Status.ELIGIBLE],
        maybe=groups[Status.MAYBE],
        not_eligible=groups[Status.NOT_ELIGIBLE],
        labels={name: spec.label for name, spec in FIELDS.items()},
        asked_fields=questions(),
        **context,
    )


@dataclasses.dataclass(frozen=True)
class PersonResults:
    """What one person of the household could receive."""

    who: str  # "su hija de 7 años"
    eligible: list[Any]  # catalog programs, in catalog order
    maybe: int  # programs that need answers only that person could give
    total: amounts.Total  # of ``eligible``
    # The person's own programs given for this child (Útiles y Uniformes for a
    # daughter of 7): counted in the person's total, not again here.
    through_parent: list[Any] = dataclasses.field(default_factory=list)
    # Their place in the household list, and whether the person answering may
    # apply for them (a child: portal/applications/guardian.py).
    index: int = 0
    child: bool = False


def household_results(
    flow: Flow,
    raw: Mapping[str, Any],
    compiled: Any,
    programs: Mapping[str, Any],
    on: date,
    parent_eligible: Sequence[Any] = (),
) -> list[PersonResults]:
    """Each listed person judged with their own facts and the household's answers
    (at most household.MAX_MEMBERS evaluations, whatever the registry's size)."""
    shared = flow.profile(raw)
    people = []
    for index, member in enumerate(flow.answers.household()):
        for_child = household_store.programs_for_child(member, parent_eligible)
        profile = household_store.member_profile(member, shared, on)
        eligible, maybe = [], 0
        for result in compiled.evaluate(profile, on, quota_used=quota_used(on)):
            if result.status is Status.ELIGIBLE:
                eligible.append(programs[result.program])
            elif result.status is Status.MAYBE:
                maybe += 1
        own = [p for p in eligible if p not in for_child]
        people.append(
            PersonResults(
                member.who(), own, maybe, amounts.total(own), for_child, index, member.is_child
            )
        )
    return people
