"""Server-side sessions: a signed-out or expired cookie opens nothing."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint
from flask_login import current_user

from portal.models import WebSession, utcnow
from portal.web.auth import sign_in, sign_out
from portal.web.sessions import end_sessions_of
from tests.factories import make_citizen, make_staff
from tests.support.html import html


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


def test_purge_deletes_only_expired_sessions(app):
    from portal.web.sessions import create_session_row, purge_expired

    now = utcnow()
    citizen, staff = make_citizen(), make_staff()
    create_session_row({"_user_id": citizen.get_id()})
    create_session_row({"_user_id": staff.get_id()})
    create_session_row({"answers": {}})
    create_session_row({"_user_id": citizen.get_id()})
    rows = list(WebSession.select().order_by(WebSession.created_at))
    # A citizen idle 16 min (limit 15), staff idle 20 min (limit 30: kept),
    # an anonymous visit idle 3 h (limit 2 h), a citizen active but 13 h old.
    WebSession.update(last_seen=now - dt.timedelta(minutes=16)).where(
        WebSession.id_hash == rows[0].id_hash
    ).execute()
    WebSession.update(last_seen=now - dt.timedelta(minutes=20)).where(
        WebSession.id_hash == rows[1].id_hash
    ).execute()
    WebSession.update(last_seen=now - dt.timedelta(hours=3)).where(
        WebSession.id_hash == rows[2].id_hash
    ).execute()
    WebSession.update(created_at=now - dt.timedelta(hours=13)).where(
        WebSession.id_hash == rows[3].id_hash
    ).execute()
    assert purge_expired(now) == 3
    assert [row.id_hash for row in WebSession.select()] == [rows[1].id_hash]


def test_purge_command_and_periodic_task(app):
    from portal.web import tasks
    from portal.web.sessions import create_session_row

    create_session_row({"answers": {}})
    WebSession.update(last_seen=utcnow() - dt.timedelta(hours=3)).execute()
    result = app.test_cli_runner().invoke(args=["sessions", "purge"])
    assert result.exit_code == 0 and "1" in result.output
    create_session_row({"answers": {}})
    WebSession.update(last_seen=utcnow() - dt.timedelta(hours=3)).execute()
    assert tasks.purge_expired_sessions.call_local() == 1
    assert not WebSession.select().exists()


def test_cookieless_gets_of_pages_with_forms_create_no_row(app):
    paths = ["/", "/entrar", "/oficina/entrar", "/cuestionario", "/programas", "/privacidad"]
    for path in paths:
        app.test_client().get(path)
    assert not WebSession.select().exists()


def test_csrf_secret_rides_in_a_signed_cookie_until_something_is_stored(app, client):
    from portal.web.sessions import CSRF_COOKIE

    app.config["WTF_CSRF_ENABLED"] = True
    page = html(client.get("/oficina/entrar"))
    assert client.get_cookie(CSRF_COOKIE) is not None
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    staff = make_staff()
    response = client.post(
        "/oficina/entrar",
        data={"csrf_token": token, "email": staff.email, "password": "contraseña-de-prueba-segura"},
    )
    assert response.status_code == 303
    assert WebSession.select().count() == 1
    assert client.get_cookie(CSRF_COOKIE) is None


def test_a_forged_csrf_cookie_is_ignored(app, client):
    from portal.web.sessions import CSRF_COOKIE

    app.config["WTF_CSRF_ENABLED"] = True
    client.set_cookie(CSRF_COOKIE, "bm90LXNpZ25lZA.forged")
    response = client.post("/oficina/entrar", data={"csrf_token": "x", "email": "a@b.c"})
    assert response.status_code == 400
