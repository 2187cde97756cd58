"""The needs questionnaire: ``/cuestionario``.

One question per page, chosen by :func:`portal.questions.next_question`; a
check-your-answers page; results in three groups. Every step is a plain form
post answered with a 303 redirect; with htmx the same form swaps only the
``panel`` block of the page (the redirect is followed by the browser, and the
page it lands on answers with its own ``panel``).

Anonymous answers live in the session and can be saved under a short code;
a signed-in citizen's answers are kept in their record (see portal/answers.py).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField

from .. import answers as store
from ..auth import is_citizen
from ..catalog_store import engine_catalog, quota_used
from ..eligibility import Status
from ..geo import load_state
from ..htmx import render
from ..profile import DONT_KNOW, FIELDS, NONE_OF_THEM, AnswerError, profile_to_json
from ..questions import DONT_KNOW_LABEL, Question, load_questions, next_question

bp = Blueprint("questionnaire", __name__, url_prefix="/cuestionario")

PANEL = "panel"


@cache
def questions() -> dict[str, Question]:
    """The questions by field, in the file's order (read once per process)."""
    return {q.field: q for q in load_questions(load_state().municipalities)}


# Where the answers are


def _answers() -> tuple[dict[str, Any], set[str]]:
    """The person's stored answers (JSON values) and the fields they may not change."""
    if is_citizen():
        pending = session.pop("answers", None)
        if pending:
            # Answered before signing in: the answers move to the record.
            store.save_citizen_answers(current_user.id, pending)
        citizen = current_user._get_current_object()
        return store.citizen_answers(citizen), set(store.identity_answers(citizen))
    return dict(session.get("answers", {})), set()


def _profile(raw: dict[str, Any]) -> dict[str, Any]:
    profile = store.typed_profile(raw)
    if is_citizen():
        enrolled = store.enrolled_slugs(current_user._get_current_object())
        if enrolled:
            profile["enrolled"] = enrolled
    return profile


def _save(field: str, value: Any) -> None:
    stored = profile_to_json({field: value})[field]
    if is_citizen():
        store.save_citizen_answers(current_user.id, {field: stored})
    else:
        answers = dict(session.get("answers", {}))
        answers[field] = stored
        session["answers"] = answers
    asked = [f for f in session.get("asked", []) if f != field]
    session["asked"] = [*asked, field]


def _order(raw: dict[str, Any]) -> list[str]:
    """Answered fields in the order they were asked, then the rest in question order."""
    asked = [f for f in session.get("asked", []) if f in raw and f in questions()]
    return asked + [f for f in questions() if f in raw and f not in asked]


# Forms


class ResumeForm(FlaskForm):
    code = StringField(
        _l("Código para continuar"),
        description=_l("Son 8 letras y números, por ejemplo 7K3M-9PXA."),
    )


class AnswerForm(FlaskForm):
    """Base of the one-question forms built by :func:`_form`."""


def _form(question: Question, data: dict[str, Any] | None = None) -> AnswerForm:
    fields: dict[str, Any] = {}
    if question.input in ("choice", "yes_no"):
        choices = [(o.value, o.label) for o in question.options]
        if question.dont_know:
            choices.append((DONT_KNOW, _(DONT_KNOW_LABEL)))
        fields["answer"] = RadioField(question.text, choices=choices, validate_choice=False)
    elif question.input == "municipality":
        choices = [("", _("Elija su municipio"))] + [(o.value, o.label) for o in question.options]
        fields["answer"] = SelectField(question.text, choices=choices, validate_choice=False)
    else:
        fields["answer"] = StringField(question.text)
        if question.none_label:
            fields["none"] = BooleanField(question.none_label)
        if question.dont_know:
            fields["dont_know"] = BooleanField(_(DONT_KNOW_LABEL))
    form_class = type("QuestionForm", (AnswerForm,), fields)
    return form_class(data=data)


def _form_data(question: Question, value: Any) -> dict[str, Any]:
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


def _raw_answer(form: AnswerForm) -> str:
    typed = (form.answer.data or "").strip()
    if "dont_know" in form and form.dont_know.data:
        if typed:
            raise AnswerError(_("Escriba una respuesta o marque «No sé», no las dos."))
        return DONT_KNOW
    if "none" in form and form.none.data:
        if typed:
            raise AnswerError(_("Escriba las edades o marque que no tiene, no las dos."))
        return NONE_OF_THEM
    return typed


# Views


@bp.get("")
def start():
    raw, _locked = _answers()
    return render("questionnaire/start.html", form=ResumeForm(), has_answers=bool(raw))


@bp.get("/siguiente")
def next_step():
    raw, _locked = _answers()
    question = next_question(
        _profile(raw), engine_catalog(), date.today(), questions=list(questions().values())
    )
    if question is None:
        return redirect(url_for(".review"), code=303)
    return redirect(url_for(".question", field=question.field), code=303)


@bp.route("/pregunta/<field>", methods=["GET", "POST"])
def question(field: str):
    raw, locked = _answers()
    q = questions().get(field)
    if q is None or field in locked:
        abort(404)
    if request.method == "POST":
        form = _form(q)
        if form.validate():
            try:
                value = q.parse(_raw_answer(form), on=date.today())
            except AnswerError as exc:
                form.answer.errors.append(str(exc))
            else:
                _save(field, value)
                return redirect(url_for(".next_step"), code=303)
        status = 422
    else:
        typed = store.typed_profile(raw)
        form = _form(q, _form_data(q, typed[field]) if field in typed else None)
        status = 200
    order = _order(raw)
    earlier = order[: order.index(field)] if field in order else order
    back = url_for(".question", field=earlier[-1]) if earlier else url_for(".start")
    return render(
        "questionnaire/question.html",
        block=PANEL,
        q=q,
        form=form,
        back=back,
        back_is_question=bool(earlier),
        number=len(earlier) + 1,
    ), status


@bp.get("/revisar")
def review():
    raw, locked = _answers()
    if not raw:
        return redirect(url_for(".start"), code=303)
    typed = store.typed_profile(raw)
    rows = [
        (questions()[f], questions()[f].display(typed[f]), f not in locked)
        for f in _order(raw)
        if f in typed
    ]
    return render("questionnaire/review.html", block=PANEL, rows=rows)


@bp.get("/resultados")
def results():
    raw, _locked = _answers()
    if not raw:
        return redirect(url_for(".start"), code=303)
    today = date.today()
    compiled = engine_catalog()
    programs = {p.slug: p for p in compiled.programs}
    groups: dict[Status, list] = {status: [] for status in Status}
    for result in compiled.evaluate(_profile(raw), today, quota_used=quota_used(today)):
        groups[result.status].append((programs[result.program], result))
    missing_labels = {name: FIELDS[name].label for name in FIELDS}
    return render(
        "questionnaire/results.html",
        eligible=groups[Status.ELIGIBLE],
        maybe=groups[Status.MAYBE],
        not_eligible=groups[Status.NOT_ELIGIBLE],
        labels=missing_labels,
        answered=raw,
        asked_fields=questions(),
    )


@bp.post("/guardar")
def save():
    raw, _locked = _answers()
    if is_citizen():
        flash(_("Sus respuestas ya se guardan en su expediente."), "info")
        return redirect(url_for(".review"), code=303)
    if not raw:
        return redirect(url_for(".start"), code=303)
    session["resume_code"] = store.save_for_later(raw, session.get("asked", []))
    return redirect(url_for(".saved"), code=303)


@bp.get("/codigo")
def saved():
    code = session.get("resume_code")
    if not code:
        return redirect(url_for(".start"), code=303)
    return render("questionnaire/saved.html", code=store.format_code(code), days=store.RESUME_DAYS)


@bp.post("/retomar")
def resume():
    form = ResumeForm()
    if form.validate():
        try:
            saved_answers = store.find_saved(form.code.data or "")
        except store.CodeError as exc:
            form.code.errors.append(str(exc))
        else:
            if is_citizen():
                store.save_citizen_answers(current_user.id, saved_answers.answers)
            else:
                session["answers"] = dict(saved_answers.answers)
            session["asked"] = list(saved_answers.asked)
            flash(_("Recuperamos sus respuestas. Revíselas y continúe."), "ok")
            return redirect(url_for(".review"), code=303)
    raw, _locked = _answers()
    return render("questionnaire/start.html", form=form, has_answers=bool(raw)), 422


@bp.post("/reiniciar")
def restart():
    """Forget an anonymous person's answers (a citizen changes theirs one by one)."""
    if not is_citizen():
        session.pop("answers", None)
        session.pop("asked", None)
        session.pop("resume_code", None)
    return redirect(url_for(".next_step"), code=303)
