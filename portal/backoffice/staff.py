"""Staff accounts and agencies: every change to them, password checks with lockout.

Each change is one function here that writes its audit entry in its own
transaction, so the web (views/oficina_admin.py) and the shell
(``flask staff ...``) record the same act under the same action name and the
same detail keys; only the actor differs (a state admin, or the system).

Deactivating, and changing a role or agency, end the person's sessions at once
(a session must not outlive the role it was opened under) and release the
cases they can no longer decide, in the same transaction, so nobody else is
locked out of those cases.

Passwords are hashed with scrypt (werkzeug). A sign-in reads, verifies the
password outside any transaction (scrypt takes tens of milliseconds of CPU and
must never hold SQLite's write lock), and only then opens a short write for
what must be recorded. Wrong passwords are not punished with a lock a stranger
could trigger: they make the next attempt wait, with waits that double, counted
by account and client together, by client across accounts, and by account for
clients that never signed in to it (see :func:`authenticate`). Every refusal
runs exactly one scrypt verification, against a dummy hash when there is no
usable account, so all refusals take the same time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from peewee import Case, IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from portal.applications import workflow as applications
from portal.backoffice.audit import SYSTEM, Actor, record
from portal.messages import Text, _l
from portal.models import STAFF_ROLES, Agency, SignInThrottle, StaffUser, utcnow
from portal.vocabulary import STATE_ROLES, ActorKind, AuditAction, Role
from portal.web.auth import may_open
from portal.web.database import locked, write
from portal.web.sessions import end_sessions_of

MIN_PASSWORD_LENGTH = 12
# Checked when there is no usable account (unknown e-mail, deactivated, made
# to wait), so every refusal costs one scrypt and timing reveals nothing.
_DUMMY_HASH = generate_password_hash("no-es-una-contrasena-real", method="scrypt")


STAFF = "personal"  # the audit trail's object type for an account
AGENCY = "dependencia"


class StaffError(ValueError):
    """A change to an account or agency that cannot be made as asked (plain Spanish).

    ``field`` names the form field the message belongs to.
    """

    def __init__(self, message: Text, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def _check_role(role: str, agency_id: int | None) -> None:
    """Every role but the state's own (STATE_ROLES) belongs to exactly one existing agency."""
    if role not in STAFF_ROLES:
        raise StaffError(
            _l("El rol debe ser uno de: %(roles)s.", roles=", ".join(STAFF_ROLES)), "role"
        )
    if role in STATE_ROLES:
        if agency_id is not None:
            raise StaffError(
                _l("Quien trabaja para el estado no pertenece a una dependencia."), "agency"
            )
    elif agency_id is None:
        raise StaffError(
            _l("Indique la dependencia: solo quien trabaja para el estado no tiene una."), "agency"
        )
    elif not Agency.select().where(Agency.id == agency_id).exists():
        raise StaffError(_l("No existe esa dependencia."), "agency")


def agency_id_for(slug: str) -> int:
    """The id of the agency with this slug (how the shell names agencies)."""
    agency = Agency.get_or_none(Agency.slug == slug)
    if agency is None:
        raise StaffError(_l("No existe la dependencia «%(slug)s».", slug=slug), "agency")
    return agency.id


def create(
    email: str,
    name: str,
    role: str,
    password: str,
    agency_id: int | None,
    actor: Actor,
    *,
    request_id: str = "",
) -> StaffUser:
    """A new active account; the password is kept only as its scrypt hash."""
    email = email.strip().lower()
    if "@" not in email:
        raise StaffError(_l("El correo no es válido."), "email")
    if not name.strip():
        raise StaffError(_l("Falta el nombre."), "name")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(
            _l(
                "La contraseña debe tener al menos %(length)s caracteres.",
                length=MIN_PASSWORD_LENGTH,
            ),
            "password",
        )
    taken = StaffError(_l("Ya hay una cuenta con ese correo."), "email")
    password_hash = hash_password(password)  # scrypt before, not inside, the write
    try:
        with write():
            _check_role(role, agency_id)
            if StaffUser.select().where(StaffUser.email == email).exists():
                raise taken
            user = StaffUser.create(
                email=email,
                name=name.strip(),
                role=role,
                agency=agency_id,
                password_hash=password_hash,
            )
            record(
                AuditAction.STAFF_CREATE,
                actor,
                object_type=STAFF,
                object_id=user.id,
                details={"rol": role, "dependencia": agency_id},
                request_id=request_id,
            )
    except IntegrityError as exc:  # the same e-mail created at the same moment
        raise taken from exc
    return user


def _account(user_id: int) -> StaffUser:
    user = locked(StaffUser.select().where(StaffUser.id == user_id)).first()
    if user is None:
        raise StaffError(_l("No existe esa cuenta."))
    return user


def change(
    user_id: int, role: str, agency_id: int | None, actor: Actor, *, request_id: str = ""
) -> list[str]:
    """Give the person a new role or agency; returns the folios released.

    Their sessions end (a new role must not ride on a session opened under the
    old one) and they let go of the cases they can no longer decide.
    """
    with write():
        _check_role(role, agency_id)
        user = _account(user_id)
        StaffUser.update(role=role, agency=agency_id).where(StaffUser.id == user.id).execute()
        end_sessions_of(ActorKind.PERSONAL, user.id)
        released = _release_out_of_reach(user.id, role, agency_id, actor)
        record(
            AuditAction.STAFF_CHANGE,
            actor,
            object_type=STAFF,
            object_id=user.id,
            details={
                "rol": role,
                "dependencia": agency_id,
                "solicitudes_liberadas": len(released),
            },
            request_id=request_id,
        )
    return released


def _release_out_of_reach(
    user_id: int, role: str, agency_id: int | None, actor: Actor
) -> list[str]:
    """Release the cases the person can no longer decide with their new role or agency."""
    if not may_open("oficina.take", role):
        return applications.release_held_by(user_id, actor, "cambiar_personal")
    if agency_id is None:
        # The state admin reviews every agency's cases: they keep them all.
        return []
    return applications.release_held_by(user_id, actor, "cambiar_personal", except_agency=agency_id)


@dataclass(frozen=True)
class Throttle:
    """How failures count in one scope: ``free`` of them cost nothing, then
    every further one doubles the wait (2, 4, 8 ... seconds) up to ``cap``."""

    scope: str
    free: int
    cap_seconds: int

    def wait_after(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return min(2 ** (failures - self.free + 1), self.cap_seconds)


# One account from one client: a person who mistypes three times waits 2 s,
# then 4, 8 ... at most 15 minutes; nobody else is slowed by their mistakes.
PAIR = Throttle("par", free=3, cap_seconds=15 * 60)
# One client across every e-mail it types: password spraying.
CLIENT = Throttle("cliente", free=10, cap_seconds=15 * 60)
# One account from clients that never signed in to it: guessing from many
# addresses. Capped at a minute, and never applied to a client the account
# already signed in from, nor to the state admin, so strangers cannot keep
# people out.
ACCOUNT = Throttle("cuenta", free=20, cap_seconds=60)
# A count left alone this long starts again from zero.
FORGET_AFTER = dt.timedelta(hours=1)


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt gave: the account, or how long to wait (0: just refused).

    ``counted`` is false for an attempt made during a wait: refused unchecked
    and recorded nowhere, so a flood writes nothing.
    """

    user: StaffUser | None
    wait_seconds: int = 0
    counted: bool = True


def _digest(*parts: str) -> str:
    """A keyed digest, so the table names no e-mail or address, even to its readers."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()


def _keys(email: str, client: str) -> dict[str, str]:
    return {
        PAIR.scope: _digest(PAIR.scope, email, client),
        CLIENT.scope: _digest(CLIENT.scope, client),
        ACCOUNT.scope: _digest(ACCOUNT.scope, email),
    }


def _seconds_left(row: SignInThrottle | None, now: dt.datetime) -> int:
    if row is None or row.wait_until is None or row.wait_until <= now:
        return 0
    return max(1, int((row.wait_until - now).total_seconds() + 0.999))


def authenticate(
    email: str, password: str, client: str = "", now: dt.datetime | None = None
) -> SignIn:
    """Check a staff sign-in from ``client`` (the caller's address; '' from the shell).

    The account, when it is active, not made to wait and the password is
    right; otherwise no account and the seconds left to wait, if any. An
    attempt made during a wait is refused without counting, even with the
    right password. A success resets the count of this account from this
    client and marks the client as known to the account.
    """
    now = now or utcnow()
    email = email.strip().lower()
    keys = _keys(email, client)
    user = StaffUser.get_or_none(StaffUser.email == email)
    rows = {
        r.scope: r
        for r in SignInThrottle.select().where(SignInThrottle.key.in_(list(keys.values())))
    }
    pair = rows.get(PAIR.scope)
    known = pair is not None and pair.known
    admin = user is not None and user.role == Role.ADMIN_ESTATAL
    # Every failure is counted in all three scopes; the account's own scope
    # applies only to clients it does not know, and never to the state admin.
    applied = [PAIR, CLIENT] if known or admin else [PAIR, CLIENT, ACCOUNT]
    wait = max(_seconds_left(rows.get(throttle.scope), now) for throttle in applied)
    usable = user is not None and user.active and wait == 0
    # Exactly one verification on every path, outside any transaction.
    right = check_password_hash(user.password_hash if usable and user else _DUMMY_HASH, password)
    if wait:
        return SignIn(None, wait, counted=False)
    if usable and right and user is not None:
        with write():
            _forget_failures(keys, email, now)
            StaffUser.update(last_login_at=now).where(StaffUser.id == user.id).execute()
        return SignIn(user)
    with write():
        waits = {t.scope: _count_failure(t, keys, email, now) for t in (PAIR, CLIENT, ACCOUNT)}
    return SignIn(None, max(waits[throttle.scope] for throttle in applied))


def _count_failure(throttle: Throttle, keys: dict[str, str], email: str, now: dt.datetime) -> int:
    """One more failure in ``throttle``'s scope; returns the wait it now imposes."""
    key = keys[throttle.scope]
    stale = now - FORGET_AFTER
    failures = Case(None, [(SignInThrottle.updated_at < stale, 1)], SignInThrottle.failures + 1)
    (
        SignInThrottle.insert(
            key=key,
            scope=throttle.scope,
            account="" if throttle is CLIENT else _digest(ACCOUNT.scope, email),
            failures=1,
            updated_at=now,
        )
        .on_conflict(
            conflict_target=[SignInThrottle.key],
            update={SignInThrottle.failures: failures, SignInThrottle.updated_at: now},
        )
        .execute()
    )
    count = SignInThrottle.select(SignInThrottle.failures).where(SignInThrottle.key == key).scalar()
    wait = throttle.wait_after(count)
    until = now + dt.timedelta(seconds=wait) if wait else None
    SignInThrottle.update(wait_until=until).where(SignInThrottle.key == key).execute()
    return wait


def _forget_failures(keys: dict[str, str], email: str, now: dt.datetime) -> None:
    """A success: this client is known to the account, whose counts start again.

    The client's count across accounts is left to fade by itself: signing in
    to one's own account must not reset a spraying client's count.
    """
    (
        SignInThrottle.insert(
            key=keys[PAIR.scope],
            scope=PAIR.scope,
            account=_digest(ACCOUNT.scope, email),
            known=True,
            updated_at=now,
        )
        .on_conflict(
            conflict_target=[SignInThrottle.key],
            update={
                SignInThrottle.failures: 0,
                SignInThrottle.wait_until: None,
                SignInThrottle.known: True,
                SignInThrottle.updated_at: now,
            },
        )
        .execute()
    )
    SignInThrottle.update(failures=0, wait_until=None, updated_at=now).where(
        SignInThrottle.key == keys[ACCOUNT.scope]
    ).execute()


def deactivate(email: str, actor: Actor = SYSTEM) -> tuple[StaffUser, int, list[str]]:
    """Deactivate the account with this e-mail (the shell's way); see :func:`deactivate_account`."""
    with write():
        user = locked(StaffUser.select().where(StaffUser.email == email.strip().lower())).first()
        if user is None:
            raise StaffError(_l("No existe una cuenta con ese correo."))
        ended, released = deactivate_account(user.id, actor)
    return user, ended, released


def deactivate_account(
    user_id: int, actor: Actor, *, request_id: str = ""
) -> tuple[int, list[str]]:
    """Deactivate, end every session at once and release every held case.

    Returns the number of sessions ended and the folios released (each release
    audited as done by ``actor``). Nobody deactivates their own account: the
    state would be left without the admin who could undo it.
    """
    if actor.is_staff and actor.id == user_id:
        raise StaffError(_l("No puede dar de baja su propia cuenta."))
    with write():
        user = _account(user_id)
        StaffUser.update(active=False).where(StaffUser.id == user.id).execute()
        ended = end_sessions_of(ActorKind.PERSONAL, user.id)
        released = applications.release_held_by(user.id, actor, "baja_personal")
        record(
            AuditAction.STAFF_DEACTIVATE,
            actor,
            object_type=STAFF,
            object_id=user.id,
            details={"sesiones_terminadas": ended, "solicitudes_liberadas": len(released)},
            request_id=request_id,
        )
    return ended, released


def reactivate(user_id: int, actor: Actor, *, request_id: str = "") -> None:
    """Let the person sign in again, with no failure counted against the account."""
    with write():
        user = _account(user_id)
        StaffUser.update(active=True).where(StaffUser.id == user.id).execute()
        SignInThrottle.delete().where(
            SignInThrottle.account == _digest(ACCOUNT.scope, user.email)
        ).execute()
        record(
            AuditAction.STAFF_REACTIVATE,
            actor,
            object_type=STAFF,
            object_id=user.id,
            request_id=request_id,
        )


_SLUG_TAKEN = _l("Otra dependencia ya usa esa clave.")


def create_agency(name: str, slug: str, actor: Actor, *, request_id: str = "") -> Agency:
    try:
        with write():
            agency = Agency.create(name=name.strip(), slug=slug)
            record(
                AuditAction.AGENCY_CREATE,
                actor,
                object_type=AGENCY,
                object_id=agency.id,
                details={"clave": slug},
                request_id=request_id,
            )
    except IntegrityError as exc:
        raise StaffError(_SLUG_TAKEN, "slug") from exc
    return agency


def change_agency(
    agency_id: int, name: str, slug: str, actor: Actor, *, request_id: str = ""
) -> None:
    """Rename an agency or change its slug (the catalog files name it by slug)."""
    try:
        with write():
            Agency.update(name=name.strip(), slug=slug).where(Agency.id == agency_id).execute()
            record(
                AuditAction.AGENCY_CHANGE,
                actor,
                object_type=AGENCY,
                object_id=agency_id,
                details={"clave": slug},
                request_id=request_id,
            )
    except IntegrityError as exc:
        raise StaffError(_SLUG_TAKEN, "slug") from exc
