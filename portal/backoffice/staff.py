"""Staff accounts and agencies: every change to them, password checks with lockout.

Each change is one function here that writes its audit entry in its own
transaction, so the web (views/oficina_admin.py) and the shell
(``flask staff ...``) record the same act under the same action name and the
same detail keys; only the actor differs (a state admin, or the system).

Deactivating, and changing a role or agency, end the person's sessions at once
(a session must not outlive the role it was opened under) and release the
cases they can no longer decide, in the same transaction, so nobody else is
locked out of those cases.

Passwords are hashed with scrypt (werkzeug). After ``MAX_FAILURES`` wrong
passwords in a row an account is locked for ``LOCK_MINUTES``; the caller shows
the same message whether the e-mail exists, the password is wrong or the
account is locked, so the form reveals nothing about who works here.
"""

from __future__ import annotations

import datetime as dt

from peewee import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from portal.applications import workflow as applications
from portal.backoffice.audit import SYSTEM, Actor, record
from portal.messages import Text, _l
from portal.models import STAFF_ROLES, Agency, StaffUser, utcnow
from portal.vocabulary import ActorKind, AuditAction, Role
from portal.web.auth import may_open
from portal.web.database import locked, write
from portal.web.sessions import end_sessions_of

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12
# Checked when the e-mail is unknown, so a wrong e-mail costs as much time as
# a wrong password and timing does not reveal which one it was.
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
    """Every role but the state admin's belongs to exactly one existing agency."""
    if role not in STAFF_ROLES:
        raise StaffError(
            _l("El rol debe ser uno de: %(roles)s.", roles=", ".join(STAFF_ROLES)), "role"
        )
    if role == Role.ADMIN_ESTATAL:
        if agency_id is not None:
            raise StaffError(
                _l("Quien administra el estado no pertenece a una dependencia."), "agency"
            )
    elif agency_id is None:
        raise StaffError(
            _l("Indique la dependencia: solo la administración estatal no tiene una."), "agency"
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
                password_hash=hash_password(password),
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
    """Let the person sign in again, with a clean failure count and no lock."""
    with write():
        user = _account(user_id)
        StaffUser.update(active=True, failed_logins=0, locked_until=None).where(
            StaffUser.id == user.id
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
