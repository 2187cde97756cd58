"""The coordinating secretariat in the back office (/oficina/secretaria).

The secretariat (role ``secretaria``, no agency) sets reporting obligations
for every agency and sees the state-wide board of overdue ones; an agency's
administrator sees only their agency's obligations and marks them done. Any
staff member reads their own inbox. Objects are loaded through queries scoped
to the agency: another agency's obligation answers 404, like a missing one.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.backoffice.audit import Actor
from portal.models import Agency, Program
from portal.secretariat import calendar, inbox
from portal.secretariat.calendar import CalendarError
from portal.secretariat.forms import ObligationForm
from portal.vocabulary import Role
from portal.web.auth import staff_required
from portal.web.htmx import render

bp = Blueprint("secretariat", __name__, url_prefix="/oficina/secretaria")
SECRETARIAT = (Role.SECRETARIA,)
REPORTERS = calendar.AGENCY_REPORTERS
CALENDAR_READERS = (*SECRETARIAT, *REPORTERS)


def _user():
    return current_user._get_current_object()


def _scope() -> int | None:
    """The agency whose objects the current staff member sees; None: all (the secretariat)."""
    return None if current_user.role == Role.SECRETARIA else current_user.agency_id


@bp.get("/calendario")
@staff_required(*CALENDAR_READERS)
def index():
    return render(
        "secretariat/calendar.html",
        shown=calendar.obligations_of(_scope()),
        standings=calendar.STANDINGS,
        kinds=calendar.KINDS,
        is_secretariat=_scope() is None,
    )


@bp.get("/vencidas")
@staff_required(*SECRETARIAT)
def overdue():
    return render(
        "secretariat/overdue.html",
        shown=calendar.overdue(),
        standings=calendar.STANDINGS,
        kinds=calendar.KINDS,
    )


def _obligation_form(from_request: bool) -> ObligationForm:
    form = ObligationForm() if from_request else ObligationForm(formdata=None)
    agencies = list(Agency.select().order_by(Agency.name))
    form.dependencia.choices = [SelectChoice("", _("Elija una dependencia"))] + [
        SelectChoice(str(a.id), a.name) for a in agencies
    ]
    programs = Program.select(Program.id, Program.name, Program.agency).order_by(Program.name)
    names = {a.id: a.name for a in agencies}
    form.programa.choices = [SelectChoice("", _("Toda la dependencia"))] + [
        SelectChoice(str(p.id), f"{p.name} ({names.get(p.agency_id, '')})") for p in programs
    ]
    form.tipo.choices = [SelectChoice("", _("Elija qué debe entregar"))] + [
        SelectChoice(k, str(v)) for k, v in calendar.KINDS.items()
    ]
    return form


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


@bp.route("/obligaciones/nueva", methods=["GET", "POST"])
@staff_required(*SECRETARIAT)
def new_obligation():
    if request.method == "GET":
        return render("secretariat/obligation_form.html", form=_obligation_form(False))
    form = _obligation_form(True)
    if not form.validate():
        return render("secretariat/obligation_form.html", form=form), 422
    try:
        obligation = calendar.create_obligation(
            _user(),
            agency_id=_number(form.dependencia.data),
            program_id=_number(form.programa.data),
            kind=form.tipo.data or "",
            title=form.titulo.data or "",
            due_on=form.fecha_limite.data,
            remind_days=form.aviso_dias.whole_number(),
            request_id=g.get("request_id", ""),
        )
    except CalendarError as error:
        getattr(form, error.field).errors.append(error.message)
        return render("secretariat/obligation_form.html", form=form), 422
    flash(_("Entrega agregada al calendario."), "ok")
    return redirect(url_for("secretariat.index") + f"#obligacion-{obligation.id}", code=303)


@bp.post("/obligaciones/<int:obligation_id>/cumplida")
@staff_required(*REPORTERS)
def mark_done(obligation_id: int):
    found = calendar.find_for(obligation_id, current_user.agency_id)
    if found is None:
        abort(404)
    if calendar.complete(found, Actor.staff(_user()), request_id=g.get("request_id", "")):
        flash(_("Entrega marcada como cumplida."), "ok")
    else:
        flash(_("Esta entrega ya estaba cumplida."), "ok")
    return redirect(url_for("secretariat.index") + f"#obligacion-{found.id}", code=303)


@bp.get("/avisos")
@staff_required()
def notices():
    member = _user()
    found = inbox.latest(member)
    unread = [n.id for n in found if n.read_at is None]
    page = render("secretariat/notices.html", notices=found, unread=set(unread))
    inbox.mark_read(member, unread)  # seen now; shown as new this once
    return page
