"""The brigade pages (/oficina/brigada): the offline page and its service
worker, the catalog and session the device downloads while online, the sync
endpoint that takes one record per request, and the conflicts to resolve.

The offline page itself holds no data: it is the same for every staff member
and the service worker keeps it. What the device captures stays in its
IndexedDB, encrypted under a key derived from a PIN and held only in memory
(static/field/brigade.js; docs/field.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal.applications.documents import get_storage
from portal.applications.uploads import max_upload_bytes
from portal.field import catalogs, sync
from portal.field.forms import ResolveForm
from portal.field.texts import device_texts
from portal.messages import _l
from portal.messages import gettext as _
from portal.rights.holidays import local_today
from portal.web.assets import asset
from portal.web.auth import staff_required
from portal.web.htmx import render

bp = Blueprint("field", __name__, url_prefix="/oficina/brigada")

STATIC = Path(__file__).resolve().parents[2] / "static" / "field"
SCOPE = "/oficina/brigada"
# HTTP status of each outcome the device is answered.
STATUS = {sync.APPLIED: 200, sync.DISCARDED: 200, sync.CONFLICT: 409}


def _context() -> sync.Context:
    return sync.Context(
        staff=current_user._get_current_object(),
        today=local_today(),
        storage=get_storage(),
        max_bytes=max_upload_bytes(current_app.config),
        folio_prefix=current_app.config["FOLIO_PREFIX"],
        request_id=g.get("request_id", ""),
    )


@bp.get("")
@staff_required(*sync.FIELD_STAFF)
def page():
    return render("field/brigade.html", device_texts=json.dumps(device_texts(), ensure_ascii=False))


@bp.get("/sw.js")
def service_worker():
    """The service worker, allowed to control the brigade pages only."""
    response = send_file(STATIC / "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = SCOPE
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": _("Brigada · Ventanilla Única"),
        "short_name": _("Brigada"),
        "lang": "es-MX",
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#691c32",
        "icons": [
            {
                "src": asset("img/favicon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
    }
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sesion")
@staff_required(*sync.FIELD_STAFF)
def session_token():
    """Who is signed in and a CSRF token for the sync, taken while online."""
    response = jsonify({"csrf": generate_csrf(), "staff": current_user.name, "id": current_user.id})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/catalogos")
@staff_required(*sync.FIELD_STAFF)
def catalog():
    body, etag = catalogs.encode(
        catalogs.catalog_for(current_user, local_today(), current_app.config["MAX_UPLOAD_MB"])
    )
    if request.if_none_match.contains(etag.strip('"')):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(body, mimetype="application/json")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _refusal(status: int, message: str):
    return jsonify({"estado": "rechazado", "mensaje": message}), status


@bp.post("/registros")
@staff_required(*sync.FIELD_STAFF)
def sync_record():
    """One record per request: an interrupted batch leaves a clean prefix applied."""
    try:
        data = json.loads(request.form.get("registro") or "")
    except ValueError:
        return _refusal(400, _("El registro no se pudo leer. Vuelva a sincronizar."))
    photos = []
    for name, file in request.files.items(multi=True):
        requirement = name.removeprefix("doc-")
        if not name.startswith("doc-") or not requirement.isdigit():
            return _refusal(400, _("Un documento no se pudo leer. Vuelva a sincronizar."))
        limit = max_upload_bytes(current_app.config)
        photos.append(
            sync.Photo(int(requirement), file.filename or "foto.jpg", file.read(limit + 1))
        )
    try:
        result = sync.sync(data, photos, _context())
    except sync.BadRecord:
        return _refusal(400, _("El registro no tiene un identificador válido."))
    except sync.NotYours:
        return _refusal(404, _("No encontramos ese registro."))
    if result["estado"] == sync.CONFLICT:
        result["resolver"] = url_for(".conflict", key=result["uuid"])
    status = STATUS[result["estado"]]
    if result.get("conflicto") == sync.INVALID:
        status = 422
    return jsonify(result), status


@bp.get("/conflictos")
@staff_required(*sync.FIELD_STAFF)
def conflicts():
    return render("field/conflicts.html", rows=sync.conflicts_of(current_user))


def _mine(key: str):
    try:
        return sync.handled(current_user, sync.check_uuid(key))
    except (sync.BadRecord, sync.NotYours):
        abort(404)


@bp.route("/conflictos/<key>", methods=["GET", "POST"])
@staff_required(*sync.FIELD_STAFF)
def conflict(key: str):
    row = _mine(key)
    form = ResolveForm()
    if row.status == sync.CONFLICT and form.validate_on_submit():
        try:
            result = sync.resolve(row, form.choice.data, _context(), form.corrections())
        except sync.AlreadyResolved:
            flash(_("Ese registro ya estaba resuelto."), "info")
            return redirect(url_for(".conflict", key=row.uuid), code=303)
        flash(result["mensaje"], "ok" if result["estado"] != sync.CONFLICT else "error")
        return redirect(url_for(".conflict", key=row.uuid), code=303)
    status = 422 if form.errors else 200
    return render(
        "field/conflict.html",
        row=sync.handled(current_user, row.uuid),
        form=form,
        labels=sync.LABELS,
        kinds=KIND_TITLES,
    ), status


KIND_TITLES = {
    sync.CURP_TAKEN: _l("La CURP ya está registrada con otros datos"),
    sync.CLOSED: _l("El programa ya no recibe solicitudes"),
    sync.FULL: _l("Ya no hay lugares"),
    sync.REFUSED: _l("La solicitud no se pudo enviar"),
    sync.INVALID: _l("Hay datos por corregir"),
}
