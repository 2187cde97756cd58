"""Replacing or revoking a lost delivery credential from the back office.

``/oficina/credenciales`` is for the agency's delivery operators (``entrega``:
the person tells them at the delivery point that the phone or printout is
lost) and its administrators (``admin_dependencia``). Reviewers decide cases,
not deliveries; the state admin belongs to no agency. Another agency's
application answers 404. A replacement or revocation needs a reason from the
list, is audited (handover.py), and sends the person a notice; the old QR is
refused at every delivery point from then on and the person's credential page
shows the new one.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from portal.applications.folio import FolioError, validate_folio
from portal.backoffice.audit import record_view
from portal.delivery import handover as delivery
from portal.messages import _l
from portal.messages import gettext as _
from portal.models import Application, Credential, Program
from portal.vocabulary import Role, ViewReason
from portal.web.auth import staff_required
from portal.web.forms import BaseForm
from portal.web.htmx import render

bp = Blueprint("credential_office", __name__, url_prefix="/oficina/credenciales")

CREDENTIAL_STAFF = (Role.ENTREGA, Role.ADMIN_DEPENDENCIA)


class FolioForm(BaseForm):
    class Meta:
        csrf = False  # a GET search that changes nothing

    folio = StringField(
        _l("Folio de la solicitud"),
        validators=[DataRequired(_l("Escriba el folio de la solicitud."))],
        description=_l("Por ejemplo QRO-26-7K3M9PX."),
    )


class ReasonForm(BaseForm):
    motivo = SelectField(
        _l("Motivo"),
        choices=[SelectChoice("", _l("Elija el motivo"))]
        + [SelectChoice(key, label) for key, label in delivery.CREDENTIAL_REASONS.items()],
        validators=[DataRequired(_l("Elija el motivo."))],
    )


def _application(folio: str) -> Application:
    """The folio's application, of the staff member's agency only (404 otherwise)."""
    application = (
        Application.select(Application, Program)
        .join(Program)
        .where((Application.folio == folio.upper()) & (Program.agency == current_user.agency_id))
        .first()
    )
    if application is None:
        abort(404)
    return application


def _page(
    application: Application,
    reissue: ReasonForm | None = None,
    revoke: ReasonForm | None = None,
    status: int = 200,
):
    credentials = list(
        Credential.select()
        .where(Credential.application == application.id)
        .order_by(Credential.id.desc())
    )
    return render(
        "delivery/office_credential.html",
        application=application,
        current=delivery.current_credential(application),
        credentials=credentials,
        reissue_form=reissue or ReasonForm(formdata=None, prefix="reponer"),
        revoke_form=revoke or ReasonForm(formdata=None, prefix="revocar"),
    ), status


def _staff():
    return current_user._get_current_object()


@bp.get("")
@staff_required(*CREDENTIAL_STAFF)
def search():
    form = FolioForm(request.args)
    if "folio" in request.args and form.validate():
        try:
            folio = validate_folio(form.folio.data, current_app.config["FOLIO_PREFIX"])
        except FolioError as exc:
            form.folio.errors.append(exc.message)
        else:
            return redirect(url_for(".detail", folio=folio), code=303)
    status = 422 if form.errors else 200
    return render("delivery/office_search.html", form=form), status


@bp.get("/<folio>")
@staff_required(*CREDENTIAL_STAFF)
def detail(folio: str):
    application = _application(folio)
    record_view(
        current_user,
        application.citizen_id,
        ViewReason.ENTREGA,
        application,
        request_id=g.get("request_id", ""),
    )
    return _page(application)


@bp.post("/<folio>/reponer")
@staff_required(*CREDENTIAL_STAFF)
def reissue(folio: str):
    application = _application(folio)
    form = ReasonForm(prefix="reponer")
    if not form.validate_on_submit():
        return _page(application, reissue=form, status=422)
    try:
        delivery.reissue(
            application, _staff(), form.motivo.data, request_id=g.get("request_id", "")
        )
    except delivery.DeliveryError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _(
                "Credencial repuesta. El código anterior ya no sirve; la persona ve el nuevo "
                "en su solicitud y recibió un aviso."
            ),
            "ok",
        )
    return redirect(url_for(".detail", folio=application.folio), code=303)


@bp.post("/<folio>/revocar")
@staff_required(*CREDENTIAL_STAFF)
def revoke(folio: str):
    application = _application(folio)
    form = ReasonForm(prefix="revocar")
    if not form.validate_on_submit():
        return _page(application, revoke=form, status=422)
    try:
        revoked = delivery.revoke(
            application, _staff(), form.motivo.data, request_id=g.get("request_id", "")
        )
    except delivery.DeliveryError as exc:
        flash(exc.message, "error")
    else:
        if revoked is None:
            flash(_("La solicitud no tiene una credencial vigente que revocar."), "error")
        else:
            flash(_("Credencial revocada. La persona recibió un aviso."), "ok")
    return redirect(url_for(".detail", folio=application.folio), code=303)
