"""Server-side sessions stored in the database.

The cookie carries only a random id. Sign-out, idle and absolute timeouts and
staff deactivation delete the row, so a replayed cookie finds nothing. The row
is written only when the session changes (or once a minute to keep it alive).

A row is created only when something must be kept on the server: a sign-in,
questionnaire answers, a sign-in attempt's state. An anonymous visitor who
only opens pages with a form (the sign-in page, the questionnaire's start)
needs nothing but the secret behind the form's CSRF token; that secret rides
in a cookie signed with ``SECRET_KEY`` (``vu_csrf``) instead of a row, so a
crawler or a flood of cookieless GETs costs no writes. Expired rows are
deleted by :func:`purge_expired` (``flask sessions purge`` and a queue task
every hour).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app, request, session
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeSerializer
from peewee import DatabaseError
from werkzeug.datastructures import CallbackDict

from portal.models import WebSession, utcnow
from portal.web.tables import find

TOUCH_EVERY = dt.timedelta(seconds=60)
ANONYMOUS_IDLE = dt.timedelta(hours=2)
CSRF_COOKIE = "vu_csrf"


def read_only_error(error: BaseException) -> bool:
    """The database refused a write because it is read-only (a data folder
    remounted read-only, a read-only replica): not a bug of ours."""
    text = str(error).lower()
    return isinstance(error, DatabaseError) and (
        "readonly" in text or "read-only" in text or "read only" in text
    )


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None, row: WebSession | None = None):
        def on_update(_self):
            _self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
        self.row = row
        self.modified = False
        self.regenerate_id = False
        self.destroyed = False
        self.expired = False

    def regenerate(self) -> None:
        """New id at sign-in, so a planted or observed id is worth nothing."""
        self.regenerate_id = True
        self.modified = True

    def destroy(self) -> None:
        self.clear()
        self.destroyed = True


def current() -> ServerSession:
    """This request's session, as the session interface below opened it."""
    if not isinstance(session, ServerSession):
        raise RuntimeError("the session is not a ServerSession: is DatabaseSessionInterface set?")
    return session


def user_ref(data: dict) -> tuple[str, int | None]:
    """(kind, id) of the signed-in user stored by flask-login, if any."""
    raw = data.get("_user_id") or ""
    kind, _, ident = raw.partition(":")
    if kind in {"c", "s"} and ident.isdigit():
        return ("ciudadano" if kind == "c" else "personal"), int(ident)
    return "", None


def idle_limit(app, kind: str) -> dt.timedelta:
    if kind == "ciudadano":
        return dt.timedelta(minutes=app.config["CITIZEN_IDLE_MINUTES"])
    if kind == "personal":
        return dt.timedelta(minutes=app.config["STAFF_IDLE_MINUTES"])
    return ANONYMOUS_IDLE


def create_session_row(data: dict) -> str:
    """Store a new session holding ``data``; returns the id for the cookie."""
    sid = secrets.token_urlsafe(32)
    kind, user_id = user_ref(data)
    now = utcnow()
    WebSession.insert(
        id_hash=_hash(sid),
        data=data,
        user_kind=kind,
        user_id=user_id,
        created_at=now,
        last_seen=now,
    ).execute()
    return sid


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete every session past its idle or absolute limit; how many went.

    Opening an expired session deletes it too, but a cookie that never comes
    back would leave its row for ever.
    """
    app = current_app
    now = now or utcnow()
    absolute = dt.timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
    expired = WebSession.created_at < now - absolute
    for kind in ("", "ciudadano", "personal"):
        expired |= (WebSession.user_kind == kind) & (
            WebSession.last_seen < now - idle_limit(app, kind)
        )
    return WebSession.delete().where(expired).execute()


def end_sessions_of(kind: str, user_id: int) -> int:
    """End every session of one user at once (deactivation, password reset)."""
    return (
        WebSession.delete()
        .where((WebSession.user_kind == kind) & (WebSession.user_id == user_id))
        .execute()
    )


def _csrf_key(app) -> str:
    return app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def _csrf_serializer(app) -> URLSafeSerializer:
    return URLSafeSerializer(app.config["SECRET_KEY"], salt="csrf-secret")


def csrf_cookie_name(app) -> str:
    # __Host-: only this host, path / and HTTPS, like the session cookie.
    return f"__Host-{CSRF_COOKIE}" if app.config.get("SESSION_COOKIE_SECURE") else CSRF_COOKIE


def _only_csrf(app, data) -> bool:
    # flask-login's session protection marks any non-empty session "not
    # fresh" (``_fresh``); without a signed-in user that means nothing.
    return _csrf_key(app) in data and set(data) <= {_csrf_key(app), "_fresh"}


class DatabaseSessionInterface(SessionInterface):
    def _skip(self) -> bool:
        # Static files never need a session, so they never touch the database.
        return request.path.startswith("/static/")

    def _cookieless(self, app, request_) -> ServerSession:
        """A session without a row: empty, or holding the signed CSRF secret."""
        signed = request_.cookies.get(csrf_cookie_name(app), "")
        if not signed or len(signed) > 200:
            return ServerSession()
        try:
            secret = _csrf_serializer(app).loads(signed)
        except BadSignature:
            return ServerSession()
        if not isinstance(secret, str):
            return ServerSession()
        session = ServerSession({_csrf_key(app): secret})
        session.modified = False
        return session

    def open_session(self, app, request_):
        sid = request_.cookies.get(self.get_cookie_name(app))
        if self._skip():
            return ServerSession()
        if not sid or len(sid) > 100:
            return self._cookieless(app, request_)
        row = find(WebSession, WebSession.id_hash, _hash(sid))
        if row is None:
            return self._cookieless(app, request_)
        now = utcnow()
        absolute = dt.timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
        if now - row.last_seen > idle_limit(app, row.user_kind) or now - row.created_at > absolute:
            row.delete_instance()
            session = ServerSession()
            session.expired = True
            return session
        return ServerSession(row.data, sid=sid, row=row)

    def save_session(self, app, session, response):
        if self._skip():
            return
        try:
            self._save(app, session, response)
        except DatabaseError as error:
            if not read_only_error(error):
                raise
            # A read-only database: the page that was read is still sent;
            # the session is just not extended (see /healthz).
            app.logger.warning("sesión sin guardar: la base de datos es de solo lectura")

    def _save(self, app, session, response):
        if not session and session.row is None and not session.destroyed:
            return  # nothing kept and nothing to forget: most anonymous requests
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if session.destroyed or (not session and session.row is not None):
            if session.row is not None:
                WebSession.delete().where(WebSession.id_hash == session.row.id_hash).execute()
            response.delete_cookie(name, domain=domain, path=path)
            return
        if not session:
            return
        csrf_cookie = csrf_cookie_name(app)
        if session.row is None and not session.regenerate_id and _only_csrf(app, session):
            # Nothing but the CSRF secret: a signed cookie instead of a row.
            if session.modified:
                response.set_cookie(
                    csrf_cookie,
                    _csrf_serializer(app).dumps(session[_csrf_key(app)]),
                    httponly=True,
                    secure=self.get_cookie_secure(app),
                    samesite="Lax",
                    path="/",
                )
                response.vary.add("Cookie")
            return
        if request.cookies.get(csrf_cookie):
            response.delete_cookie(csrf_cookie, path="/")  # the row holds it from now on
        now = utcnow()
        kind, user_id = user_ref(session)
        if session.regenerate_id or session.row is None:
            if session.row is not None:
                WebSession.delete().where(WebSession.id_hash == session.row.id_hash).execute()
            session.sid = create_session_row(dict(session))
        elif session.modified or now - session.row.last_seen > TOUCH_EVERY:
            WebSession.update(
                data=dict(session), user_kind=kind, user_id=user_id, last_seen=now
            ).where(WebSession.id_hash == session.row.id_hash).execute()
        else:
            return
        response.set_cookie(
            name,
            session.sid,
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app) or "Lax",
            domain=domain,
            path=path,
        )
        response.vary.add("Cookie")
