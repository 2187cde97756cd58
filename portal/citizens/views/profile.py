"""The single citizen record as its owner sees it: privacy notice, the data we
hold (and downloads of it), profile completion and correction requests, and
who among the staff looked at it ("Quién consultó sus datos", read from the
audit trail: portal/backoffice/audit.py ``views_of``)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, g, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.backoffice.forms import ROLE_LABELS
from portal.catalog import geography as geo
from portal.citizens import record as citizens
from portal.citizens import record_export
from portal.citizens.forms import CorrectionForm, PrivacyForm, ProfileForm, correctable_fields
from portal.messages import _l
from portal.messages import gettext as _
from portal.models import Citizen, Municipality
from portal.rights import arco
from portal.rights import privacy as privacy_versions
from portal.vocabulary import ViewReason
from portal.web import i18n
from portal.web.auth import citizen_required, is_citizen
from portal.web.htmx import render
from portal.web.redirects import safe_next
from portal.web.security import public_cache

bp = Blueprint("profile", __name__)


def remember_language(lang: str) -> None:
    """A signed-in person who picks a language gets their notices sent in it."""
    if is_citizen():
        citizens.choose_language(current_user, lang, request_id=g.request_id)


@bp.record_once
def _listen_to_language_choices(state) -> None:
    if remember_language not in i18n.on_language_chosen:
        i18n.on_language_chosen.append(remember_language)


VIEW_REASONS = {
    ViewReason.VENTANILLA: _l("Atención en ventanilla, con usted presente"),
    ViewReason.REVISION: _l("Revisión de su solicitud"),
    ViewReason.ENTREGA: _l("Entrega de su apoyo"),
    ViewReason.ARCO: _l("Atención de su solicitud de derechos ARCO"),
    ViewReason.DUPLICADOS: _l("Revisión de registros que podrían ser de la misma persona"),
    ViewReason.QUEJA: _l("Atención de una queja o denuncia que usted presentó"),
}


def _me() -> Citizen:
    return current_user._get_current_object()


def _actor() -> Actor:
    return Actor.citizen(current_user.id)


def _local(target: str | None) -> str | None:
    return safe_next(target) or None


@bp.get("/privacidad")
@public_cache(3600)
def privacy():
    return render(
        "citizens/privacy.html",
        version=privacy_versions.current().version,
        privacy_versions=privacy_versions.VERSIONS,
    )


@bp.route("/mis-datos/aviso", methods=["GET", "POST"])
@citizen_required
def privacy_notice():
    citizen = _me()
    target = _local(request.values.get("next"))
    form = PrivacyForm()
    if form.validate_on_submit():
        citizens.accept_privacy(
            citizen, privacy_versions.current().version, request_id=g.request_id
        )
        return redirect(target or url_for("profile.edit"), code=303)
    status = 422 if request.method == "POST" else 200
    return render(
        "citizens/privacy_notice.html",
        form=form,
        next=target or "",
        version=privacy_versions.current().version,
        privacy_accepted=citizen.privacy_version,
        privacy_current=privacy_versions.current(),
        privacy_changes=privacy_versions.changes_since(citizen.privacy_version),
    ), status


def needs_privacy(citizen: Citizen):
    """The redirect to the privacy notice when the person has not accepted its
    current version, else None: pages that change what the portal does with
    their data ask for it first (and come back here after)."""
    if privacy_versions.asks_again(citizen.privacy_version):
        return redirect(
            url_for("profile.privacy_notice", next=request.full_path.rstrip("?")), code=303
        )
    return None


@bp.get("/mis-datos")
@citizen_required
def my_data():
    citizen = _me()
    data = record_export.personal_data(citizen)
    municipality = (
        Municipality.get_or_none(Municipality.code == citizen.municipality_id)
        if citizen.municipality_id
        else None
    )
    return render(
        "citizens/my_data.html",
        citizen=citizen,
        data=data,
        municipality=municipality,
        views=audit.views_of(citizen.id),
        views_shown=audit.VIEWS_SHOWN,
        view_reasons=VIEW_REASONS,
        role_labels=ROLE_LABELS,
        requests=arco.of_citizen(citizen.id),
        kind_names=arco.KIND_NAMES,
        privacy_current=privacy_versions.current(),
        privacy_asks_again=privacy_versions.asks_again(citizen.privacy_version),
    )


@bp.get("/mis-datos/descargar.<fmt>")
@citizen_required
def download(fmt: str):
    if fmt not in ("json", "csv"):
        return redirect(url_for("profile.my_data"), code=303)
    citizen = _me()
    data = record_export.personal_data(citizen)
    audit.record(
        "record.export",
        _actor(),
        object_type="citizen",
        object_id=citizen.id,
        details={"format": fmt},
        request_id=g.request_id,
    )
    if fmt == "json":
        body, mimetype = json.dumps(data, ensure_ascii=False, indent=2), "application/json"
    else:
        body, mimetype = record_export.to_csv(data), "text/csv"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="mis-datos.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/mis-datos/editar", methods=["GET", "POST"])
@citizen_required
def edit():
    citizen = _me()
    if (gate := needs_privacy(citizen)) is not None:
        return gate
    target = _local(request.values.get("next"))
    form = ProfileForm(obj=citizen) if request.method == "GET" else ProfileForm()
    from_answers = False
    if request.method == "GET":
        form.municipality.data, from_answers = _known_municipality(citizen)
    form.offer_choices(citizen)
    if form.looking_up():
        # "Buscar" only fills the locality and settlement lists: nothing is saved.
        return render("citizens/edit.html", form=form, citizen=citizen, next=target or "")
    if form.validate_on_submit():
        citizens.update_contact(
            citizen,
            {
                "phone": form.phone.data,
                "email": form.email.data,
                "notify_channel": form.notify_channel.data,
                **form.address_values(),
            },
            form.municipality.data or None,
            _actor(),
            request_id=g.request_id,
        )
        flash(_("Guardamos sus datos."), "ok")
        return redirect(target or url_for("profile.my_data"), code=303)
    status = 422 if request.method == "POST" else 200
    return render(
        "citizens/edit.html",
        form=form,
        citizen=citizen,
        next=target or "",
        municipality_from_answers=from_answers,
    ), status


def _known_municipality(citizen: Citizen) -> tuple[str, bool]:
    """The address's municipality, or the one the questionnaire learnt (and so)."""
    if citizen.municipality_id:
        return citizen.municipality_id, False
    answered = (citizen.profile or {}).get("municipality")
    if isinstance(answered, str) and geo.load_state().municipality(answered) is not None:
        return answered, True
    return "", False


@bp.route("/mis-datos/correccion", methods=["GET", "POST"])
@citizen_required
def correction():
    citizen = _me()
    if (gate := needs_privacy(citizen)) is not None:
        return gate
    form = CorrectionForm()
    form.field.choices = [SelectChoice("", _("Elija el dato")), *correctable_fields(citizen)]
    if form.validate_on_submit():
        citizens.request_correction(
            citizen,
            form.field.data,
            form.requested_value.data,
            form.reason.data or "",
            _actor(),
            request_id=g.request_id,
        )
        flash(_("Recibimos su solicitud de corrección. El personal la revisará."), "ok")
        return redirect(url_for("profile.my_data"), code=303)
    status = 422 if request.method == "POST" else 200
    return render(
        "citizens/correction.html", form=form, has_choices=len(form.field.choices) > 1
    ), status
