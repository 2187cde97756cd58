"""Server-side sessions: a signed-out or expired cookie opens nothing."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint
from flask_login import current_user

from portal.models import WebSession, utcnow
from portal.web.auth import sign_in, sign_out
from portal.web.sessions import end_sessions_of
from tests.factories import make_citizen, make_staff


def _who_am_i_routes(app):
    bp = Blueprint("probe", __name__)

    @bp.get("/_yo")
    def whoami():
        return current_user.get_id() if current_user.is_authenticated else "anonimo"

    @bp.post("/_entrar/<int:citizen_id>")
    def enter(citizen_id):
        from portal.models import Citizen

        sign_in(Citizen.get_by_id(citizen_id))
        return "ok"

    @bp.post("/_salir")
    def leave():
        sign_out()
        return "ok"

    app.register_blueprint(bp)


def _cookie(client, app):
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def test_sign_in_changes_the_session_id_and_sign_out_kills_the_old_cookie(app, client):
    _who_am_i_routes(app)
    citizen = make_citizen()
    with client.session_transaction() as session:
        session["answers"] = {"sex": "M"}
    before = _cookie(client, app)
    client.post(f"/_entrar/{citizen.id}")
    after = _cookie(client, app)
    assert before != after
    assert client.get("/_yo").get_data(as_text=True) == f"c:{citizen.id}"
    client.post("/_salir")
    assert WebSession.select().count() == 0
    # Replaying the cookie captured while signed in opens nothing.
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], after)
    assert client.get("/_yo").get_data(as_text=True) == "anonimo"


def test_idle_session_expires(app, client, login):
    _who_am_i_routes(app)
    citizen = make_citizen()
    login(citizen)
    WebSession.update(last_seen=utcnow() - dt.timedelta(minutes=16)).execute()
    assert client.get("/_yo").get_data(as_text=True) == "anonimo"
    assert WebSession.select().count() == 0


def test_staff_idle_limit_is_longer(app, client, login):
    _who_am_i_routes(app)
    staff = make_staff()
    login(staff)
    WebSession.update(last_seen=utcnow() - dt.timedelta(minutes=20)).execute()
    assert client.get("/_yo").get_data(as_text=True) == f"s:{staff.id}"


def test_ending_a_users_sessions_signs_out_every_device(app, login):
    _who_am_i_routes(app)
    staff = make_staff()
    phone, desk = app.test_client(), app.test_client()
    for device in (phone, desk):
        with device.session_transaction() as session:
            session["_user_id"] = staff.get_id()
    assert end_sessions_of("personal", staff.id) == 2
    assert phone.get("/_yo").get_data(as_text=True) == "anonimo"
    assert desk.get("/_yo").get_data(as_text=True) == "anonimo"


def test_only_a_hash_of_the_session_id_is_stored(app, client, login):
    login(make_citizen())
    cookie = _cookie(client, app)
    stored = WebSession.get()
    assert stored.id_hash != cookie and len(stored.id_hash) == 64
