"""``/puntos-cercanos``: the delivery points and the state's offices nearest
to the person, on a map drawn on the server and in lists beside it.

Anyone may type a postal code; a signed-in person without one starts from
the locality of their record (never put in the URL). Nothing is written."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, request
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.messages import gettext as _
from portal.territory import maps, nearby
from portal.territory.forms import NearbyForm
from portal.web.auth import is_citizen
from portal.web.htmx import render

bp = Blueprint("territory", __name__)


def office_mark(index: int) -> str:
    """Offices are lettered on the map and in their list (A, B, C…); points are numbered."""
    return chr(ord("A") + index)


@bp.get("/puntos-cercanos")
def nearest_points():
    form = NearbyForm(request.args)
    programs = nearby.programs_with_points()
    form.programa.choices = [SelectChoice("", _("Todos los programas"))] + [
        SelectChoice(slug, name) for slug, name in programs
    ]
    asked = bool(request.args)
    origin: nearby.Origin | None = None
    if asked and form.validate() and form.cp.data:
        origin = nearby.from_postal_code(form.cp.data)
        if origin is None:
            form.cp.errors = [
                _("No encontramos ese código postal en Querétaro. Revise los 5 dígitos.")
            ]
    elif not form.errors and not form.cp.data and is_citizen():
        origin = nearby.from_record(current_user._get_current_object())
    points = nearby.delivery_points_near(origin, form.programa.data or None) if origin else []
    offices = nearby.offices_near(origin) if origin else []
    drawn = (
        maps.places_map(
            origin.point,
            [(i, p.point.lat, p.point.lon) for i, p in enumerate(points, start=1)],
            [(office_mark(i), o.office.lat, o.office.lon) for i, o in enumerate(offices)],
        )
        if origin and (points or offices)
        else None
    )
    status = 422 if form.errors else 200
    response = render(
        "territory/nearest.html",
        form=form,
        origin=origin,
        points=points,
        offices=offices,
        office_mark=office_mark,
        drawn=drawn,
        today=dt.date.today(),
    )
    return response, status
