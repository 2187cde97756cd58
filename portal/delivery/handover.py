"""Delivery credentials and exactly-once delivery.

An approved application gets a credential (``issue_credential``); its QR code
holds a signed token (``portal/delivery/credentials.py``). At a delivery point the
operator's scan or typed folio is judged by ``check_token`` / ``check_folio``,
which return a :class:`Verdict` with a plain-Spanish reason, and the delivery
is recorded by ``confirm_delivery``.

One credential per enrollment, scanned each benefit period
(``portal/delivery/periods.py``; why not one per period: docs/delivery.md). The
verdict names the period to deliver now: the earliest one started and not yet
delivered. Exactly once per period: the Delivery row's pair ``(application,
period)`` is unique, and the confirmation locks the credential row first, so of
any number of simultaneous confirmations of one period one inserts its row and
every other (on SQLite the write lock serialises them, on PostgreSQL the row
lock) finds it and is shown the winner's when, where and who; the unique index
refuses the insert should a path ever skip the lock. The last period's delivery
also moves the application from ``aprobada`` to ``entregada`` through
``workflow.deliver`` (a conditional update) in the same transaction.

The token is never stored nor audited: the signature is deterministic, so
``token_for`` gives the same token again for the same claims and key, and the
server judges a token by the random credential id inside it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from peewee import IntegrityError

from portal.applications import folio as folios
from portal.applications import notices
from portal.applications import workflow as applications
from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.config import development_secret
from portal.delivery import credentials, periods
from portal.messages import Refusal, _l, spanish
from portal.models import Application, Credential, Delivery, DeliveryPoint, StaffUser, utcnow
from portal.vocabulary import ApplicationStatus as S
from portal.vocabulary import AuditAction
from portal.web.database import locked, write

# A credential is good for a year: long enough for any delivery calendar,
# short enough that a lost printout stops working on its own.
VALID_DAYS = 365
# Called inside confirm_delivery()'s transaction with the new delivery, the period
# it paid and the standing before it (the planning figures move committed to spent).
on_delivered: list[Callable[[Delivery, periods.Period, periods.Standing], None]] = []
KEY_FILE = "credencial-ed25519.key"

ID_TYPES = {
    "ine": "Credencial para votar (INE)",
    "pasaporte": "Pasaporte",
    "cedula": "Cédula profesional",
    "licencia": "Licencia de conducir",
    "otra": "Otra identificación oficial",
}
_LAST4 = re.compile(r"[0-9A-Z]{4}")


class DeliveryError(Refusal, ValueError):
    """An action that cannot be done; ``message`` is plain Spanish."""


# Keys -------------------------------------------------------------------------


def signing_key(configured: str, instance_path: str, production: bool) -> Ed25519PrivateKey:
    """The portal's signing key: ``CREDENTIAL_PRIVATE_KEY`` when set.

    Without it, development and tests generate one and keep it in the
    instance folder (so QR codes survive a restart); production refuses,
    since a key made up on one server would not match the others'.
    """
    if configured.strip():
        return credentials.load_private_key(configured)
    if production:
        raise DeliveryError(
            _l(
                "CREDENTIAL_PRIVATE_KEY falta: en producción el portal no arranca sin la llave "
                "que firma las credenciales de entrega."
            )
        )
    path = Path(instance_path) / KEY_FILE

    def make() -> str:
        private_key, _ = credentials.generate_keypair()
        return credentials.private_key_base64(private_key) + "\n"

    return credentials.load_private_key(development_secret(path, make))


def token_for(
    credential: Credential,
    private_key: Ed25519PrivateKey,
    application: Application | None = None,
) -> str:
    """The signed token of ``credential`` (its ``application`` when the caller
    has it, else read)."""
    if application is None:
        application = credential.application
    claims = credentials.CredentialClaims(
        credential_id=credential.credential_id,
        folio=application.folio,
        program_id=application.program_id,
        issued=credential.issued_on,
        expires=credential.expires_on,
    )
    return credentials.sign(claims, private_key)


# Issuing, reissuing, revoking -------------------------------------------------


def current_credential(application: Application) -> Credential | None:
    return (
        Credential.select()
        .where(
            (Credential.application == application)
            & Credential.revoked_at.is_null()
            & Credential.superseded_at.is_null()
        )
        .first()
    )


def expiry_for(schedule: Sequence[periods.Period], today: dt.date) -> dt.date:
    """A year, or until a month after the program's last period if that is later:
    the one credential serves every period of the enrollment."""
    expires = today + dt.timedelta(days=VALID_DAYS)
    last = schedule[-1].ends if schedule else None
    return max(expires, last + dt.timedelta(days=30)) if last else expires


def _expires_on(application: Application, today: dt.date) -> dt.date:
    return expiry_for(periods.program_periods(application.program), today)


def _new_credential(application: Application, issued_by: StaffUser | None, today: dt.date):
    return Credential.create(
        application=application,
        credential_id=credentials.new_credential_id(),
        issued_on=today,
        expires_on=_expires_on(application, today),
        issued_by=issued_by,
    )


def _staff_actor(staff: StaffUser | None) -> Actor:
    if staff is None:
        return audit.SYSTEM
    return Actor.staff(staff)


def issue_credential(
    application: Application,
    issued_by: StaffUser | None = None,
    today: dt.date | None = None,
    request_id: str = "",
) -> Credential:
    """The application's current credential, issued now if it has none.

    Meant for the ``on_approved`` hook, inside approve's transaction; calling
    it again returns the same credential.
    """
    with write():
        fresh = locked(Application.select().where(Application.id == application.id)).get()
        if fresh.status != S.APROBADA:
            raise DeliveryError(_l("Solo una solicitud aprobada recibe credencial de entrega."))
        existing = current_credential(fresh)
        if existing is not None:
            return existing
        credential = _new_credential(fresh, issued_by, today or dt.date.today())
        audit.record(
            AuditAction.CREDENTIAL_ISSUE,
            _staff_actor(issued_by),
            object_type="solicitud",
            object_id=fresh.folio,
            details={"credencial": credential.credential_id},
            request_id=request_id,
        )
    return credential


# Why staff replace or revoke a credential: what the audit trail records (the
# code) and what the person reads in the notice (the text).
CREDENTIAL_REASONS = {
    "perdida": _l("La persona perdió su teléfono o la credencial impresa"),
    "robada": _l("Le robaron el teléfono o la credencial impresa"),
    "danada": _l("La credencial impresa está dañada o no se lee"),
    "compartida": _l("Otra persona tiene el código"),
}


def _reason_text(reason: str) -> str:
    """The Spanish stored and sent for ``reason`` (a key of CREDENTIAL_REASONS, or a text)."""
    known = CREDENTIAL_REASONS.get(reason)
    return spanish(known) if known is not None else reason.strip()


def reissue(
    application: Application,
    staff: StaffUser | None,
    reason: str,
    today: dt.date | None = None,
    request_id: str = "",
) -> Credential:
    """A new credential (lost phone, damaged printout); the old token stops working.

    ``reason`` is a key of :data:`CREDENTIAL_REASONS` (the back office) or a
    text (the shell). The person gets a notice that the old code no longer works.
    """
    text = _reason_text(reason)
    if not text:
        raise DeliveryError(_l("Escriba el motivo de la reposición."))
    with write():
        fresh = locked(Application.select().where(Application.id == application.id)).get()
        if fresh.status != S.APROBADA:
            raise DeliveryError(
                _l("Solo se repone la credencial de una solicitud aprobada y sin entregar.")
            )
        old = current_credential(fresh)
        now = utcnow()
        if old is not None:
            Credential.update(superseded_at=now, reason=text).where(
                Credential.id == old.id
            ).execute()
        credential = _new_credential(fresh, staff, today or dt.date.today())
        if old is not None:
            Credential.update(superseded_by=credential).where(Credential.id == old.id).execute()
        audit.record(
            AuditAction.CREDENTIAL_REPLACE,
            _staff_actor(staff),
            object_type="solicitud",
            object_id=fresh.folio,
            details={
                "credencial": credential.credential_id,
                "anterior": old.credential_id if old else None,
                **({"motivo": reason} if reason in CREDENTIAL_REASONS else {}),
            },
            request_id=request_id,
        )
        notices.credential_changed(fresh, revoked=False, reason=text)
    notices.wake()
    return credential


def revoke(
    application: Application, staff: StaffUser | None, reason: str, request_id: str = ""
) -> Credential | None:
    """Revoke the current credential with no replacement; None if there was none.

    The person gets a notice: the code no longer works, and the agency can
    give a new one (:func:`reissue`).
    """
    text = _reason_text(reason)
    if not text:
        raise DeliveryError(_l("Escriba el motivo de la revocación."))
    code = reason if reason in CREDENTIAL_REASONS else None
    with write():
        revoked = _revoke(application, _staff_actor(staff), text, request_id, code=code)
        if revoked is not None:
            notices.credential_changed(application, revoked=True, reason=text)
    notices.wake()
    return revoked


def _revoke(
    application: Application,
    actor: Actor,
    reason: str,
    request_id: str = "",
    *,
    code: str | None = None,
) -> Credential | None:
    with write():
        credential = current_credential(application)
        if credential is None:
            return None
        Credential.update(revoked_at=utcnow(), reason=reason).where(
            Credential.id == credential.id
        ).execute()
        audit.record(
            AuditAction.CREDENTIAL_REVOKE,
            actor,
            object_type="solicitud",
            object_id=application.folio,
            details={"credencial": credential.credential_id, **({"motivo": code} if code else {})},
            request_id=request_id,
        )
    return Credential.get_by_id(credential.id)


# Checking ---------------------------------------------------------------------

MESSAGES = {
    "valida": _l(
        "Credencial válida: puede entregar el apoyo después de revisar la identificación."
    ),
    "malformada": _l("El código no es una credencial del portal o está incompleto."),
    "version": _l("Esta credencial es de una versión que el portal no reconoce."),
    "falsa": _l("La firma no es válida: la credencial es falsa o fue alterada. No entregue."),
    "vencida": _l("La credencial venció. La persona debe pedir una nueva en su solicitud."),
    "desconocida": _l("La firma es del portal pero la credencial no está registrada. No entregue."),
    "revocada": _l(
        "La credencial fue revocada (solicitud cancelada o código reportado como perdido). "
        "No entregue."
    ),
    "reemplazada": _l(
        "Esta credencial fue reemplazada por una nueva (reposición). "
        "Pida a la persona el código más reciente."
    ),
    "entregada": _l("Este apoyo ya fue entregado. No entregue otra vez."),
    "periodo_entregado": _l(
        "El apoyo de este periodo ya fue entregado. No entregue otra vez: el siguiente "
        "periodo aún no empieza."
    ),
    "periodo_no_iniciado": _l(
        "El primer periodo de este apoyo aún no empieza: todavía no hay nada que entregar."
    ),
    "sin_periodo": _l("No hay ningún periodo por entregar: el calendario del programa terminó."),
    "inscripcion_terminada": _l(
        "La persona ya no está inscrita en el programa: su inscripción terminó. No entregue."
    ),
    "no_aprobada": _l("La solicitud no está aprobada para entrega."),
    "suspendida": _l(
        "El apoyo está suspendido: la persona no presentó a tiempo su re-certificación. "
        "No entregue. Cuando la dependencia acepte el documento podrá recoger los periodos "
        "pendientes."
    ),
    "otro_programa": _l(
        "La credencial es de un programa de otra dependencia: no puede entregarse en este punto."
    ),
    "folio_desconocido": _l("No hay ninguna solicitud con ese folio."),
    "sin_credencial": _l(
        "La solicitud aprobada aún no tiene credencial de entrega.",
    ),
}

_SIGNATURE_CODES = {
    "malformed": "malformada",
    "unsupported_version": "version",
    "bad_signature": "falsa",
    "expired": "vencida",
}


@dataclass
class Verdict:
    """What a delivery point may do with a scanned or typed credential."""

    code: str
    signature_checked: bool = False
    credential: Credential | None = None
    application: Application | None = None
    delivery: Delivery | None = None
    expires: dt.date | None = field(default=None)
    # The period to deliver now (valida), and the one that follows it.
    period: periods.Period | None = None
    next_period: periods.Period | None = None
    standing: periods.Standing | None = None

    @property
    def ok(self) -> bool:
        return self.code == "valida"

    @property
    def already_delivered(self) -> bool:
        return self.code in ("entregada", "periodo_entregado")

    @property
    def message(self) -> str:
        """In the language of whoever scanned it (see :mod:`portal.messages`)."""
        return str(MESSAGES[self.code])


def check_token(
    token: str,
    public_key: Ed25519PublicKey,
    operator: StaffUser | None = None,
    today: dt.date | None = None,
) -> Verdict:
    """Judge a scanned or pasted token (or the URL holding it).

    The signature comes first, so nothing about a forged code is looked up;
    then the record: registered, in the operator's agency, not delivered,
    not revoked or replaced, application approved.
    """
    token = credentials.token_from_url(token)
    try:
        claims = credentials.verify(token, public_key, today=today)
    except credentials.CredentialError as error:
        expires = error.claims.expires if error.claims else None
        return Verdict(_SIGNATURE_CODES[error.code], signature_checked=True, expires=expires)
    credential = (
        Credential.select(Credential, Application)
        .join(Application)
        .where(Credential.credential_id == claims.credential_id)
        .first()
    )
    if credential is None or (
        credential.application.folio != claims.folio
        or credential.application.program_id != claims.program_id
    ):
        return Verdict("desconocida", signature_checked=True)
    return _judge(credential, operator, signature_checked=True, today=today)


def check_folio(typed: str, operator: StaffUser, state_prefix: str) -> Verdict:
    """Judge a typed folio (no phone, torn printout): the operator's ID check
    is then the only proof, and the record must be in their agency."""
    folio = folios.validate_folio(typed, state_prefix=state_prefix)
    application = Application.get_or_none(Application.folio == folio)
    if application is None or application.program.agency_id != operator.agency_id:
        # Another agency's folio reads as unknown: its existence is not ours to tell.
        return Verdict("folio_desconocido")
    credential = current_credential(application)
    if credential is None:
        delivery = periods.standing(application).last_delivery
        if delivery is not None and application.status == S.ENTREGADA:
            return Verdict("entregada", application=application, delivery=delivery)
        code = {S.APROBADA: "sin_credencial", S.SUSPENDIDA: "suspendida"}.get(
            S(application.status), "no_aprobada"
        )
        return Verdict(code, application=application)
    return _judge(credential, operator, signature_checked=False)


def recheck(credential: Credential, operator: StaffUser) -> Verdict:
    """The record checks again, for the confirmation (the token was checked before)."""
    return _judge(Credential.get_by_id(credential.id), operator, signature_checked=False)


def _judge(
    credential: Credential,
    operator: StaffUser | None,
    signature_checked: bool,
    today: dt.date | None = None,
) -> Verdict:
    application = Application.get_by_id(credential.application_id)
    found: dict[str, Any] = {
        "signature_checked": signature_checked,
        "credential": credential,
        "application": application,
        "expires": credential.expires_on,
    }
    if operator is not None and application.program.agency_id != operator.agency_id:
        return Verdict("otro_programa", signature_checked=signature_checked)
    today = today or dt.date.today()
    standing = periods.standing(application, today)
    found |= {"standing": standing, "next_period": standing.next}
    if application.status == S.ENTREGADA or standing.complete:
        return Verdict("entregada", delivery=standing.last_delivery, **found)
    if credential.revoked_at is not None:
        return Verdict("revocada", **found)
    if credential.superseded_at is not None:
        return Verdict("reemplazada", **found)
    if credential.expires_on is not None and today > credential.expires_on:
        return Verdict("vencida", **found)
    if application.status == S.SUSPENDIDA:
        return Verdict("suspendida", **found)
    if application.status != S.APROBADA:
        return Verdict("no_aprobada", **found)
    if standing.enrollment is not None and not standing.enrollment.active:
        return Verdict("inscripcion_terminada", **found)
    due = standing.due
    if due is None:
        if standing.last_delivery is not None:
            return Verdict("periodo_entregado", delivery=standing.last_delivery, **found)
        if standing.next is None:
            return Verdict("sin_periodo", **found)
        # Before the first period starts the code is good; nothing is due yet.
        return Verdict("periodo_no_iniciado", **found)
    return Verdict("valida", period=due, **found)


# Confirming -------------------------------------------------------------------


@dataclass(frozen=True)
class IdCheck:
    """The ID the operator looked at: its type and the last 4 characters of its number."""

    id_type: str
    last4: str

    @classmethod
    def parse(cls, id_type: str, last4: str) -> IdCheck:
        last4 = re.sub(r"[\s-]", "", last4 or "").upper()
        if id_type not in ID_TYPES:
            raise DeliveryError(_l("Elija el tipo de identificación que revisó."))
        if not _LAST4.fullmatch(last4):
            raise DeliveryError(
                _l(
                    "Escriba los últimos 4 caracteres del número de la identificación (letras o números)."
                )
            )
        return cls(id_type, last4)


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    verdict: Verdict
    delivery: Delivery | None


class _AlreadyDone(Exception):
    pass


def confirm_delivery(
    credential: Credential,
    operator: StaffUser,
    point: DeliveryPoint,
    id_check: IdCheck,
    request_id: str = "",
    *,
    period: int | None = None,
) -> Outcome:
    """Record the delivery of the due period exactly once; every attempt is audited.

    ``period`` is the period the operator was shown (the confirmation form
    carries it): when it is no longer the one due, because someone delivered
    it meanwhile, the confirmation is refused with that delivery.
    """
    actor = _staff_actor(operator)
    verdict = recheck(credential, operator)
    application = verdict.application
    if verdict.ok and period is not None and verdict.period and verdict.period.number != period:
        assert verdict.standing is not None  # every verdict on a record has its standing
        earlier = verdict.standing.delivered.get(period)
        if earlier is None:
            raise DeliveryError(
                _l("El periodo por entregar cambió. Busque otra vez el folio o el código QR.")
            )
        verdict = Verdict(
            "periodo_entregado",
            credential=credential,
            application=application,
            delivery=earlier,
            standing=verdict.standing,
            next_period=verdict.next_period,
        )
    if not verdict.ok or application is None:
        audit_refusal(actor, credential, verdict, request_id)
        return Outcome(False, verdict, verdict.delivery)
    due = verdict.period
    assert due is not None and verdict.standing is not None  # a valid verdict names its period
    if point.program_id != application.program_id:
        raise DeliveryError(_l("Ese punto de entrega no es de este programa."))
    if not point.active:
        raise DeliveryError(_l("Ese punto de entrega ya no está en uso."))
    now = utcnow()
    try:
        with write():
            still_current = locked(
                Credential.select(Credential.id).where(
                    (Credential.id == credential.id)
                    & Credential.revoked_at.is_null()
                    & Credential.superseded_at.is_null()
                )
            ).exists()
            if not still_current:
                raise _AlreadyDone
            # Under the credential's row lock: a racing confirmation that
            # committed first is seen here (and the unique pair backs it up).
            if (
                Delivery.select()
                .where((Delivery.application == application.id) & (Delivery.period == due.number))
                .exists()
            ):
                raise _AlreadyDone
            delivery = Delivery.create(
                application=application,
                period=due.number,
                amount=_amount(verdict.standing),
                credential=credential,
                operator=operator,
                point=point,
                delivered_at=now,
                id_type=id_check.id_type,
                id_last4=id_check.last4,
            )
            for hook in on_delivered:
                hook(delivery, due, verdict.standing)
            if verdict.standing.is_last(due):
                try:
                    # The one path of every status change: the last period
                    # completes the benefit, with a conditional update.
                    applications.deliver(application, actor, f"Entregado en {point.name}")
                except applications.ApplicationError:
                    raise _AlreadyDone from None
            else:
                notices.period_delivered(application, due.number, point.name)
            audit.record(
                AuditAction.DELIVERY_CONFIRM,
                actor,
                object_type="solicitud",
                object_id=application.folio,
                details={
                    "credencial": credential.credential_id,
                    "punto": point.id,
                    "periodo": due.number,
                    "identificacion": id_check.id_type,
                },
                request_id=request_id,
            )
    except (_AlreadyDone, IntegrityError):
        verdict = recheck(credential, operator)
        earlier = verdict.standing.delivered.get(due.number) if verdict.standing else None
        if earlier is not None and not verdict.already_delivered:
            verdict = Verdict(
                "periodo_entregado",
                credential=credential,
                application=application,
                delivery=earlier,
                standing=verdict.standing,
                next_period=verdict.next_period,
            )
        audit_refusal(actor, credential, verdict, request_id)
        return Outcome(False, verdict, verdict.delivery)
    notices.wake()
    done = Verdict(
        "entregada",
        credential=credential,
        application=application,
        delivery=delivery,
        period=due,
        standing=periods.standing(application),
    )
    return Outcome(True, done, delivery)


def _amount(standing: periods.Standing) -> int | None:
    return standing.enrollment.benefit_amount if standing.enrollment else None


def audit_refusal(
    who: Actor | StaffUser, credential: Credential, verdict: Verdict, request_id: str = ""
) -> None:
    """Audit a confirmation that was refused (never the token itself)."""
    actor = who if isinstance(who, Actor) else _staff_actor(who)
    application = verdict.application
    audit.record(
        AuditAction.DELIVERY_REFUSE,
        actor,
        object_type="solicitud",
        object_id=application.folio if application else "",
        outcome="rechazada",
        details={"credencial": credential.credential_id, "motivo": verdict.code},
        request_id=request_id,
    )


def audit_check(verdict: Verdict, operator: StaffUser, how: str, request_id: str = "") -> None:
    """Audit an operator's scan or folio lookup, accepted or not."""
    application = verdict.application
    audit.record(
        AuditAction.DELIVERY_CHECK,
        _staff_actor(operator),
        object_type="solicitud" if application else "",
        object_id=application.folio if application else "",
        outcome="ok" if verdict.ok else "rechazada",
        details={
            "medio": how,
            "motivo": verdict.code,
            "credencial": verdict.credential.credential_id if verdict.credential else None,
        },
        request_id=request_id,
    )


def _revoke_on_cancel(application: Application, actor: Actor, reason: str) -> None:
    _revoke(application, actor, reason or "Solicitud cancelada")


# Approval issues the credential inside approve()'s own transaction: an
# approved application never exists without its QR code; cancelling it
# revokes the code in the same transaction, so a scan then says "revocada".
if issue_credential not in applications.on_approved:
    applications.on_approved.append(issue_credential)
if _revoke_on_cancel not in applications.on_cancelled:
    applications.on_cancelled.append(_revoke_on_cancel)
