"""Administration under /oficina: audit trail, staff, agencies (state admins)
and their own agency's programs (agency admins)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import ngettext
from peewee import JOIN, fn
from wtforms.fields.choices import SelectChoice

from portal.backoffice import audit_search
from portal.backoffice import staff as accounts
from portal.backoffice.forms import (
    AgencyForm,
    AuditSearchForm,
    ConfirmForm,
    StaffCreateForm,
    StaffEditForm,
)
from portal.backoffice.views import shared as staff
from portal.catalog import editing as program_admin
from portal.catalog import versions
from portal.catalog.forms import translation_form
from portal.catalog.schema import CatalogError
from portal.messages import gettext as _
from portal.models import (
    Agency,
    AuditEvent,
    Call,
    Program,
    StaffUser,
)
from portal.vocabulary import Role
from portal.web.auth import staff_required
from portal.web.database import open_connection
from portal.web.errors import error_page
from portal.web.htmx import render
from portal.web.i18n import CONTENT_LANGUAGES, LANGUAGES_BY_CODE, tag

bp = Blueprint("oficina_admin", __name__, url_prefix="/oficina")

PAGE_SIZE = 50


def _audit_filter(form: AuditSearchForm) -> audit_search.AuditFilter:
    return audit_search.AuditFilter(
        citizen_id=form.citizen_id.data,
        folio=form.folio.data or "",
        staff_id=int(form.staff_id.data) if form.staff_id.data else None,
        action=form.action.data or "",
        since=form.since.data,
        until=form.until.data,
    )


def _audit_form() -> AuditSearchForm:
    form = AuditSearchForm(request.args)
    form.staff_id.choices = [SelectChoice("", _("Cualquiera"))] + [
        SelectChoice(str(s.id), s.name) for s in StaffUser.select().order_by(StaffUser.name)
    ]
    form.action.choices = [SelectChoice("", _("Cualquiera"))] + [
        SelectChoice(a) for a in audit_search.actions()
    ]
    return form


@bp.get("/auditoria")
@staff_required(Role.ADMIN_ESTATAL)
def audit():
    form = _audit_form()
    if not form.validate():
        return _audit_page(form, None), 422
    return _audit_page(form, audit_search.search(_audit_filter(form)))


def _audit_page(form: AuditSearchForm, query):
    """One page of entries, newest first, by position on the entry id."""
    listing = staff.keyset_page(
        None if query is None else staff.seeker([query.order_by()], (AuditEvent.id,)),
        lambda entry_id: (entry_id,),
        PAGE_SIZE,
        descending=True,
    )
    return render("backoffice/audit.html", block="results", form=form, listing=listing)


@bp.get("/auditoria/exportar")
@staff_required(Role.ADMIN_ESTATAL)
def audit_export():
    form = _audit_form()
    if not form.validate():
        return _audit_page(form, None), 422
    # The export shows the trail as it stood when asked for, without its own entry.
    last = AuditEvent.select(fn.MAX(AuditEvent.id)).scalar() or 0
    query = audit_search.search(_audit_filter(form)).where(AuditEvent.id <= last)
    staff.record(
        "exportar_bitacora",
        object_type="bitacora",
        object_id="",
        details={"filtros": sorted(k for k, v in request.args.items() if v)},
    )

    def rows():
        # The response streams after the view returns: keep a connection for it.
        open_connection()
        yield from audit_search.to_csv(query.iterator())

    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": "attachment; filename=bitacora.csv",
            "Cache-Control": "no-store",
        },
    )


def _agency_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("Ninguna (administración estatal)"))] + [
        SelectChoice(str(a.id), a.name) for a in Agency.select().order_by(Agency.name)
    ]


@bp.get("/personal")
@staff_required(Role.ADMIN_ESTATAL)
def staff_list():
    return _staff_list_page(ConfirmForm())


def _staff_list_page(confirm: ConfirmForm):
    people = (
        StaffUser.select(StaffUser, Agency)
        .join(Agency, join_type=JOIN.LEFT_OUTER)
        .order_by(StaffUser.active.desc(), StaffUser.name)
    )
    return render("backoffice/staff_list.html", people=people, confirm=confirm)


def _agency_id(form: StaffCreateForm | StaffEditForm) -> int | None:
    """The agency chosen; the state admin has none, whatever the form says."""
    return None if form.role.data == Role.ADMIN_ESTATAL else int(form.agency.data)


@bp.route("/personal/nuevo", methods=["GET", "POST"])
@staff_required(Role.ADMIN_ESTATAL)
def staff_new():
    form = StaffCreateForm()
    form.agency.choices = _agency_choices()
    if form.validate_on_submit():
        try:
            person = accounts.create(
                form.email.data,
                form.name.data,
                form.role.data,
                form.password.data,
                _agency_id(form),
                staff.actor(),
                request_id=g.request_id,
            )
        except accounts.StaffError as exc:
            form[exc.field or "email"].errors.append(str(exc))
        else:
            flash(_("Cuenta creada para %(name)s.", name=person.name), "ok")
            return redirect(url_for(".staff_list"), code=303)
    return render("backoffice/staff_form.html", form=form, person=None), 422 if form.errors else 200


@bp.route("/personal/<int:staff_id>", methods=["GET", "POST"])
@staff_required(Role.ADMIN_ESTATAL)
def staff_edit(staff_id: int):
    person = staff.get_or_404(StaffUser.select().where(StaffUser.id == staff_id))
    form = StaffEditForm(obj=None if request.method == "POST" else person)
    form.agency.choices = _agency_choices()
    if request.method == "GET":
        form.agency.data = str(person.agency_id or "")
    if form.validate_on_submit():
        try:
            released = accounts.change(
                person.id,
                form.role.data,
                _agency_id(form),
                staff.actor(),
                request_id=g.request_id,
            )
        except accounts.StaffError as exc:
            form[exc.field or "role"].errors.append(str(exc))
        else:
            flash(_("Cambios guardados."), "ok")
            _flash_released(released)
            return redirect(url_for(".staff_list"), code=303)
    return render(
        "backoffice/staff_form.html", form=form, person=person
    ), 422 if form.errors else 200


@bp.post("/personal/<int:staff_id>/baja")
@staff_required(Role.ADMIN_ESTATAL)
def staff_deactivate(staff_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _staff_list_page(form), 422
    person = staff.get_or_404(StaffUser.select().where(StaffUser.id == staff_id))
    try:
        _ended, released = accounts.deactivate_account(
            person.id, staff.actor(), request_id=g.request_id
        )
    except accounts.StaffError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".staff_list"), code=303)
    flash(
        _("%(name)s ya no puede entrar; sus sesiones abiertas terminaron.", name=person.name), "ok"
    )
    _flash_released(released)
    return redirect(url_for(".staff_list"), code=303)


def _flash_released(folios: list[str]) -> None:
    if folios:
        flash(
            ngettext(
                "Quedó libre %(num)d solicitud que revisaba; otra persona puede tomarla.",
                "Quedaron libres %(num)d solicitudes que revisaba; otra persona puede tomarlas.",
                len(folios),
            ),
            "ok",
        )


@bp.post("/personal/<int:staff_id>/alta")
@staff_required(Role.ADMIN_ESTATAL)
def staff_reactivate(staff_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _staff_list_page(form), 422
    person = staff.get_or_404(StaffUser.select().where(StaffUser.id == staff_id))
    accounts.reactivate(person.id, staff.actor(), request_id=g.request_id)
    flash(_("%(name)s puede entrar de nuevo.", name=person.name), "ok")
    return redirect(url_for(".staff_list"), code=303)


@bp.get("/dependencias")
@staff_required(Role.ADMIN_ESTATAL)
def agencies():
    return render("backoffice/agencies.html", agencies=Agency.select().order_by(Agency.name))


@bp.route("/dependencias/nueva", methods=["GET", "POST"])
@staff_required(Role.ADMIN_ESTATAL)
def agency_new():
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            accounts.create_agency(
                form.name.data, form.slug.data, staff.actor(), request_id=g.request_id
            )
        except accounts.StaffError as exc:
            form.slug.errors.append(str(exc))
        else:
            flash(_("Dependencia creada."), "ok")
            return redirect(url_for(".agencies"), code=303)
    return render(
        "backoffice/agency_form.html", form=form, agency=None
    ), 422 if form.errors else 200


@bp.route("/dependencias/<int:agency_id>", methods=["GET", "POST"])
@staff_required(Role.ADMIN_ESTATAL)
def agency_edit(agency_id: int):
    agency = staff.get_or_404(Agency.select().where(Agency.id == agency_id))
    form = AgencyForm(obj=agency)
    if form.validate_on_submit():
        try:
            accounts.change_agency(
                agency.id, form.name.data, form.slug.data, staff.actor(), request_id=g.request_id
            )
        except accounts.StaffError as exc:
            form.slug.errors.append(str(exc))
        else:
            flash(_("Cambios guardados."), "ok")
            return redirect(url_for(".agencies"), code=303)
    return render(
        "backoffice/agency_form.html", form=form, agency=agency
    ), 422 if form.errors else 200


PROGRAM_ADMINS = (Role.ADMIN_DEPENDENCIA, Role.ADMIN_ESTATAL)


def _program_or_404(slug: str) -> Program:
    return staff.get_or_404(
        staff.agency_scope(Program.select().where(Program.slug == slug), Program.agency)
    )


@bp.get("/programas")
@staff_required(*PROGRAM_ADMINS)
def programs():
    query = staff.agency_scope(Program.select(Program, Agency).join(Agency), Program.agency)
    return render("backoffice/programs.html", programs=query.order_by(Agency.name, Program.name))


# Who sees each call's places and waiting list (issue 16, item 9).
CALL_READERS = (Role.REVISOR, Role.SUPERVISOR, Role.ADMIN_DEPENDENCIA, Role.ADMIN_ESTATAL)


@bp.get("/convocatorias")
@staff_required(*CALL_READERS)
def calls():
    """Each call of the agency's programs: its quota, places taken and how many
    wait, read from the counters the workflow keeps (no count of applications)."""
    query = staff.agency_scope(
        Call.select(Call, Program, Agency).join(Program).join(Agency), Program.agency
    )
    rows = list(query.order_by(Agency.name, Program.name, Call.opens))
    return render("backoffice/calls.html", calls=rows)


@bp.route("/programas/<slug>", methods=["GET", "POST"])
@staff_required(*PROGRAM_ADMINS)
def program_edit(slug: str):
    """The program page in catalog-file shape (YAML lists) is retired: every
    change goes through the guided editor, as a draft that is reviewed before it
    is published. Old links and forms land in the editor; a post saves nothing."""
    program = _program_or_404(slug)
    if request.method == "POST":
        flash(
            _(
                "Esta página ya no guarda cambios. Haga el cambio aquí: se guarda como "
                "borrador y se publica cuando la revisión lo aprueba."
            ),
            "error",
        )
    return redirect(url_for("oficina_editor.program_editor", slug=program.slug), code=303)


@bp.route("/programas/<slug>/idioma/<language>", methods=["GET", "POST"])
@staff_required(*PROGRAM_ADMINS)
def program_translation(slug: str, language: str):
    """One language's texts of a program, entered by someone who writes it.
    Saving makes a draft version (on top of the open draft, if any) that is
    published only when the review approves it, like any other change."""
    program = _program_or_404(slug)
    lang = language
    if lang not in CONTENT_LANGUAGES:
        abort(404)
    working = versions.working_copy(program)
    current = program_admin.translation_texts(working, lang)
    if request.method == "GET":
        form = translation_form(working, current, data={"version": str(program.version)})
    else:
        form = translation_form(working, current)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            draft = versions.save_translation_draft(
                program,
                lang,
                form.texts(),
                based_on=int(form.version.data),
                actor=staff.actor(),
                request_id=g.request_id,
            )
        except CatalogError as exc:
            problems = [f"{p.path}: {p.message}" if p.path else p.message for p in exc.problems]
        except program_admin.Conflict:
            return error_page(
                409,
                _(
                    "Otra persona guardó este programa mientras usted lo editaba. Vuelva a abrirlo para ver sus cambios."
                ),
            )
        else:
            flash(
                _(
                    "Traducción guardada en el borrador: versión %(v)s. Envíelo a revisión para que se publique.",
                    v=draft.version,
                ),
                "ok",
            )
            return redirect(
                url_for("oficina_editor.version", slug=slug, number=draft.version), code=303
            )
    status = 422 if (form.errors or problems) else 200
    return render(
        "backoffice/program_translation.html",
        form=form,
        program=program,
        language=LANGUAGES_BY_CODE[lang],
        lang_tag=tag(lang),
        problems=problems,
        draft=versions.open_draft(program),
    ), status
