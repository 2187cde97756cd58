"""Staff accounts: creation, password checks with lockout, deactivation.

Deactivating ends the person's sessions and releases the cases they hold, in
one transaction, so nobody else is locked out of those cases.

Passwords are hashed with scrypt (werkzeug). After ``MAX_FAILURES`` wrong
passwords in a row an account is locked for ``LOCK_MINUTES``; the caller shows
the same message whether the e-mail exists, the password is wrong or the
account is locked, so the form reveals nothing about who works here.
"""

from __future__ import annotations

import datetime as dt

from werkzeug.security import check_password_hash, generate_password_hash

from . import applications
from .audit import SYSTEM, Actor
from .db import locked, write
from .models import STAFF_ROLES, Agency, StaffUser, utcnow
from .sessions import end_sessions_of

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12
# Checked when the e-mail is unknown, so a wrong e-mail costs as much time as
# a wrong password and timing does not reveal which one it was.
_DUMMY_HASH = generate_password_hash("no-es-una-contrasena-real", method="scrypt")


class StaffError(ValueError):
    """A staff account that cannot be created as asked (plain Spanish)."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def create(email: str, name: str, role: str, password: str, agency_slug: str | None) -> StaffUser:
    email = email.strip().lower()
    if "@" not in email:
        raise StaffError("El correo no es válido.")
    if not name.strip():
        raise StaffError("Falta el nombre.")
    if role not in STAFF_ROLES:
        raise StaffError(f"El rol debe ser uno de: {', '.join(STAFF_ROLES)}.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"La contraseña debe tener al menos {MIN_PASSWORD_LENGTH} caracteres.")
    agency = None
    if role == "admin_estatal":
        if agency_slug:
            raise StaffError("Quien administra el estado no pertenece a una dependencia.")
    else:
        if not agency_slug:
            raise StaffError("Indique la dependencia (--agency).")
        agency = Agency.get_or_none(Agency.slug == agency_slug)
        if agency is None:
            raise StaffError(f"No existe la dependencia «{agency_slug}».")
    with write():
        if StaffUser.select().where(StaffUser.email == email).exists():
            raise StaffError("Ya existe una cuenta con ese correo.")
        return StaffUser.create(
            email=email,
            name=name.strip(),
            role=role,
            agency=agency,
            password_hash=hash_password(password),
        )


def authenticate(email: str, password: str, now: dt.datetime | None = None) -> StaffUser | None:
    """The active, unlocked account with this e-mail and password, or None.

    Counts failures and locks the account after the fifth; a success resets
    the count.
    """
    now = now or utcnow()
    email = email.strip().lower()
    with write():
        user = locked(StaffUser.select().where(StaffUser.email == email)).first()
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        if user.locked_until and user.locked_until > now:
            return None
        if not user.active or not check_password_hash(user.password_hash, password):
            failures = user.failed_logins + 1
            lock = now + dt.timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES else None
            StaffUser.update(failed_logins=0 if lock else failures, locked_until=lock).where(
                StaffUser.id == user.id
            ).execute()
            return None
        StaffUser.update(failed_logins=0, locked_until=None, last_login_at=now).where(
            StaffUser.id == user.id
        ).execute()
        return user


def deactivate(email: str) -> tuple[StaffUser, int, list[str]]:
    """Deactivate the account with this e-mail (from the shell); see :func:`deactivate_account`."""
    with write():
        user = locked(StaffUser.select().where(StaffUser.email == email.strip().lower())).first()
        if user is None:
            raise StaffError("No existe una cuenta con ese correo.")
        ended, released = deactivate_account(user.id, SYSTEM)
    return user, ended, released


def deactivate_account(user_id: int, actor: Actor) -> tuple[int, list[str]]:
    """Deactivate, end every session at once and release every held case.

    Returns the number of sessions ended and the folios released (each release
    audited as done by ``actor``).
    """
    with write():
        StaffUser.update(active=False).where(StaffUser.id == user_id).execute()
        ended = end_sessions_of("personal", user_id)
        released = applications.release_held_by(user_id, actor, "baja_personal")
    return ended, released
