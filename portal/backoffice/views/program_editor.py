"""The guided program editor under /oficina/programas: create and edit a program
in form fields and rows, no YAML (portal/catalog/editor.py builds the catalog-file
dict; portal/catalog/editing.py validates and stores it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from portal.backoffice.forms import ConfirmForm
from portal.backoffice.views import shared as staff
from portal.catalog import editing as program_admin
from portal.catalog import editor, versions
from portal.catalog import preview as rule_preview
from portal.catalog.editor import SendBackForm
from portal.catalog.schema import CatalogError
from portal.messages import gettext as _
from portal.models import Agency, DeliveryPoint, Program, ProgramVersion
from portal.vocabulary import Role
from portal.web.auth import staff_required
from portal.web.errors import error_page
from portal.web.htmx import render, wants_fragment
from portal.web.i18n import CONTENT_LANGUAGES, LANGUAGES_BY_CODE

bp = Blueprint("oficina_editor", __name__, url_prefix="/oficina/programas")

PROGRAM_ADMINS = (Role.ADMIN_DEPENDENCIA, Role.ADMIN_ESTATAL)


def _program_or_404(slug: str) -> Program:
    return staff.get_or_404(
        staff.agency_scope(
            Program.select(Program, Agency).join(Agency).where(Program.slug == slug),
            Program.agency,
        )
    )


def _exclusion_groups() -> list[str]:
    rows = (
        Program.select(Program.exclusion_group)
        .where(Program.exclusion_group.is_null(False))
        .distinct()
    )
    return [row.exclusion_group for row in rows if row.exclusion_group]


def _agencies() -> list[tuple[str, str]]:
    """The agencies a new program may belong to: the admin's own, or any for the state."""
    query = staff.agency_scope(Agency.select(Agency.slug, Agency.name), Agency.id)
    return [(a.slug, a.name) for a in query.order_by(Agency.name)]


def _languages(program: Program) -> list[tuple[str, str, bool]]:
    """(code, Spanish name, whether it has texts) of each language a program may be written in."""
    entered = program.i18n or {}
    return [
        (code, LANGUAGES_BY_CODE[code].spanish_name, code in entered) for code in CONTENT_LANGUAGES
    ]


def _retired_points(program: Program) -> list[str]:
    retired = program.delivery_points.where(~DeliveryPoint.active).order_by(DeliveryPoint.name)
    return [p.name for p in retired]


def _bound_form(initial: dict) -> tuple[editor.ProgramEditorForm, str, editor.RowChange | None]:
    """The editor form for this request, the button pressed ('' on a GET) and,
    for a row button, what it changed.

    A row button redraws the form from what was posted: ``quitar-<list>-<n>`` with
    that row taken out, ``agregar-<list>`` with an empty row at the end;
    ``valores`` (htmx, on a change of a condition's field or operator) redraws
    the conditions."""
    if request.method == "GET":
        form = editor.ProgramEditorForm(formdata=None, data=initial)
        return form, "", None
    action = request.form.get("action", "guardar")
    row = editor.row_action(action)
    formdata: MultiDict[str, str] = request.form
    removed = False
    if row is not None and row[0] == "quitar" and row[2] is not None:
        formdata = editor.without_row(request.form, row[1], row[2])
        removed = len(formdata) < len(request.form)
    form = editor.ProgramEditorForm(formdata=formdata)
    change = editor.apply_row_action(form, row, removed=removed) if row is not None else None
    if action in (editor.REDRAW_CONDITIONS, "actualizar"):
        form.fit_operators()
    if action == editor.REDRAW_CONDITIONS:
        change = editor.RowChange("conditions", focus="", said="")
    return form, action, change


def _page(
    form,
    *,
    program: Program | None,
    problems: list[str],
    status: int,
    examples=None,
    draft=None,
    preview=None,
    preview_problems=(),
    block: str | None = None,
    change: editor.RowChange | None = None,
):
    """``block`` "preview": the preview was asked for (htmx swaps only that section);
    after a row button (``change``) htmx swaps only that list's rows and the
    announcement of what changed."""
    if change is not None:
        block = change.list_name
    return render(
        "backoffice/program_editor.html",
        block,
        also=("row_status",) if change is not None else (),
        editor_url=request.path,
        focus=change.focus if change is not None else "",
        row_said=change.said if change is not None else "",
        row_swap=change is not None and wants_fragment(),
        form=form,
        preview=preview,
        preview_asked=block == "preview",
        preview_problems=preview_problems,
        program=program,
        problems=problems,
        examples=examples,
        draft=draft,
        labels=versions.STATUS_LABELS,
        error_links=editor.error_links(form),
        operator_labels=editor.OPERATOR_LABELS,
        languages=_languages(program) if program is not None else [],
        retired_points=_retired_points(program) if program is not None else [],
    ), status


@bp.route("/nuevo", methods=["GET", "POST"])
@staff_required(*PROGRAM_ADMINS)
def program_new():
    agencies = _agencies()
    initial = {"conditions": [{}], "agency": agencies[0][0] if agencies else ""}
    form, action, change = _bound_form(initial)
    form.offer(groups=_exclusion_groups(), agencies=agencies)
    problems: list[str] = []
    examples = None
    if action == "actualizar" and form.agency.data in dict(agencies):
        draft = editor.program_dict(
            form, slug=form.slug.data or "borrador", agency=form.agency.data
        )
        examples = editor.example_results(draft, form.agency.data, date.today())
    if action == "guardar" and form.validate_on_submit():
        agency = form.agency.data or ""
        if agency not in dict(agencies):
            form.agency.errors.append(_("Elija una dependencia que usted administra."))
        if not form.slug.data:
            form.slug.errors.append(_("Escriba la clave del programa."))
        data = editor.program_dict(form, slug=form.slug.data or "", agency=agency)
        if not editor.error_links(form):
            try:
                edited = program_admin.validate(data, agency)
                program = program_admin.create(edited, actor=staff.actor(), request_id=g.request_id)
            except CatalogError as exc:
                problems = editor.place_problems(form, exc)
            except program_admin.SlugTaken:
                form.slug.errors.append(_("Ya hay un programa con esta clave: elija otra."))
            else:
                flash(
                    _("Borrador guardado: versión 1. Envíelo a revisión para que se publique."),
                    "ok",
                )
                return redirect(url_for(".version", slug=program.slug, number=1), code=303)
    failed = action == "guardar" and bool(editor.error_links(form) or problems)
    status = 422 if failed else 200
    return _page(
        form, program=None, problems=problems, status=status, examples=examples, change=change
    )


@bp.route("/<slug>/editor", methods=["GET", "POST"])
@staff_required(*PROGRAM_ADMINS)
def program_editor(slug: str):
    program = _program_or_404(slug)
    before = program_admin.catalog_dict(program)
    draft = versions.open_draft(program)
    # The admin goes on from the newest draft when there is one.
    shown = dict(draft.snapshot) if draft is not None else before
    form, action, change = _bound_form({**editor.form_data(shown), "version": str(program.version)})
    form.offer(groups=_exclusion_groups())
    problems: list[str] = []
    agency = program.agency.slug
    examples = None
    if action == "":
        examples = editor.example_results(shown, agency, date.today())
    elif action == "actualizar":
        posted = editor.program_dict(form, slug=program.slug, agency=agency)
        examples = editor.example_results(posted, agency, date.today())
    preview = None
    preview_problems: list[str] = []
    if action == "vista-previa":
        # Reads the registry and saves nothing, but it is still a posted form.
        if not ConfirmForm().validate_on_submit():
            return error_page(400, _("El formulario caducó. Vuelva a abrirlo."))
        posted = editor.program_dict(form, slug=program.slug, agency=agency)
        published = before if program.active else None
        try:
            preview = rule_preview.preview_program(posted, published, agency, date.today())
        except CatalogError as exc:
            preview_problems = list(exc.messages)
    if action == "guardar" and form.validate_on_submit():
        if not (form.version.data or "").isdigit():
            form.version.errors.append(_("El formulario caducó. Vuelva a abrirlo."))
        data = editor.program_dict(form, slug=program.slug, agency=program.agency.slug)
        # Translations go on with the texts they translate (docs/languages.md).
        carried = program_admin.carry_translations(before, data)
        if carried:
            data["i18n"] = carried
        program_admin.carry_file_keys(before, data)
        if not editor.error_links(form):
            try:
                edited = program_admin.validate(data, program.agency.slug)
                saved = versions.save_draft(
                    program,
                    edited,
                    based_on=int(form.version.data),
                    actor=staff.actor(),
                    request_id=g.request_id,
                )
            except CatalogError as exc:
                problems = editor.place_problems(form, exc)
            except program_admin.Conflict:
                return error_page(
                    409,
                    _(
                        "Otra persona guardó este programa mientras usted lo editaba. "
                        "Vuelva a abrirlo para ver sus cambios."
                    ),
                )
            else:
                flash(
                    _(
                        "Borrador guardado: versión %(v)s. Envíelo a revisión para que se publique.",
                        v=saved.version,
                    ),
                    "ok",
                )
                return redirect(
                    url_for(".version", slug=program.slug, number=saved.version), code=303
                )
    failed = action == "guardar" and bool(editor.error_links(form) or problems)
    status = 422 if failed else 200
    return _page(
        form,
        program=program,
        problems=problems,
        status=status,
        examples=examples,
        draft=draft,
        preview=preview,
        preview_problems=preview_problems,
        block="preview" if action == "vista-previa" else None,
        change=change,
    )


# History, review and publishing -----------------------------------------------------------

VERSION_READERS = (*PROGRAM_ADMINS, Role.SUPERVISOR)


def _version_or_404(program: Program, number: int) -> ProgramVersion:
    return staff.get_or_404(
        ProgramVersion.select().where(
            (ProgramVersion.program == program.id) & (ProgramVersion.version == number)
        )
    )


def _reviewer_setting() -> str:
    return current_app.config.get("PROGRAM_REVIEWER", "supervisor")


@bp.get("/<slug>/versiones")
@staff_required(*VERSION_READERS)
def history(slug: str):
    program = _program_or_404(slug)
    return render(
        "backoffice/program_versions.html",
        program=program,
        versions=versions.history(program),
        labels=versions.STATUS_LABELS,
    )


@bp.get("/<slug>/versiones/<int:number>")
@staff_required(*VERSION_READERS)
def version(slug: str, number: int):
    program = _program_or_404(slug)
    shown = _version_or_404(program, number)
    published = (
        ProgramVersion.get_or_none(
            (ProgramVersion.program == program.id) & (ProgramVersion.version == program.version)
        )
        if program.active
        else None
    )
    if published is not None and published.id != shown.id:
        base = published.snapshot
    elif published is None and program.active:
        base = program_admin.catalog_dict(program)  # published before versions were kept
    else:
        base = None
    return render(
        "backoffice/program_version.html",
        program=program,
        shown=shown,
        lines=versions.differences(base, shown.snapshot),
        compared_with=program.version if base is not None else None,
        labels=versions.STATUS_LABELS,
        may_submit=current_user.role in PROGRAM_ADMINS,
        may_review=versions.may_review(current_user, program, _reviewer_setting()),
        form=ConfirmForm(),
        note_form=SendBackForm(),
    )


def _step(slug: str, number: int, step) -> Any:
    """Run one review step on a version; its outcome is said in a flash."""
    program = _program_or_404(slug)
    shown = _version_or_404(program, number)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(form.error_text(), "error")
        return redirect(url_for(".version", slug=slug, number=number), code=303)
    try:
        message = step(program, shown)
    except versions.VersionRefused as exc:
        flash(exc.message, "error")
    except CatalogError as exc:
        flash(_("No se puede publicar: %(problems)s", problems="; ".join(exc.messages)), "error")
    except program_admin.RemovalBlocked as exc:
        flash(str(exc), "error")
    except program_admin.Conflict:
        flash(
            _(
                "Se publicó otra versión después de este borrador. "
                "Ábralo en el editor, revise y guárdelo de nuevo."
            ),
            "error",
        )
    else:
        flash(message, "ok")
    return redirect(url_for(".version", slug=slug, number=number), code=303)


@bp.post("/<slug>/versiones/<int:number>/enviar")
@staff_required(*PROGRAM_ADMINS)
def submit(slug: str, number: int):
    def step(program: Program, shown: ProgramVersion) -> str:
        versions.submit(shown, staff.actor(), request_id=g.request_id, reviewer=_reviewer_setting())
        return _("Versión %(v)s enviada a revisión.", v=shown.version)

    return _step(slug, number, step)


@bp.post("/<slug>/versiones/<int:number>/publicar")
@staff_required(Role.SUPERVISOR)
def publish(slug: str, number: int):
    def step(program: Program, shown: ProgramVersion) -> str:
        if not versions.may_review(current_user, program, _reviewer_setting()):
            staff.refuse(403)
        published = versions.publish(shown, staff.actor(), request_id=g.request_id)
        return _("Versión %(v)s publicada.", v=published)

    return _step(slug, number, step)


@bp.post("/<slug>/versiones/<int:number>/devolver")
@staff_required(Role.SUPERVISOR)
def send_back(slug: str, number: int):
    note_form = SendBackForm()

    def step(program: Program, shown: ProgramVersion) -> str:
        if not versions.may_review(current_user, program, _reviewer_setting()):
            staff.refuse(403)
        if not note_form.validate():
            raise versions.VersionRefused(note_form.error_text())
        versions.send_back(shown, staff.actor(), note_form.note.data, request_id=g.request_id)
        return _("Versión %(v)s devuelta con sus observaciones.", v=shown.version)

    return _step(slug, number, step)
