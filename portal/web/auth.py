"""Who is signed in: citizens (digital ID) and staff (password), one session.

flask-login keeps the user's id in the server-side session as ``c:<id>`` for a
citizen or ``s:<id>`` for staff. Views state who may enter with
``citizen_required`` or ``staff_required(*roles)``; objects are then always
loaded through queries scoped to that user or agency.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.models import Citizen, StaffUser
from portal.web import sessions
from portal.web.extensions import login_manager
from portal.web.tables import find


@login_manager.user_loader
def load_user(user_id: str):
    kind, _, ident = user_id.partition(":")
    if not ident.isdigit():
        return None
    if kind == "c":
        return find(Citizen, Citizen.id, int(ident))
    if kind == "s":
        staff = find(StaffUser, StaffUser.id, int(ident))
        return staff if staff is not None and staff.active else None
    return None


@login_manager.unauthorized_handler
def unauthorized():
    if request.blueprint and request.blueprint.startswith("oficina"):
        return redirect(url_for("oficina_auth.login", next=request.full_path))
    return redirect(url_for("auth.start", next=request.full_path))


def sign_in(user) -> None:
    """Start a fresh session for the user (new id: no session fixation)."""
    kept = {k: v for k, v in session.items() if k in {"lang", "kiosk", "answers"}}
    session.clear()
    session.update(kept)
    sessions.current().regenerate()
    login_user(user)


def sign_out() -> None:
    logout_user()
    sessions.current().destroy()


def is_citizen() -> bool:
    return current_user.is_authenticated and isinstance(current_user._get_current_object(), Citizen)


def is_staff() -> bool:
    return current_user.is_authenticated and isinstance(
        current_user._get_current_object(), StaffUser
    )


def citizen_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not is_citizen():
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def staff_required(*roles: str):
    """Only staff with one of ``roles`` (any staff role when none are given).

    The roles stay on the view as ``staff_roles``: the staff menu and the page
    after sign-in read them through :func:`may_open`, so who may open an area is
    said once, on its views.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("oficina_auth.login", next=request.full_path))
            if not is_staff() or (roles and current_user.role not in roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.staff_roles = roles  # type: ignore[attr-defined]  # read by may_open()
        return wrapped

    return decorator


def may_open(endpoint: str, role: str) -> bool:
    """Whether staff with ``role`` pass the ``staff_required`` of ``endpoint``'s view."""
    roles = getattr(current_app.view_functions.get(endpoint), "staff_roles", None)
    return roles is not None and (not roles or role in roles)
