"""At the delivery point: scan or type, check, confirm once.

``/entrega`` (role ``entrega`` only) takes a scanned code, a pasted URL or a
typed folio. With JavaScript, static/js/scanner.js reads the QR with the
camera or from a photo, checks the signature in the browser against the
published key and submits the same form; without it, the operator types.
``/E/<token>`` is what a phone camera opens from the QR code: anyone learns
whether the code is authentic and ready, with no name shown; a signed-in
operator gets the confirmation form instead.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.applications.folio import FolioError
from portal.backoffice.audit import record_view
from portal.delivery import handover as delivery
from portal.delivery import periods
from portal.delivery.views.credential import public_key
from portal.messages import _l
from portal.messages import gettext as _
from portal.models import Application, Credential, Delivery, DeliveryPoint, Program
from portal.vocabulary import Role, ViewReason
from portal.web.auth import is_staff, staff_required
from portal.web.forms import BaseForm
from portal.web.htmx import render, wants_fragment

bp = Blueprint("delivery", __name__)

# Long runs of digits are tokens (212 digits); anything shorter is read as a folio.
_TOKEN_DIGITS = re.compile(r"\d{100,}")


class LookupForm(BaseForm):
    codigo = StringField(
        _l("Folio o dirección del código QR"),
        validators=[DataRequired(_l("Escriba el folio o pegue la dirección del código QR."))],
        description=_l("Por ejemplo QRO-26-7K3M9PX, o la dirección que abre el código."),
    )


class ConfirmForm(BaseForm):
    credencial = StringField(validators=[DataRequired(), Length(max=16)])
    # The benefit period the operator was shown: confirming it twice is refused.
    periodo = IntegerField(validators=[Optional(), NumberRange(min=1, max=10_000)])
    punto = SelectField(
        _l("Punto de entrega"),
        coerce=int,
        validators=[InputRequired(_l("Elija el punto de entrega donde está."))],
    )
    tipo_identificacion = SelectField(
        _l("Identificación que revisó"),
        choices=[SelectChoice("", _l("Elija una"))]
        + [SelectChoice(value, label) for value, label in delivery.ID_TYPES.items()],
        validators=[DataRequired(_l("Elija el tipo de identificación que revisó."))],
    )
    ultimos4 = StringField(
        _l("Últimos 4 caracteres del número de la identificación"),
        validators=[DataRequired(_l("Escriba los últimos 4 caracteres del número."))],
        description=_l("Solo los últimos 4: el número completo no se guarda."),
    )
    revisada = BooleanField(
        _l("Revisé la identificación original y la persona es la titular de la solicitud."),
        validators=[DataRequired(_l("Confirme que revisó la identificación de la persona."))],
    )


def _operator():
    return current_user._get_current_object()


def _confirm_form(verdict: delivery.Verdict, from_request: bool = False) -> ConfirmForm:
    """The confirmation form of a valid verdict (one that names its credential)."""
    assert verdict.application is not None and verdict.credential is not None
    form = ConfirmForm() if from_request else ConfirmForm(formdata=None)
    points = (
        DeliveryPoint.select()
        .where((DeliveryPoint.program == verdict.application.program_id) & DeliveryPoint.active)
        .order_by(DeliveryPoint.name)
    )
    form.punto.choices = [SelectChoice(p.id, p.name) for p in points]
    if not from_request:
        form.credencial.data = verdict.credential.credential_id
        form.periodo.data = verdict.period.number if verdict.period else None
        form.punto.data = session.get("punto_entrega")
    return form


def render_check(
    verdict: delivery.Verdict | None,
    form: ConfirmForm | None = None,
    lookup: LookupForm | None = None,
    status: int | None = None,
    just_delivered: bool = False,
):
    """The delivery page with a verdict (only its result block for htmx).

    A verdict that shows the person (name, benefit) is a view of their record:
    audited, and listed in the person's /mis-datos.
    """
    application = verdict.application if verdict is not None else None
    if application is not None and verdict is not None and verdict.code != "otro_programa":
        record_view(
            _operator(),
            application.citizen_id,
            ViewReason.ENTREGA,
            application,
            request_id=g.get("request_id", ""),
        )
    if form is None and verdict is not None and verdict.ok:
        form = _confirm_form(verdict)
    if status is None:
        ok = verdict is not None and (verdict.ok or just_delivered)
        status = 200 if ok else (409 if verdict and verdict.already_delivered else 422)
    body = render(
        "delivery/index.html",
        block="result",
        verdict=verdict,
        form=form,
        lookup=lookup or LookupForm(formdata=None),
        just_delivered=just_delivered,
        scanner=False,
    )
    return body, status


@bp.get("/e/<token>")
@bp.get("/E/<token>")
def scanned(token: str):
    """What a phone camera opens. No audit for the public: it only reads."""
    if is_staff() and current_user.role == Role.ENTREGA:
        operator = _operator()
        verdict = delivery.check_token(token, public_key(), operator=operator)
        delivery.audit_check(verdict, operator, "enlace", g.get("request_id", ""))
        return render_check(verdict)
    verdict = delivery.check_token(token, public_key())
    staff_sign_in = None
    if not current_user.is_authenticated and "oficina_auth.login" in current_app.view_functions:
        staff_sign_in = url_for("oficina_auth.login", next=request.path)
    body = render("delivery/scanned.html", verdict=verdict, staff_sign_in=staff_sign_in)
    return body, 200 if verdict.ok else 422


@bp.get("/entrega")
@staff_required(Role.ENTREGA)
def index():
    body = render("delivery/index.html", verdict=None, form=None, lookup=LookupForm(), scanner=True)
    # The camera is allowed on this page only, and only for the portal itself.
    return body, 200, {"Permissions-Policy": "camera=(self), microphone=(), geolocation=()"}


@bp.post("/entrega/verificar")
@staff_required(Role.ENTREGA)
def check():
    lookup = LookupForm()
    operator = _operator()
    if not lookup.validate():
        return render_check(None, lookup=lookup, status=422)
    typed = lookup.codigo.data
    if _TOKEN_DIGITS.search(typed):
        verdict = delivery.check_token(typed, public_key(), operator=operator)
        how = "codigo"
    else:
        try:
            verdict = delivery.check_folio(typed, operator, current_app.config["FOLIO_PREFIX"])
        except FolioError as error:
            lookup.codigo.errors.append(error.message)
            return render_check(None, lookup=lookup, status=422)
        how = "folio"
    delivery.audit_check(verdict, operator, how, g.get("request_id", ""))
    return render_check(verdict, lookup=lookup)


@bp.post("/entrega/confirmar")
@staff_required(Role.ENTREGA)
def confirm():
    operator = _operator()
    request_id = g.get("request_id", "")
    credential_id = ConfirmForm().credencial.data or ""
    if not credential_id:
        # Nothing says which credential was confirmed: look it up again.
        lookup = LookupForm(formdata=None)
        lookup.codigo.errors = [
            _("La confirmación llegó sin la credencial. Busque otra vez el folio o el código QR.")
        ]
        return render_check(None, lookup=lookup, status=422)
    credential = (
        Credential.select(Credential, Application)
        .join(Application)
        .join(Program)
        .where((Credential.credential_id == credential_id) & (Program.agency == operator.agency_id))
        .first()
    )
    if credential is None:
        abort(404)
    verdict = delivery.recheck(credential, operator)
    if not verdict.ok:
        delivery.audit_refusal(operator, credential, verdict, request_id)
        return render_check(verdict)
    form = _confirm_form(verdict, from_request=True)
    id_check = None
    if form.validate():
        try:
            id_check = delivery.IdCheck.parse(form.tipo_identificacion.data, form.ultimos4.data)
        except delivery.DeliveryError as error:
            form.ultimos4.errors.append(error.message)
    if id_check is None:
        return render_check(verdict, form=form, status=422)
    point = DeliveryPoint.get_by_id(form.punto.data)
    try:
        outcome = delivery.confirm_delivery(
            credential, operator, point, id_check, request_id, period=form.periodo.data
        )
    except delivery.DeliveryError as error:
        form.punto.errors.append(error.message)
        return render_check(verdict, form=form, status=409)
    session["punto_entrega"] = point.id
    if not outcome.delivered:
        return render_check(outcome.verdict)
    if wants_fragment():
        return render_check(outcome.verdict, just_delivered=True)
    assert outcome.delivery is not None  # a delivered outcome holds its delivery
    return redirect(url_for("delivery.receipt", delivery_id=outcome.delivery.id), code=303)


@bp.get("/entrega/entregas/<int:delivery_id>")
@staff_required(Role.ENTREGA)
def receipt(delivery_id: int):
    """The record of one delivery of the operator's agency (after the redirect)."""
    found = (
        Delivery.select(Delivery, Application)
        .join(Application)
        .join(Program)
        .where((Delivery.id == delivery_id) & (Program.agency == _operator().agency_id))
        .first()
    )
    if found is None:
        abort(404)
    standing = periods.standing(found.application)
    verdict = delivery.Verdict(
        "entregada",
        credential=found.credential,
        application=found.application,
        delivery=found,
        period=next((p for p in standing.periods if p.number == found.period), None),
        next_period=standing.next,
        standing=standing,
    )
    return render_check(verdict, just_delivered=True)


def benefit_text(program: Program) -> str:
    if program.benefit_description:
        return program.benefit_description
    if program.benefit_amount:
        return _(
            "$%(amount)s %(period)s",
            amount=f"{program.benefit_amount:,}",
            period=program.benefit_period,
        ).strip()
    return program.summary
