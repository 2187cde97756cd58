"""Citizen sign-in with the state's digital ID, and sign-out.

Every failure ends on one page that says what happened in plain Spanish and
offers to try again; nothing is signed in, and the cause goes to the log and
the audit trail without tokens or CURPs.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, request, session, url_for
from flask_login import current_user

from portal.backoffice import audit
from portal.backoffice.audit import ANONYMOUS, Actor
from portal.citizens import oidc
from portal.citizens import record as citizens
from portal.models import utcnow
from portal.rights import privacy as privacy_versions
from portal.web import sessions
from portal.web.auth import is_citizen, sign_in, sign_out
from portal.web.htmx import render
from portal.web.kiosk import forget_the_person, is_kiosk
from portal.web.redirects import safe_next

bp = Blueprint("auth", __name__)

NEXT_KEY = "after_sign_in"


def _local(target: str | None) -> str | None:
    """Only paths on this site: never an open redirect."""
    return safe_next(target) or None


@bp.get("/entrar")
def start():
    if is_citizen():
        return redirect(url_for("profile.my_data"))
    return render("citizens/sign_in.html", next=_local(request.args.get("next")) or "")


@bp.post("/entrar")
def go_to_provider():
    session[NEXT_KEY] = _local(request.form.get("next")) or ""
    try:
        response = oidc.authorize_redirect(kiosk=is_kiosk())
    except oidc.SignInFailed as failure:
        return _failed(failure)
    return response


@bp.get("/auth/callback")
def callback():
    try:
        identity = oidc.finish_sign_in(request.args)
        citizen, outcome = citizens.record_for(identity)
    except oidc.SignInFailed as failure:
        return _failed(failure)
    except citizens.IdentityMismatch as mismatch:
        current_app.logger.warning(
            "entrada rechazada: la CURP no coincide con los datos de la llave"
        )
        audit.record(
            "sign_in",
            ANONYMOUS,
            outcome="rechazado",
            details={"cause": "curp_mismatch", "problems": len(mismatch.problems)},
            request_id=_request_id(),
        )
        return render("citizens/sign_in_mismatch.html", problems=mismatch.problems), 422

    answers = session.get("answers")
    target = _local(session.get(NEXT_KEY))
    sign_in(citizen)
    session.pop("answers", None)
    merged = citizens.merge_answers(citizen, answers)
    audit.record(
        "sign_in",
        Actor.citizen(citizen),
        object_type="citizen",
        object_id=citizen.id,
        details={"record": outcome, "answers_merged": merged},
        request_id=_request_id(),
    )
    if privacy_versions.asks_again(citizen.privacy_version):
        return redirect(url_for("profile.privacy_notice", next=target or None), code=303)
    return redirect(target or url_for("profile.my_data"), code=303)


@bp.post("/salir", endpoint="sign_out")
def sign_out_view():
    was_citizen = is_citizen()
    citizen_id = current_user.id if was_citizen else None
    kiosk = is_kiosk()
    sign_out()
    if was_citizen:
        audit.record(
            "sign_out",
            Actor.citizen(citizen_id),
            object_type="citizen",
            object_id=citizen_id,
            details={"reason": _reason(request.form.get("reason")), "kiosk": kiosk},
            request_id=_request_id(),
        )
    if kiosk:
        return kiosk_reset()
    home = current_app.config["PORTAL_BASE_URL"] + "/"
    provider = oidc.logout_url(home) if was_citizen else None
    return redirect(provider or url_for("public.home"), code=303)


SIGN_OUT_REASONS = ("manual", "idle")


def _reason(value: str | None) -> str:
    """Why the person left, as the page says it: a button or the idle timer.

    Anything else is recorded as ``manual``: the audit trail never stores
    what a client typed (an e-mail there made the audit entry, and the
    sign-out, fail).
    """
    return value if value in SIGN_OUT_REASONS else "manual"


def kiosk_reset():
    """Wipe everything this browser holds of the last person and go back to the start.

    The device marker stays (see portal/web/kiosk.py). The provider's session
    cannot be seen from here; a kiosk asks the provider to show its login form
    on every sign-in instead (``prompt=login``).
    """
    response = redirect(url_for("public.home"), code=303)
    forget_the_person(response)
    return response


@bp.post("/sesion/extender")
def extend_session():
    """Restart the idle clock (the idle warning's "Seguir aquí" button).

    Writing to the session makes the session store save it, which moves
    ``last_seen``; an expired session has nothing left to extend.
    """
    if not current_user.is_authenticated:
        return "", 401
    session["extended_at"] = utcnow().isoformat(timespec="seconds")
    return "", 204


def _failed(failure: oidc.SignInFailed):
    current_app.logger.warning("entrada fallida: %s", failure.cause)
    audit.record(
        "sign_in",
        ANONYMOUS,
        outcome="fallido",
        details={"cause": failure.cause},
        request_id=_request_id(),
    )
    session.pop(NEXT_KEY, None)
    status = 503 if failure.cause == "provider_unreachable" else 400
    return render("citizens/sign_in_failed.html", message=failure.message), status


def _request_id() -> str:
    return g.get("request_id", "")


@bp.get("/kiosco/reinicio")
def kiosk_anonymous_reset():
    """The kiosk countdown's end on a page where nobody is signed in.

    Signed-in people are signed out by a POST with its CSRF token; a GET must
    never end someone's session, so here it only clears an anonymous visit
    (questionnaire answers, say).
    """
    if current_user.is_authenticated or not is_kiosk():
        return redirect(url_for("public.home"), code=303)
    sessions.current().destroy()
    return kiosk_reset()
