"""Planning in the back office (/oficina/planeacion): budgets, goals and
indicators, and the physical-financial progress report.

The agency's administrator sees and edits their agency's programs; the state
admin (the coordinating secretariat) every agency's, and the state-wide view
across agencies. Every page reads the kept figures (portal/planning/tally.py):
a few rows per program, whatever the size of the registry. No page shows a
person: only sums.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.backoffice.views import shared as staff
from portal.messages import gettext as _
from portal.models import Agency, Municipality, Program
from portal.planning import budget as budgets
from portal.planning import goals as mir
from portal.planning import progress
from portal.planning.budget import PlanningError
from portal.planning.forms import BudgetForm, GoalForm, IndicatorForm
from portal.vocabulary import Role
from portal.web.auth import staff_required
from portal.web.downloads import attachment_headers
from portal.web.exports import csv_text, xlsx_bytes
from portal.web.htmx import render

bp = Blueprint("planning", __name__, url_prefix="/oficina/planeacion")
PLANNERS = (Role.ADMIN_DEPENDENCIA, Role.ADMIN_ESTATAL)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(value: int | str | None = None) -> int:
    """The fiscal year asked for (this one by default); 404 outside the range."""
    if value is None:
        raw = request.args.get("anio", "")
        if not raw:
            return dt.date.today().year
        if not raw.isdigit():
            abort(404)
        value = raw
    year = int(value)
    if not budgets.FIRST_YEAR <= year <= budgets.LAST_YEAR:
        abort(404)
    return year


def _program(slug: str) -> Program:
    """A program the planner may see: their agency's, or any for the state admin."""
    query = Program.select().where(Program.slug == slug)
    return staff.get_or_404(staff.agency_scope(query, Program.agency))


def _user():
    return current_user._get_current_object()


@bp.get("")
@staff_required(*PLANNERS)
def index():
    year = _year()
    state_wide = staff.is_state_admin()
    found = progress.summary(year, None if state_wide else current_user.agency_id)
    return render(
        "planning/index.html",
        summary=found,
        year=year,
        state_wide=state_wide,
        years=range(year - 2, year + 2),
    )


def _download(name: str, header: list[str], rows, fmt: str) -> Response:
    if fmt == "xlsx":
        response = Response(xlsx_bytes(header, rows, sheet="Avance"), mimetype=XLSX)
        filename = f"{name}.xlsx"
    else:
        response = Response(csv_text(header, rows), mimetype="text/csv; charset=utf-8")
        filename = f"{name}.csv"
    response.headers.update(attachment_headers(filename))
    response.headers["Cache-Control"] = "no-store"
    return response


def _summary_download(fmt: str) -> Response:
    year = _year()
    found = progress.summary(year, None if staff.is_state_admin() else current_user.agency_id)
    rows = list(progress.summary_rows(found))
    return _download(f"avance-programas-{year}", progress.summary_header(), rows, fmt)


@bp.get("/resumen.csv")
@staff_required(*PLANNERS)
def summary_csv():
    return _summary_download("csv")


@bp.get("/resumen.xlsx")
@staff_required(*PLANNERS)
def summary_xlsx():
    return _summary_download("xlsx")


@bp.get("/<slug>/<int:year>")
@staff_required(*PLANNERS)
def program(slug: str, year: int):
    found = _program(slug)
    year = _year(year)
    shown = progress.report(found, year)
    quarter = request.args.get("trimestre", "")
    chosen = int(quarter) if quarter in ("1", "2", "3", "4") else None
    names = _municipality_names(shown.served_by_municipality.keys() | shown.goals.keys())
    return render(
        "planning/report.html",
        program=found,
        agency=Agency.get_by_id(found.agency_id),
        year=year,
        report=shown,
        chosen=chosen,
        municipality_names=names,
        quarter_labels=progress.QUARTER_LABELS,
        formulas=mir.FORMULAS,
        frequencies=mir.FREQUENCIES,
        shown_value=mir.shown_value,
    )


def _municipality_names(codes) -> dict[str, str]:
    wanted = [c for c in codes if c]
    if not wanted:
        return {}
    rows = Municipality.select(Municipality.code, Municipality.name).where(
        Municipality.code.in_(wanted)
    )
    return {m.code: m.name for m in rows}


def _report_download(slug: str, year: int, fmt: str) -> Response:
    found = _program(slug)
    shown = progress.report(found, _year(year))
    rows = list(progress.report_rows(shown))
    return _download(f"avance-{found.slug}-{year}", progress.report_header(shown), rows, fmt)


@bp.get("/<slug>/<int:year>/avance.csv")
@staff_required(*PLANNERS)
def progress_csv(slug: str, year: int):
    return _report_download(slug, year, "csv")


@bp.get("/<slug>/<int:year>/avance.xlsx")
@staff_required(*PLANNERS)
def progress_xlsx(slug: str, year: int):
    return _report_download(slug, year, "xlsx")


# The budget --------------------------------------------------------------------------


def _budget_page(program: Program, year: int, form: BudgetForm, status: int = 200):
    return render(
        "planning/budget.html",
        program=program,
        year=year,
        form=form,
        figures=budgets.figures_of(program.id, year),
        history=budgets.budget_history(program, year),
    ), status


@bp.route("/<slug>/<int:year>/presupuesto", methods=["GET", "POST"])
@staff_required(*PLANNERS)
def budget(slug: str, year: int):
    found = _program(slug)
    year = _year(year)
    if request.method == "GET":
        saved = budgets.budget_of(found, year)
        form = BudgetForm(formdata=None)
        if saved is not None:
            form.aprobado.data = f"{saved.approved:,}"
            form.modificado.data = f"{saved.modified:,}" if saved.modified is not None else ""
        return _budget_page(found, year, form)
    form = BudgetForm()
    if not form.validate():
        return _budget_page(found, year, form, 422)
    try:
        budgets.set_budget(
            found,
            year,
            form.aprobado.whole_number(),
            form.modificado.whole_number(),
            _user(),
            request_id=g.get("request_id", ""),
        )
    except PlanningError as error:
        getattr(form, error.field).errors.append(error.message)
        return _budget_page(found, year, form, 422)
    flash(_("Presupuesto guardado."), "ok")
    return redirect(url_for("planning.program", slug=found.slug, year=year), code=303)


# Goals and indicators ------------------------------------------------------------------


def _goal_form(from_request: bool) -> GoalForm:
    form = GoalForm() if from_request else GoalForm(formdata=None)
    form.municipio.choices = [SelectChoice("", _("Todo el programa"))] + [
        SelectChoice(m.code, m.name) for m in Municipality.select().order_by(Municipality.name)
    ]
    return form


def _indicator_form(from_request: bool) -> IndicatorForm:
    form = IndicatorForm() if from_request else IndicatorForm(formdata=None)
    form.formula.choices = [SelectChoice(k, str(v)) for k, v in mir.FORMULAS.items()]
    form.frecuencia.choices = [SelectChoice(k, str(v)) for k, v in mir.FREQUENCIES.items()]
    return form


def _goals_page(program: Program, year: int, goal_form=None, indicator_form=None, status=200):
    goals = mir.goals_of(program, year)
    return render(
        "planning/goals.html",
        program=program,
        year=year,
        goals=goals,
        municipality_names=_municipality_names(goals.keys()),
        indicators=mir.indicators_of(program, year),
        formulas=mir.FORMULAS,
        frequencies=mir.FREQUENCIES,
        goal_form=goal_form or _goal_form(False),
        indicator_form=indicator_form or _indicator_form(False),
    ), status


@bp.get("/<slug>/<int:year>/metas")
@staff_required(*PLANNERS)
def goals(slug: str, year: int):
    return _goals_page(_program(slug), _year(year))


@bp.post("/<slug>/<int:year>/metas")
@staff_required(*PLANNERS)
def set_goal(slug: str, year: int):
    found = _program(slug)
    year = _year(year)
    form = _goal_form(True)
    if not form.validate():
        return _goals_page(found, year, goal_form=form, status=422)
    try:
        mir.set_goal(
            found,
            year,
            form.personas.whole_number(),
            _user(),
            municipality=form.municipio.data or "",
            request_id=g.get("request_id", ""),
        )
    except PlanningError as error:
        getattr(form, error.field).errors.append(error.message)
        return _goals_page(found, year, goal_form=form, status=422)
    flash(_("Meta guardada."), "ok")
    return redirect(url_for("planning.goals", slug=found.slug, year=year), code=303)


@bp.post("/<slug>/<int:year>/indicadores")
@staff_required(*PLANNERS)
def add_indicator(slug: str, year: int):
    found = _program(slug)
    year = _year(year)
    form = _indicator_form(True)
    if not form.validate():
        return _goals_page(found, year, indicator_form=form, status=422)
    try:
        mir.add_indicator(
            found,
            year,
            _user(),
            name=form.nombre.data or "",
            formula=form.formula.data or "",
            frequency=form.frecuencia.data or "",
            target=form.objetivo.number(),
            baseline=form.linea_base.number(),
            days=form.dias.whole_number(),
            request_id=g.get("request_id", ""),
        )
    except PlanningError as error:
        getattr(form, error.field).errors.append(error.message)
        return _goals_page(found, year, indicator_form=form, status=422)
    flash(_("Indicador agregado."), "ok")
    return redirect(url_for("planning.goals", slug=found.slug, year=year), code=303)
