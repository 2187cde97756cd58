"""Back office for rolls: upload, progress, report; probable duplicates; statistics.

The import runs on the background queue (portal/rolls/tasks.py, documented in
docs/padron.md): the request that uploads only stores the file and registers
the batch, so it returns at once. Progress is read from the batch's progress
file, and the page polls itself with htmx (a refresh link without JavaScript).
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, Regexp

from portal.backoffice import audit
from portal.backoffice.views.shared import keyset_page, seeker
from portal.messages import gettext as _
from portal.models import DuplicateCandidate, ImportBatch, Program
from portal.rolls import duplicates, federal, preview, tasks, uploads, writing
from portal.rolls.reading import HEADER_ALIASES, RollError
from portal.transparency import public as transparency
from portal.vocabulary import AuditAction, Role, ViewReason
from portal.web.auth import staff_required
from portal.web.database import open_connection
from portal.web.downloads import attachment_headers
from portal.web.errors import error_page
from portal.web.forms import BaseForm
from portal.web.htmx import render
from portal.web.params import optional_id

bp = Blueprint("padron", __name__, url_prefix="/oficina")
ADMINS = (Role.ADMIN_DEPENDENCIA, Role.ADMIN_ESTATAL)
ALLOWED_SUFFIXES = (".csv", ".xlsx")


def _actor() -> audit.Actor:
    return audit.Actor.staff(current_user)


def _programs():
    query = Program.select().order_by(Program.name)
    if current_user.role != Role.ADMIN_ESTATAL:
        query = query.where(Program.agency == current_user.agency_id)
    return query


def _batch_or_404(batch_id: int) -> ImportBatch:
    query = ImportBatch.select().join(Program).where(ImportBatch.id == batch_id)
    if current_user.role != Role.ADMIN_ESTATAL:
        query = query.where(Program.agency == current_user.agency_id)
    return query.first() or abort(404)


class UploadForm(BaseForm):
    program = SelectField(_("Programa"), coerce=int)
    file = FileField(
        _("Archivo del padrón"),
        description=_("CSV o Excel (.xlsx) con una fila de encabezados. Vea las columnas abajo."),
        validators=[FileRequired(_("Elija el archivo del padrón."))],
    )


class FederalRollForm(BaseForm):
    """The fiscal year of the federal roll's download (GET); the format is checked
    by ``federal.export`` with the rest of the export."""

    class Meta:
        csrf = False

    ejercicio = StringField(
        lazy_gettext("Ejercicio fiscal"),
        description=lazy_gettext("Déjelo vacío para todos los años."),
        validators=[
            Optional(),
            Regexp(
                r"^\d{4}$",
                message=lazy_gettext("Escriba un año de cuatro cifras, por ejemplo 2026."),
            ),
        ],
    )


def _uploads() -> Path:
    return uploads.uploads_folder(current_app.instance_path)


@bp.route("/padrones", methods=["GET", "POST"])
@staff_required(*ADMINS)
def index():
    form = UploadForm()
    form.program.choices = [SelectChoice(p.id, p.name) for p in _programs()]
    if form.validate_on_submit():
        program = _programs().where(Program.id == form.program.data).first() or abort(404)
        upload = form.file.data
        name = Path(upload.filename or "padron").name
        if not name.lower().endswith(ALLOWED_SUFFIXES):
            form.file.errors.append(_("El archivo debe ser CSV o Excel (.xlsx)."))
        else:
            try:
                batch, pending = uploads.receive(
                    _uploads(), upload.stream, name, program, current_user.id, preview=True
                )
            except RollError as exc:
                form.file.errors.append(exc.message)
            else:
                audit.record(
                    "padron.upload",
                    _actor(),
                    object_type="import_batch",
                    object_id=batch.id,
                    details={"program": program.slug, "new": pending},
                    request_id=g.get("request_id", ""),
                )
                if batch.status == "vista_previa":
                    tasks.preview_roll(batch.id)
                elif pending:  # committed before and not finished: the run resumes
                    tasks.import_roll(batch.id)
                else:
                    flash(_("Este archivo ya se había cargado: no se creó nada nuevo."), "info")
                return redirect(url_for("padron.batch", batch_id=batch.id), 303)
    status = 422 if form.errors else 200
    batches = (
        ImportBatch.select()
        .where(ImportBatch.program.in_([p.id for p in _programs()]))
        .order_by(ImportBatch.id.desc())
        .limit(20)
    )
    return render(
        "rolls/index.html",
        form=form,
        batches=list(batches),
        columns=HEADER_ALIASES,
        status_labels=preview.STATUS_LABELS,
    ), status


class DecisionForm(BaseForm):
    """Commit or discard a previewed upload: the button is the whole form (and its CSRF)."""


@bp.get("/padrones/<int:batch_id>")
@staff_required(*ADMINS)
def batch(batch_id: int):
    found = _batch_or_404(batch_id)
    progress = writing.ProgressFile(_uploads(), found.id).read()
    return render(
        "rolls/batch.html",
        block="status",
        batch=found,
        progress=progress,
        form=DecisionForm(),
        categories=preview.CATEGORIES,
        labels=preview.LABELS,
        reason_label=duplicates.reason_label,
    )


@bp.post("/padrones/<int:batch_id>/confirmar")
@staff_required(*ADMINS)
def commit(batch_id: int):
    found = _batch_or_404(batch_id)
    if not DecisionForm().validate_on_submit():
        abort(400)
    try:
        preview.commit(found.id, _actor(), g.get("request_id", ""))
    except preview.PreviewError as exc:
        return error_page(exc.status, exc.message)
    tasks.import_roll(found.id)
    flash(_("Carga confirmada: se está guardando lo que mostró la vista previa."), "info")
    return redirect(url_for("padron.batch", batch_id=found.id), 303)


@bp.post("/padrones/<int:batch_id>/descartar")
@staff_required(*ADMINS)
def discard(batch_id: int):
    found = _batch_or_404(batch_id)
    if not DecisionForm().validate_on_submit():
        abort(400)
    try:
        uploads.discard(_uploads(), found.id, _actor(), g.get("request_id", ""))
    except preview.PreviewError as exc:
        return error_page(exc.status, exc.message)
    flash(_("Carga descartada: no se guardó ninguna fila."), "info")
    return redirect(url_for("padron.index"), 303)


@bp.get("/padrones/<int:batch_id>/rechazadas.csv")
@staff_required(*ADMINS)
def report(batch_id: int):
    found = _batch_or_404(batch_id)
    if found.status != "terminado":  # a running batch's rows are not final, nor visible
        return error_page(409, _("El reporte estará listo cuando termine la carga."))
    audit.record("padron.report", _actor(), object_type="import_batch", object_id=found.id)
    return Response(
        writing.report_csv(found.id),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="rechazadas-lote-{found.id}.csv"',
            # CURPs and names: never kept by the browser or a proxy.
            "Cache-Control": "no-store",
        },
    )


@bp.get("/padron-federal")
@staff_required(*ADMINS)
def federal_index():
    form = FederalRollForm(request.args)
    valid = form.validate() if request.args else True
    status = 200 if valid else 422
    year = _year(form) if valid else None
    return render("rolls/federal.html", form=form, programs=list(_programs()), year=year), status


def _year(form: FederalRollForm) -> int | None:
    return int(form.ejercicio.data) if form.ejercicio.data else None


@bp.get("/padron-federal/<slug>")
@staff_required(*ADMINS)
def federal_download(slug: str):
    program = _programs().where(Program.slug == slug).first() or abort(404)
    form = FederalRollForm(request.args)
    if not form.validate():
        return error_page(422, form.error_text())
    try:
        export = federal.export(program, request.args.get("formato", "csv"), _year(form))
    except federal.FederalRollError as exc:
        return error_page(409 if exc.field == "programa" else 422, exc.message)
    audit.record(
        AuditAction.ROLL_FEDERAL,
        _actor(),
        object_type="programa",
        object_id=program.slug,
        details={"formato": export.fmt, "ejercicio": export.year},
        request_id=g.get("request_id", ""),
    )

    def chunks():
        # The response streams after the view returns: keep a connection for it.
        open_connection()
        yield from export.chunks()

    return Response(
        stream_with_context(chunks()),
        mimetype=export.media_type,
        headers={
            **attachment_headers(export.filename),
            # CURPs and names: never kept by the browser or a proxy.
            "Cache-Control": "no-store",
        },
    )


DUPLICATES_PAGE = 10  # pairs per page of the review


def _pending_pairs():
    return DuplicateCandidate.select().where(DuplicateCandidate.status == "pendiente")


def _pair_position(pair_id: int) -> tuple | None:
    row = (
        _pending_pairs()
        .select(DuplicateCandidate.score, DuplicateCandidate.id)
        .where(DuplicateCandidate.id == pair_id)
        .first()
    )
    return None if row is None else (row.score, row.id)


def _duplicates_page(status: int = 200):
    """The pending pairs, the highest score first, a page at a time (keyset),
    each with both records side by side; every record shown is a recorded view."""
    listing = keyset_page(
        seeker([_pending_pairs()], (DuplicateCandidate.score, DuplicateCandidate.id)),
        _pair_position,
        DUPLICATES_PAGE,
        descending=True,
    )
    comparisons = duplicates.compare(listing.rows)
    shown = sorted({c.id for comparison in comparisons for c in comparison.people})
    if shown:
        audit.record_views(current_user, shown, ViewReason.DUPLICADOS, g.request_id)
    return render(
        "rolls/duplicates.html",
        listing=listing,
        comparisons=comparisons,
        max_reason=duplicates.MAX_REASON,
    ), status


@bp.get("/duplicados")
@staff_required(Role.ADMIN_ESTATAL)
def duplicates_index():
    return _duplicates_page()


@bp.post("/duplicados/<int:candidate_id>")
@staff_required(Role.ADMIN_ESTATAL)
def decide(candidate_id: int):
    action = request.form.get("accion")
    reason = request.form.get("motivo", "")
    try:
        if action == "fusionar":
            survivor = optional_id(request.form.get("conservar"))
            duplicates.merge(candidate_id, survivor or 0, _actor(), current_user.id, reason=reason)
            flash(_("Registros unidos. El historial quedó guardado."), "success")
        elif action == "descartar":
            duplicates.dismiss(candidate_id, _actor(), current_user.id, reason=reason)
            flash(_("Par descartado: no son la misma persona."), "success")
        else:  # the page posts only those two; anything else is a broken form
            return error_page(422, _("Elija unir los registros o descartar el par."))
    except duplicates.MergeError as exc:
        flash(str(exc.message), "error")  # the session holds text, not a lazy string
        return _duplicates_page(422)
    return redirect(url_for("padron.duplicates_index"), 303)


@bp.get("/estadisticas")
@staff_required(*ADMINS)
def statistics():
    agency = None if current_user.role == Role.ADMIN_ESTATAL else current_user.agency_id
    stats = transparency.compute_stats(agency_id=agency)
    return render("transparency/statistics.html", stats=stats, suppressed=False, office=True)
