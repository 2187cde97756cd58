"""The person's consent to be told of programs they may receive, on "Mis datos".

``/mis-datos/avisos-de-programas`` shows whether the consent is in force and
since when, and grants or withdraws it (portal/citizens/consents.py, audited).
The counter takes the same consent down for people without a digital ID
(portal/backoffice/views/counter.py, contact page).
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_login import current_user
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.backoffice.audit import Actor
from portal.citizens import consents
from portal.citizens.views.profile import needs_privacy
from portal.messages import _l
from portal.messages import gettext as _
from portal.vocabulary import ConsentPurpose
from portal.web.auth import citizen_required
from portal.web.forms import BaseForm
from portal.web.htmx import render

bp = Blueprint("outreach", __name__)


class ToldForm(BaseForm):
    told = RadioField(
        _l("¿Quiere que le avisemos de programas que podría recibir?"),
        choices=[
            SelectChoice(
                "si", _l("Sí, avísenme cuando abra una convocatoria para la que califico")
            ),
            SelectChoice("no", _l("No, no quiero esos avisos")),
        ],
        validators=[InputRequired(message=_l("Elija sí o no."))],
    )


@bp.route("/mis-datos/avisos-de-programas", methods=["GET", "POST"])
@citizen_required
def preferences():
    citizen = current_user._get_current_object()
    if (gate := needs_privacy(citizen)) is not None:
        return gate  # a consent is given knowing the notice in force
    in_force = consents.in_force(citizen.id, ConsentPurpose.AVISOS_PROGRAMAS)
    form = ToldForm(data={"told": "si" if in_force else "no"} if request.method == "GET" else None)
    if form.validate_on_submit():
        actor = Actor.citizen(citizen)
        if form.told.data == "si":
            consents.grant(citizen, ConsentPurpose.AVISOS_PROGRAMAS, actor, request_id=g.request_id)
            flash(_("Le avisaremos una sola vez por convocatoria."), "ok")
        else:
            consents.revoke(
                citizen, ConsentPurpose.AVISOS_PROGRAMAS, actor, request_id=g.request_id
            )
            flash(_("Ya no le enviaremos avisos de programas."), "ok")
        return redirect(url_for("profile.my_data"), code=303)
    status = 422 if request.method == "POST" else 200
    return render("outreach/preferences.html", form=form, in_force=in_force), status
