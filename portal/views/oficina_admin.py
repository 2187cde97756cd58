"""Administration under /oficina: audit trail, staff, agencies (state admins)
and their own agency's programs (agency admins)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, stream_with_context, url_for
from flask_babel import gettext as _
from peewee import IntegrityError, fn
from werkzeug.security import generate_password_hash

from .. import audit_search
from ..auth import staff_required
from ..db import locked, open_connection, write
from ..htmx import render
from ..models import Agency, AuditEvent, StaffUser
from ..sessions import end_sessions_of
from . import staff
from .oficina_forms import AgencyForm, AuditSearchForm, ConfirmForm, StaffCreateForm, StaffEditForm

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
    form.staff_id.choices = [("", _("Cualquiera"))] + [
        (str(s.id), s.name) for s in StaffUser.select().order_by(StaffUser.name)
    ]
    form.action.choices = [("", _("Cualquiera"))] + [(a, a) for a in audit_search.actions()]
    return form


@bp.get("/auditoria")
@staff_required("admin_estatal")
def audit():
    form = _audit_form()
    page = max(request.args.get("pagina", 1, type=int), 1)
    entries, has_next = [], False
    if form.validate():
        query = audit_search.search(_audit_filter(form))
        entries = list(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
        has_next = len(entries) > PAGE_SIZE
        entries = entries[:PAGE_SIZE]
    args = {k: v for k, v in request.args.items() if k != "pagina" and v}
    return render(
        "oficina/audit.html",
        block="results",
        form=form,
        entries=entries,
        page=page,
        has_next=has_next,
        args=args,
    )


@bp.get("/auditoria/exportar")
@staff_required("admin_estatal")
def audit_export():
    form = _audit_form()
    if not form.validate():
        staff.refuse(400)
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


def _agency_choices():
    return [("", _("Ninguna (administración estatal)"))] + [
        (str(a.id), a.name) for a in Agency.select().order_by(Agency.name)
    ]


@bp.get("/personal")
@staff_required("admin_estatal")
def staff_list():
    people = (
        StaffUser.select(StaffUser, Agency)
        .join(Agency, join_type="LEFT OUTER")
        .order_by(StaffUser.active.desc(), StaffUser.name)
    )
    return render("oficina/staff_list.html", people=people, confirm=ConfirmForm())


@bp.route("/personal/nuevo", methods=["GET", "POST"])
@staff_required("admin_estatal")
def staff_new():
    form = StaffCreateForm()
    form.agency.choices = _agency_choices()
    if form.validate_on_submit():
        agency_id = int(form.agency.data) if form.role.data != "admin_estatal" else None
        try:
            with write():
                person = StaffUser.create(
                    name=form.name.data,
                    email=form.email.data.lower(),
                    role=form.role.data,
                    agency=agency_id,
                    password_hash=generate_password_hash(form.password.data),
                )
                staff.record(
                    "crear_personal",
                    object_type="personal",
                    object_id=person.id,
                    details={"rol": person.role, "dependencia": agency_id},
                )
        except IntegrityError:
            form.email.errors.append(_("Ya hay una cuenta con ese correo."))
        else:
            flash(_("Cuenta creada para %(name)s.", name=person.name), "ok")
            return redirect(url_for(".staff_list"), code=303)
    return render("oficina/staff_form.html", form=form, person=None), 422 if form.errors else 200


@bp.route("/personal/<int:staff_id>", methods=["GET", "POST"])
@staff_required("admin_estatal")
def staff_edit(staff_id: int):
    person = staff.get_or_404(StaffUser.select().where(StaffUser.id == staff_id))
    form = StaffEditForm(obj=None if request.method == "POST" else person)
    form.agency.choices = _agency_choices()
    if request.method == "GET":
        form.agency.data = str(person.agency_id or "")
    if form.validate_on_submit():
        agency_id = int(form.agency.data) if form.role.data != "admin_estatal" else None
        with write():
            StaffUser.update(role=form.role.data, agency=agency_id).where(
                StaffUser.id == person.id
            ).execute()
            # A new role or agency must not ride on a session opened under the old one.
            end_sessions_of("personal", person.id)
            staff.record(
                "cambiar_personal",
                object_type="personal",
                object_id=person.id,
                details={"rol": form.role.data, "dependencia": agency_id},
            )
        flash(_("Cambios guardados."), "ok")
        return redirect(url_for(".staff_list"), code=303)
    return render("oficina/staff_form.html", form=form, person=person), 422 if form.errors else 200


@bp.post("/personal/<int:staff_id>/baja")
@staff_required("admin_estatal")
def staff_deactivate(staff_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        staff.refuse(400)
    with write():
        person = staff.get_or_404(locked(StaffUser.select().where(StaffUser.id == staff_id)))
        if person.id == staff.actor().id:
            flash(_("No puede dar de baja su propia cuenta."), "error")
            return redirect(url_for(".staff_list"), code=303)
        StaffUser.update(active=False).where(StaffUser.id == person.id).execute()
        ended = end_sessions_of("personal", person.id)
        staff.record(
            "baja_personal",
            object_type="personal",
            object_id=person.id,
            details={"sesiones_terminadas": ended},
        )
    flash(
        _("%(name)s ya no puede entrar; sus sesiones abiertas terminaron.", name=person.name), "ok"
    )
    return redirect(url_for(".staff_list"), code=303)


@bp.post("/personal/<int:staff_id>/alta")
@staff_required("admin_estatal")
def staff_reactivate(staff_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        staff.refuse(400)
    with write():
        person = staff.get_or_404(locked(StaffUser.select().where(StaffUser.id == staff_id)))
        StaffUser.update(active=True, failed_logins=0, locked_until=None).where(
            StaffUser.id == person.id
        ).execute()
        staff.record("alta_personal", object_type="personal", object_id=person.id)
    flash(_("%(name)s puede entrar de nuevo.", name=person.name), "ok")
    return redirect(url_for(".staff_list"), code=303)


@bp.get("/dependencias")
@staff_required("admin_estatal")
def agencies():
    return render("oficina/agencies.html", agencies=Agency.select().order_by(Agency.name))


@bp.route("/dependencias/nueva", methods=["GET", "POST"])
@staff_required("admin_estatal")
def agency_new():
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            with write():
                agency = Agency.create(name=form.name.data, slug=form.slug.data)
                staff.record("crear_dependencia", object_type="dependencia", object_id=agency.id)
        except IntegrityError:
            form.slug.errors.append(_("Otra dependencia ya usa esa clave."))
        else:
            flash(_("Dependencia creada."), "ok")
            return redirect(url_for(".agencies"), code=303)
    return render("oficina/agency_form.html", form=form, agency=None), 422 if form.errors else 200


@bp.route("/dependencias/<int:agency_id>", methods=["GET", "POST"])
@staff_required("admin_estatal")
def agency_edit(agency_id: int):
    agency = staff.get_or_404(Agency.select().where(Agency.id == agency_id))
    form = AgencyForm(obj=agency)
    if form.validate_on_submit():
        try:
            with write():
                Agency.update(name=form.name.data, slug=form.slug.data).where(
                    Agency.id == agency.id
                ).execute()
                staff.record("cambiar_dependencia", object_type="dependencia", object_id=agency.id)
        except IntegrityError:
            form.slug.errors.append(_("Otra dependencia ya usa esa clave."))
        else:
            flash(_("Cambios guardados."), "ok")
            return redirect(url_for(".agencies"), code=303)
    return render("oficina/agency_form.html", form=form, agency=agency), 422 if form.errors else 200
