"""Staff sign-in at /oficina/entrar, sign-out, and marking a terminal as a kiosk."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_login import current_user

from portal.backoffice import audit, staff
from portal.backoffice.audit import ANONYMOUS, Actor
from portal.citizens.forms import StaffLoginForm
from portal.messages import gettext as _
from portal.web.auth import is_staff, sign_in, sign_out, staff_required
from portal.web.htmx import render
from portal.web.kiosk import DEVICE_COOKIE, device_marker, is_kiosk, set_device_cookie
from portal.web.limits import client_address, wait_text
from portal.web.redirects import safe_next
from portal.web.shell import staff_links

bp = Blueprint("oficina_auth", __name__, url_prefix="/oficina")


def _actor(user) -> Actor:
    return Actor.staff(user)


def _local(target: str | None) -> str | None:
    return safe_next(target) or None


@bp.route("/entrar", methods=["GET", "POST"])
def login():
    if is_staff():
        return redirect(_landing(current_user.role))
    form = StaffLoginForm()
    status = 200
    if form.validate_on_submit():
        attempt = staff.authenticate(form.email.data, form.password.data, client_address())
        user = attempt.user
        if user is not None:
            sign_in(user)
            audit.record(
                "staff.sign_in",
                _actor(user),
                object_type="staff_user",
                object_id=user.id,
                request_id=g.request_id,
            )
            return redirect(_local(request.args.get("next")) or _landing(user.role), code=303)
        if attempt.counted:
            # Attempts refused during a wait are not audited: a flood of them
            # must not become a flood of writes (the access log has each 429).
            audit.record(
                "staff.sign_in",
                ANONYMOUS,
                outcome="fallido",
                details={"cause": "credentials"},
                request_id=g.request_id,
            )
        # One message for an unknown e-mail, a wrong password or a deactivated
        # account: the form must not tell which e-mails exist. Waits are
        # counted for unknown e-mails too, so they tell nothing either.
        if attempt.wait_seconds:
            form.password.errors.append(
                _(
                    "Hubo varios intentos fallidos: espere %(wait)s y vuelva a intentarlo.",
                    wait=wait_text(attempt.wait_seconds),
                )
            )
            body = render("backoffice/login.html", form=form)
            return body, 429, {"Retry-After": str(attempt.wait_seconds)}
        form.password.errors.append(
            _(
                "El correo o la contraseña no son correctos. Tras varios intentos fallidos "
                "tendrá que esperar unos segundos entre uno y otro."
            )
        )
        status = 401
    elif request.method == "POST":
        status = 422
    return render("backoffice/login.html", form=form), status


def _landing(role: str) -> str:
    """The first area of the staff menu ``role`` may open (any staff may open the kiosk page)."""
    links = staff_links(role)
    return url_for(links[0][0] if links else "oficina_auth.kiosk")


@bp.post("/salir")
def logout():
    user = current_user._get_current_object() if is_staff() else None
    sign_out()
    if user is not None:
        audit.record(
            "staff.sign_out",
            _actor(user),
            object_type="staff_user",
            object_id=user.id,
            request_id=g.request_id,
        )
    flash(_("Cerró su sesión."), "ok")
    return redirect(url_for("oficina_auth.login"), code=303)


@bp.route("/kiosco", methods=["GET", "POST"])
@staff_required()
def kiosk():
    """Mark or unmark this browser as a shared kiosk terminal."""
    if request.method == "POST":
        turn_on = request.form.get("kiosk") == "1"
        staff_id = current_user.id
        audit.record(
            "kiosk.set" if turn_on else "kiosk.unset",
            _actor(current_user),
            object_type="device",
            request_id=g.request_id,
        )
        if turn_on:
            # The staff member's own session ends here: the terminal is for citizens.
            sign_out()
            response = redirect(url_for("public.home"), code=303)
            set_device_cookie(response, device_marker(staff_id))
            return response
        response = redirect(url_for("oficina_auth.kiosk"), code=303)
        response.delete_cookie(DEVICE_COOKIE)
        flash(_("Este equipo ya no es un kiosco."), "ok")
        return response
    return render("backoffice/kiosk.html", device_is_kiosk=is_kiosk())
