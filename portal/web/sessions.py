"""Server-side sessions stored in the database.

The cookie carries only a random id. Sign-out, idle and absolute timeouts and
staff deactivation delete the row, so a replayed cookie finds nothing. The row
is written only when the session changes (or once a minute to keep it alive),
and an anonymous visitor who stores nothing costs no row at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import request, session
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from portal.models import WebSession, utcnow

TOUCH_EVERY = dt.timedelta(seconds=60)
ANONYMOUS_IDLE = dt.timedelta(hours=2)


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


def end_sessions_of(kind: str, user_id: int) -> int:
    """End every session of one user at once (deactivation, password reset)."""
    return (
        WebSession.delete()
        .where((WebSession.user_kind == kind) & (WebSession.user_id == user_id))
        .execute()
    )


class DatabaseSessionInterface(SessionInterface):
    def _skip(self) -> bool:
        # Static files never need a session, so they never touch the database.
        return request.path.startswith("/static/")

    def open_session(self, app, request_):
        sid = request_.cookies.get(self.get_cookie_name(app))
        if not sid or self._skip() or len(sid) > 100:
            return ServerSession()
        row = WebSession.get_or_none(WebSession.id_hash == _hash(sid))
        if row is None:
            return ServerSession()
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
