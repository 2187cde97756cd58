"""The needs questionnaire: ``/cuestionario``.

The steps (one question per page, check your answers, results) are those of
views/questionnaire_flow.py, which the counter's assisted questionnaire shares.
This blueprint adds where a person's own answers live: an anonymous person's
in the session, where they can be saved under a short code; a signed-in
citizen's in their record (see portal/eligibility/answers.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_login import current_user
from wtforms import RadioField, SelectChoice, StringField

from portal.applications import workflow as apps
from portal.eligibility import answers as store
from portal.eligibility import flow, household, member_fields, missing
from portal.messages import _l
from portal.messages import gettext as _
from portal.models import Citizen, Program
from portal.web.auth import citizen_required, is_citizen
from portal.web.forms import BaseForm
from portal.web.htmx import make_response, render, wants_fragment

bp = Blueprint("questionnaire", __name__, url_prefix="/cuestionario")


class SessionAnswers(flow.Answers):
    """An anonymous person's answers, in their session."""

    def load(self) -> tuple[dict[str, Any], set[str]]:
        return dict(session.get("answers", {})), set()

    def save(self, field: str, stored: Any) -> None:
        session["answers"] = {**session.get("answers", {}), field: stored}


def _answers() -> flow.Answers:
    if is_citizen():
        pending = session.pop("answers", None)
        if pending:
            # Answered before signing in: the answers move to the record.
            store.save_citizen_answers(current_user.id, pending)
        answers = flow.CitizenAnswers(current_user.id)
        for member in session.pop("household", None) or ():
            try:
                answers.add_member(household.member_from_json(member))
            except household.HouseholdError:
                break  # the record's list is full: the rest stays out
        return answers
    return SessionAnswers()


def _flow() -> flow.Flow:
    return flow.Flow(_answers(), blueprint=bp.name, start=url_for(".start"))


class ResumeForm(BaseForm):
    code = StringField(
        _l("Código para continuar"),
        description=_l(
            "Son 8 letras y números, por ejemplo 7K3M-9PXA. Cada código vale %(days)s días.",
            days=store.RESUME_DAYS,
        ),
    )


# Views


@bp.get("")
def start():
    raw, _locked = _answers().load()
    return render("eligibility/start.html", form=ResumeForm(), has_answers=bool(raw))


@bp.get("/siguiente")
def next_step():
    return flow.next_step(_flow())


@bp.route("/pregunta/<field>", methods=["GET", "POST"])
def question(field: str):
    return flow.question(_flow(), field)


@bp.get("/revisar")
def review():
    return flow.review(_flow())


@bp.get("/resultados")
def results():
    return flow.results(_flow())


class MemberForm(BaseForm):
    """One person of the household; checked by household.read_member."""

    relation = RadioField(
        _l("¿Qué es de usted?"),
        choices=[SelectChoice(v, label) for v, label in household.RELATION_LABELS.items()],
        validate_choice=False,
    )
    age = StringField(_l("Edad en años cumplidos"), description=_l("Para un bebé, escriba 0."))
    sex = RadioField(
        _l("Sexo"),
        choices=[SelectChoice("M", _l("Mujer")), SelectChoice("H", _l("Hombre"))],
        validate_choice=False,
    )
    student_level = member_fields.student_level_field()
    disability = member_fields.disability_field()


def _person_age(answers: flow.Answers) -> int | None:
    raw, _locked = answers.load()
    born = store.typed_profile(raw).get("birth_date")
    if born is None:
        return None
    today = date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@bp.route("/hogar", methods=["GET", "POST"])
def household_page():
    """The people who live with the person: listed, added one at a time, removed."""
    answers = _answers()
    form = MemberForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                member = household.read_member(form.data, person_age=_person_age(answers))
                answers.add_member(member)
            except household.HouseholdError as exc:
                for name, message in exc.errors.items():
                    form[name].errors.append(str(message))
            else:
                flash(_("Agregamos a %(who)s.", who=member.who()), "ok")
                return redirect(url_for(".household_page"), code=303)
        status = 422
    members = answers.household()
    return render(
        "eligibility/household.html",
        form=form,
        members=members,
        full=len(members) >= household.MAX_MEMBERS,
        remove_form=BaseForm(formdata=None),
    ), status


@bp.post("/hogar/<int:index>/quitar")
def remove_member(index: int):
    if not BaseForm().validate():
        abort(400)
    if not _answers().remove_member(index):
        abort(404)
    flash(_("Quitamos a esa persona de la lista."), "ok")
    return redirect(url_for(".household_page"), code=303)


@bp.post("/guardar")
def save():
    raw, _locked = _answers().load()
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
    until = store.saved_until(code) if code else None
    if not code or until is None:
        return redirect(url_for(".start"), code=303)
    return render(
        "eligibility/saved.html",
        code=store.format_code(code),
        days=store.RESUME_DAYS,
        until=until,
    )


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
    raw, _locked = _answers().load()
    return render("eligibility/start.html", form=form, has_answers=bool(raw)), 422


@bp.post("/reiniciar")
def restart():
    """Forget an anonymous person's answers (a citizen changes theirs one by one)."""
    if not is_citizen():
        session.pop("answers", None)
        session.pop("asked", None)
        session.pop("resume_code", None)
    return redirect(url_for(".next_step"), code=303)


# On the way to an application: the answers a "maybe" still needs
# (portal/eligibility/missing.py). Nested here, so its pages live under
# /cuestionario and share the questionnaire's steps and templates.

applying = Blueprint("para_solicitar", __name__, url_prefix="/para-solicitar/<slug>")


class ApplyingAnswers(flow.CitizenAnswers):
    """The citizen's record, with the fields asked in this pass kept apart."""

    def __init__(self, citizen_id: int, slug: str) -> None:
        super().__init__(citizen_id)
        self.asked_key = f"asked_to_apply:{slug}"


class ApplyingFlow(flow.Flow):
    """The pass's pages go back through what this pass asked, then to the program."""

    def order(self, raw: Mapping[str, Any]) -> list[str]:
        return [f for f in self.answers.asked() if f in raw and f in flow.questions()]


def _program_to_apply(slug: str) -> Program:
    program = Program.get_or_none((Program.slug == slug) & (Program.active == True))  # noqa: E712
    if program is None:
        abort(404)
    return program


def _applying_flow(slug: str) -> flow.Flow:
    _answers()  # answers given before signing in move to the record first
    return ApplyingFlow(
        ApplyingAnswers(current_user.id, slug),
        blueprint=f"{bp.name}.{applying.name}",
        # Not the application page: it would send the person straight back here.
        start=url_for("catalog.detail", slug=slug),
        url_args={"slug": slug},
    )


@applying.get("")
@citizen_required
def start_pass(slug: str):
    """Begin asking what the program still needs (the application page sends here)."""
    _program_to_apply(slug)
    session.pop(f"asked_to_apply:{slug}", None)
    return redirect(url_for(".next_step", slug=slug), code=303)


@applying.get("/siguiente", endpoint="next_step")
@citizen_required
def next_missing(slug: str):
    program = _program_to_apply(slug)
    answers = _applying_flow(slug).answers
    _raw, locked = answers.load()
    citizen = Citizen.get_by_id(current_user.id)
    still = apps.missing_answers(citizen, program, date.today())
    askable = set(flow.questions()) - locked
    ask = missing.fields_to_ask(still, askable=askable, asked=answers.asked())
    if ask:
        return redirect(url_for(".question", slug=slug, field=ask[0]), code=303)
    session.pop(answers.asked_key, None)
    if still:
        session[missing.ASKED_TO_APPLY] = slug
    apply = url_for("applications.apply", slug=slug)
    if wants_fragment():
        # The application page has no panel to swap: htmx loads it whole.
        return make_response("", 204, redirect=apply)
    return redirect(apply, code=303)


@applying.route("/pregunta/<field>", methods=["GET", "POST"], endpoint="question")
@citizen_required
def missing_question(slug: str, field: str):
    program = _program_to_apply(slug)
    return flow.question(_applying_flow(slug), field, applying_to=program)


bp.register_blueprint(applying)
