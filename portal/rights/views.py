"""The pages of law and trust.

People: their ARCO requests under /mis-datos/derechos (file one, follow it,
read and download the answer). Staff: filing a request at the counter for a
person with their CURP and ID (/oficina/derechos/ventanilla), the
data-protection office's queue by due date and its answers
(/oficina/derechos), and the state admin's electoral blackout periods
(/oficina/veda). Every page that shows a person's request to staff records a
view of their record (reason "arco"), which the person reads in /mis-datos.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user
from peewee import DatabaseError

from portal.applications.uploads import UploadRejected, inspect_upload, max_upload_bytes
from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.backoffice.forms import ConfirmForm
from portal.backoffice.views import shared as staff
from portal.citizens.curp import CurpError
from portal.citizens.id_documents import IdNumberError
from portal.messages import gettext as _
from portal.models import ArcoRequest, BlackoutPeriod, Citizen, Municipality
from portal.rights import arco, blackout
from portal.rights.forms import ArcoForm, ArcoResponseForm, BlackoutForm, CounterArcoForm
from portal.rights.holidays import CalendarGap, local_today
from portal.vocabulary import Role, ViewReason
from portal.web.auth import citizen_required, is_citizen, staff_required
from portal.web.downloads import attachment_headers
from portal.web.htmx import render

bp = Blueprint("rights", __name__)
office = Blueprint("rights_office", __name__, url_prefix="/oficina")

# The data-protection office (Unidad de Transparencia) is the state's: staff
# with the state admin role. The counter files requests for people in person.
OFFICE = (Role.ADMIN_ESTATAL,)
COUNTER = (Role.REVISOR, Role.ADMIN_DEPENDENCIA, Role.ADMIN_ESTATAL)
PAGE_SIZE = 25


def page_blackout() -> blackout.Blackout | None:
    """The blackout the current page is under (the signed-in person's municipality's too).

    The error page shown when the database is down extends the same layout: it
    must still render, without the banner, rather than fail on this look-up.
    """
    try:
        return blackout.for_page(current_user._get_current_object() if is_citizen() else None)
    except DatabaseError:
        return None


def _prefix() -> str:
    return current_app.config["FOLIO_PREFIX"]


def _context() -> dict[str, Any]:
    return {
        "kind_labels": arco.KIND_LABELS,
        "kind_names": arco.KIND_NAMES,
        "outcome_labels": arco.OUTCOME_LABELS,
        "kept_on_cancellation": arco.KEPT_ON_CANCELLATION,
    }


def _refused(form, exc: Exception, field: str = "description") -> None:
    form[field].errors.append(str(exc))


# People ------------------------------------------------------------------------------


@bp.route("/mis-datos/derechos", methods=["GET", "POST"])
@citizen_required
def new_request():
    citizen: Citizen = current_user._get_current_object()
    form = ArcoForm()
    if form.validate_on_submit():
        try:
            row = arco.file_request(
                form.kind.data,
                form.description.data,
                Actor.citizen(citizen),
                citizen=citizen,
                prefix=_prefix(),
                request_id=g.request_id,
            )
        except (arco.ArcoRefused, CalendarGap) as exc:
            _refused(form, exc)
        else:
            flash(_("Recibimos su solicitud con el folio %(folio)s.", folio=row.folio), "ok")
            return redirect(url_for("rights.request_detail", folio=row.folio), code=303)
    status = 422 if request.method == "POST" else 200
    return render(
        "rights/new_request.html", form=form, requests=arco.of_citizen(citizen.id), **_context()
    ), status


def _mine(folio: str) -> ArcoRequest:
    row = ArcoRequest.get_or_none(
        (ArcoRequest.folio == folio) & (ArcoRequest.citizen == current_user.id)
    )
    if row is None:
        abort(404)
    return row


@bp.get("/mis-datos/derechos/<folio>")
@citizen_required
def request_detail(folio: str):
    row = _mine(folio)
    return render(
        "rights/request.html",
        row=row,
        days_left=arco.business_days_left(row, local_today()),
        **_context(),
    )


def _pdf(row: ArcoRequest) -> Response:
    if not row.response_key:
        abort(404)
    data = arco.response_storage().get(row.response_key)
    response = Response(data, mimetype="application/pdf")
    response.headers.update(attachment_headers(row.response_filename or f"{row.folio}.pdf"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/mis-datos/derechos/<folio>/respuesta.pdf")
@citizen_required
def response_pdf(folio: str):
    return _pdf(_mine(folio))


# The counter -----------------------------------------------------------------------------


@office.route("/derechos/ventanilla", methods=["GET", "POST"])
@staff_required(*COUNTER)
def counter_request():
    form = CounterArcoForm()
    if form.validate_on_submit():
        try:
            row = arco.file_request(
                form.kind.data,
                form.description.data,
                Actor.staff(current_user),
                counter=arco.CounterFiling(form.curp.data, form.id_type.data, form.id_number.data),
                prefix=_prefix(),
                request_id=g.request_id,
            )
        except CurpError as exc:
            _refused(form, exc, "curp")
        except IdNumberError as exc:
            _refused(form, exc, "id_number")
        except (arco.ArcoRefused, CalendarGap) as exc:
            _refused(form, exc)
        else:
            return render("rights/counter_receipt.html", row=row, **_context())
    status = 422 if request.method == "POST" else 200
    return render("rights/counter_request.html", form=form, **_context()), status


# The data-protection office ------------------------------------------------------------


@office.get("/derechos")
@staff_required(*OFFICE)
def queue():
    answered = request.args.get("estado") == "respondidas"
    status = "respondida" if answered else "recibida"
    query = ArcoRequest.select(
        ArcoRequest.id,
        ArcoRequest.folio,
        ArcoRequest.kind,
        ArcoRequest.channel,
        ArcoRequest.filed_at,
        ArcoRequest.due_on,
        ArcoRequest.status,
        ArcoRequest.outcome,
    ).where(ArcoRequest.status == status)

    def locate(row_id: int) -> tuple | None:
        row = (
            ArcoRequest.select(ArcoRequest.due_on, ArcoRequest.id)
            .where((ArcoRequest.id == row_id) & (ArcoRequest.status == status))
            .first()
        )
        return None if row is None else (row.due_on, row.id)

    listing = staff.keyset_page(
        staff.seeker([query], (ArcoRequest.due_on, ArcoRequest.id)), locate, PAGE_SIZE
    )
    today = local_today()
    return render(
        "rights/queue.html",
        block="results",
        listing=listing,
        answered=answered,
        today=today,
        days_left={row.id: arco.business_days_left(row, today) for row in listing.rows},
        **_context(),
    )


def _office_request(folio: str) -> ArcoRequest:
    row = ArcoRequest.get_or_none(ArcoRequest.folio == folio)
    if row is None:
        abort(404)
    return row


@office.route("/derechos/<folio>", methods=["GET", "POST"])
@staff_required(*OFFICE)
def answer(folio: str):
    row = _office_request(folio)
    form = ArcoResponseForm()
    if row.citizen_id is not None and request.method == "GET":
        audit.record_view(current_user, row.citizen_id, ViewReason.ARCO, request_id=g.request_id)
    if row.status == "recibida" and form.validate_on_submit():
        upload = request.files.get(form.attachment.name)
        try:
            attachment = (
                inspect_upload(
                    upload.read(),
                    upload.filename or "respuesta.pdf",
                    allowed=frozenset({"pdf"}),
                    max_bytes=max_upload_bytes(current_app.config),
                )
                if upload and upload.filename
                else None
            )
            arco.respond(
                folio,
                current_user,
                form.outcome.data,
                form.response.data,
                attachment,
                request_id=g.request_id,
            )
        except UploadRejected as exc:
            _refused(form, exc, "attachment")
        except arco.ArcoRefused as exc:
            _refused(form, exc, "response")
        else:
            flash(_("Respuesta guardada; la persona recibe un aviso."), "ok")
            return redirect(url_for("rights_office.answer", folio=folio), code=303)
    status = 422 if request.method == "POST" else 200
    citizen = Citizen.get_or_none(Citizen.id == row.citizen_id) if row.citizen_id else None
    return render(
        "rights/answer.html",
        row=row,
        form=form,
        citizen=citizen,
        days_left=arco.business_days_left(row, local_today()),
        **_context(),
    ), status


@office.get("/derechos/<folio>/respuesta.pdf")
@staff_required(*OFFICE)
def office_response_pdf(folio: str):
    return _pdf(_office_request(folio))


# Electoral blackout ----------------------------------------------------------------------


def _municipality_choices() -> list[tuple[str, str]]:
    state = current_app.config["STATE_CODE"]
    rows = Municipality.select(Municipality.code, Municipality.name).where(
        Municipality.state_code == state
    )
    return [("", _("Todo el estado"))] + [
        (m.code, m.name) for m in rows.order_by(Municipality.name)
    ]


@office.route("/veda", methods=["GET", "POST"])
@staff_required(Role.ADMIN_ESTATAL)
def blackouts():
    form = BlackoutForm()
    form.municipality.choices = _municipality_choices()
    if form.validate_on_submit():
        try:
            blackout.set_period(
                Actor.staff(current_user),
                form.election.data,
                cast(date, form.starts.data),  # InputRequired: a date by now
                cast(date, form.ends.data),
                form.municipality.data or None,
                request_id=g.request_id,
            )
        except blackout.BlackoutRefused as exc:
            _refused(form, exc, "ends")
        else:
            flash(_("Veda registrada."), "ok")
            return redirect(url_for("rights_office.blackouts"), code=303)
    status = 422 if request.method == "POST" else 200
    names = dict(form.municipality.choices)
    return render(
        "rights/blackouts.html",
        form=form,
        periods=blackout.periods_to_show(),
        municipality_names=names,
        today=local_today(),
        confirm=ConfirmForm(),
    ), status


@office.post("/veda/<int:period_id>/retirar")
@staff_required(Role.ADMIN_ESTATAL)
def withdraw_blackout(period_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(form.error_text(), "error")
        return redirect(url_for("rights_office.blackouts"), code=303)
    if BlackoutPeriod.get_or_none(BlackoutPeriod.id == period_id) is None:
        abort(404)
    try:
        blackout.withdraw(Actor.staff(current_user), period_id, request_id=g.request_id)
    except blackout.BlackoutRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("rights_office.blackouts"), code=303)
    flash(_("Veda retirada."), "ok")
    return redirect(url_for("rights_office.blackouts"), code=303)
