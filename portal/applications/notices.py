"""Notices: the inbox on the portal, and e-mail and SMS sent from an outbox.

:func:`status_changed` runs inside the transaction that changes an
application, so the inbox notice and its outbox rows exist exactly when the
change does. Sending happens later, in the background queue
(``portal/web/queue.py``): :func:`deliver_due` takes the rows that are due, sends
each one, and on failure keeps it pending with an exponential backoff, so a
request never waits on the mail server and nothing is lost while it is down.

Logs name outbox rows by id only: never an address, a phone or a folio.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from portal.models import Application, Citizen, Notice, Outbox, Program, Requirement, utcnow
from portal.rights.legend import spanish_legend
from portal.vocabulary import ApplicationStatus as S
from portal.web.database import write
from portal.web.extensions import db

log = logging.getLogger("portal.notices")

MAX_ATTEMPTS = 12
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=6)
# A row being sent is leased for this long, so two consumers never send it twice
# and a consumer that dies mid-send leaves it to be retried.
LEASE = dt.timedelta(minutes=5)

# Called after a transaction that wrote outbox rows commits (the queue
# registers its task here, see portal/web/queue.py).
wakers: list[Callable[[], None]] = []

# By the status as the application row holds it (a plain str).
_TEXTS: dict[str, str] = {
    S.ENVIADA: "Recibimos su solicitud a «{program}». La dependencia la revisará.",
    S.EN_REVISION: "Su solicitud a «{program}» está en revisión.",
    S.REQUIERE_CORRECCION: "Su solicitud a «{program}» necesita una corrección. "
    "Entre al portal para ver qué corregir.",
    S.APROBADA: "¡Su solicitud a «{program}» fue aprobada!",
    S.RECHAZADA: "Su solicitud a «{program}» fue rechazada.",
    S.ENTREGADA: "Registramos la entrega de «{program}».",
    S.CANCELADA: "Su solicitud a «{program}» fue cancelada.",
    S.EN_ESPERA: "Los lugares de «{program}» están ocupados: su solicitud quedó en la "
    "lista de espera, en el lugar {position}. Avanzará sola, en orden, cuando se libere "
    "un lugar, y le avisaremos.",
    S.SUSPENDIDA: "Su apoyo de «{program}» está suspendido: no recibimos a tiempo el "
    "documento que el programa pide para seguir recibiéndolo. Súbalo en el portal; cuando "
    "la dependencia lo acepte, el apoyo vuelve a entregarse.",
}
# The proof of a re-certification accepted after a suspension (portal/delivery).
REINSTATED = "Aceptamos su documento: su apoyo de «{program}» vuelve a entregarse."
PROMOTED = (
    "Se liberó un lugar en «{program}»: su solicitud salió de la lista de espera y la "
    "dependencia la revisará."
)


def status_changed(application: Application, reason: str = "") -> Notice:
    """The inbox notice for the application's new status, plus its outbox rows."""
    # Here: the workflow imports this module.
    from portal.applications.workflow import (
        PROMOTED_REASON,
        REINSTATED_REASON,
        STATUS_LABELS,
        waiting_position,
    )

    citizen = Citizen.get_by_id(application.citizen_id)
    program = Program.get_by_id(application.program_id)
    text = _TEXTS.get(application.status, "Su solicitud a «{program}» cambió.")
    if application.status == S.ENVIADA and reason == PROMOTED_REASON:
        text = PROMOTED
    elif application.status == S.APROBADA and reason == REINSTATED_REASON:
        text, reason = REINSTATED, ""
    body = text.format(program=program.name, position=waiting_position(application))
    if reason and application.status in (S.REQUIERE_CORRECCION, S.RECHAZADA, S.CANCELADA):
        body += f" Motivo: {reason}"
    elif reason and application.status in (S.APROBADA, S.ENTREGADA):
        body += f" {reason}."
    return _notify(
        citizen,
        application,
        f"Solicitud {application.folio}: {STATUS_LABELS[application.status]}",
        body,
    )


def document_rejected(application: Application, document) -> Notice:
    """The person learns which document was rejected and why, to replace it."""

    citizen = Citizen.get_by_id(application.citizen_id)
    requirement = Requirement.get_by_id(document.requirement_id)
    body = f"El documento «{requirement.name}» de su solicitud fue rechazado."
    if document.review_reason:
        body += f" Motivo: {document.review_reason}"
    return _notify(
        citizen, application, f"Solicitud {application.folio}: documento rechazado", body
    )


def enrollment_ended(enrollment, reason: str) -> Notice:
    """The person learns that they no longer receive a program, and why."""
    citizen = Citizen.get_by_id(enrollment.citizen_id)
    program = Program.get_by_id(enrollment.program_id)
    application = (
        Application.get_or_none(Application.id == enrollment.application_id)
        if enrollment.application_id
        else None
    )
    body = f"Terminó su inscripción en «{program.name}». Motivo: {reason}"
    return _notify(citizen, application, f"{program.name}: inscripción terminada", body)


def credential_changed(application: Application, body: str) -> Notice:
    """The person learns that their delivery QR was replaced or revoked (portal/delivery)."""
    citizen = Citizen.get_by_id(application.citizen_id)
    return _notify(
        citizen, application, f"Solicitud {application.folio}: credencial de entrega", body
    )


PERIOD_DELIVERED_TITLE = "Solicitud {folio}: apoyo entregado"


def period_delivered(application: Application, body: str) -> Notice:
    """The person learns that one benefit period was delivered (portal/delivery);
    the last period's delivery is a status change and has its own notice."""
    citizen = Citizen.get_by_id(application.citizen_id)
    return _notify(
        citizen, application, PERIOD_DELIVERED_TITLE.format(folio=application.folio), body
    )


def delivery_date_notice(application: Application, body: str) -> Notice:
    """The date or place of a benefit period was set or changed, or is near
    (portal/delivery/calendar.py, from the queue)."""
    citizen = Citizen.get_by_id(application.citizen_id)
    return _notify(
        citizen, application, f"Solicitud {application.folio}: fecha y lugar de entrega", body
    )


def recertification_notice(application: Application, body: str) -> Notice:
    """A re-certification is due soon, or its proof was judged (portal/delivery/
    recertification.py). Sent during an electoral blackout too: it concerns an
    obligation of the person's own benefit, never propaganda."""
    citizen = Citizen.get_by_id(application.citizen_id)
    return _notify(citizen, application, f"Solicitud {application.folio}: re-certificación", body)


def about_record(citizen: Citizen, title: str, body: str, link: str) -> Notice:
    """A notice about a request of the person's own (an ARCO request, portal/rights):
    like every notice about their own procedures, never held back by a blackout."""
    return _notify(citizen, None, title, body, link=link)


def announce(citizen: Citizen, title: str, body: str, link: str, what: str) -> Notice | None:
    """A notice the person did not ask for (a new program or call): during an
    electoral blackout where they live it is not sent, and the audit trail says
    so (portal/rights/blackout.py); ``what`` names it there."""
    from portal.rights import blackout  # here: rights builds on the models this module uses

    if blackout.holds_back_notice(citizen, what):
        return None
    return _notify(citizen, None, title, body, link=link)


def _notify(
    citizen: Citizen,
    application: Application | None,
    title: str,
    body: str,
    *,
    link: str | None = None,
) -> Notice:
    if link is None:
        link = (
            f"/mis-solicitudes/{application.folio}"
            if application is not None
            else "/mis-solicitudes"
        )
    notice = Notice.create(
        citizen=citizen,
        application=application,
        status=application.status if application is not None else "",
        title=title,
        body=body,
        link=link,
    )
    for channel in channels_for(citizen):
        Outbox.create(notice=notice, channel=channel)
    return notice


def channels_for(citizen: Citizen) -> list[str]:
    """Outside channels per the person's choice, if we have where to send."""
    if citizen.notify_channel == "email" and citizen.email:
        return ["email"]
    if citizen.notify_channel == "sms" and citizen.phone:
        return ["sms"]
    return []


def wake() -> None:
    """Ask the queue to send now; does nothing inside a transaction, whose
    rows a worker could not see yet (the caller wakes it after committing)."""
    if db.in_transaction():
        return
    for waker in wakers:
        waker()


@dataclass(frozen=True)
class Message:
    outbox_id: int
    to: str
    subject: str
    body: str


class Sender(Protocol):
    def send(self, message: Message) -> None:
        """Send or raise; any exception means "try again later"."""
        ...


class SmtpSender:
    def __init__(self, config: Mapping) -> None:
        self.host = config["MAIL_HOST"]
        self.port = config["MAIL_PORT"]
        self.username = config["MAIL_USERNAME"]
        self.password = config["MAIL_PASSWORD"]
        self.use_tls = config["MAIL_USE_TLS"]
        self.sender = config["MAIL_FROM"]

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            if self.use_tls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email)


class LoggingSmsSender:
    """Development SMS: logs that a message went out, never the number or text."""

    def send(self, message: Message) -> None:
        log.info("sms enviado (outbox %s)", message.outbox_id)


def senders_from_config(config: Mapping) -> dict[str, Sender]:
    backend = config.get("SMS_BACKEND", "log")
    if backend != "log":
        raise ValueError(f"SMS_BACKEND desconocido: {backend!r} (disponible: log)")
    return {"email": SmtpSender(config), "sms": LoggingSmsSender()}


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: 1, 2, 4 ... minutes, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def _message(row: Outbox, base_url: str) -> Message | None:
    notice = Notice.get_by_id(row.notice_id)
    citizen = Citizen.get_by_id(notice.citizen_id)
    to = citizen.email if row.channel == "email" else citizen.phone
    if not to:
        return None
    body = f"{notice.body}\n\n{base_url}{notice.link}" if notice.link else notice.body
    if row.channel == "email":
        body += f"\n\n{spanish_legend()}\n\nVentanilla Única. No responda a este correo."
    return Message(outbox_id=row.id, to=to, subject=notice.title, body=body)


def deliver_due(
    senders: Mapping[str, Sender],
    *,
    base_url: str = "",
    now: dt.datetime | None = None,
    limit: int = 100,
) -> dict[str, int]:
    """Send the rows that are due; returns how many were sent, retried and given up."""
    now = now or utcnow()
    counts = {"enviado": 0, "reintento": 0, "fallido": 0}
    due = list(
        Outbox.select(Outbox.id, Outbox.next_attempt_at)
        .where((Outbox.status == "pendiente") & (Outbox.next_attempt_at <= now))
        .order_by(Outbox.next_attempt_at)
        .limit(limit)
    )
    for candidate in due:
        with write():
            claimed = (
                Outbox.update(next_attempt_at=now + LEASE)
                .where(
                    (Outbox.id == candidate.id)
                    & (Outbox.status == "pendiente")
                    & (Outbox.next_attempt_at == candidate.next_attempt_at)
                )
                .execute()
            )
        if not claimed:
            continue  # another worker has it
        row = Outbox.get_by_id(candidate.id)
        message = _message(row, base_url)
        try:
            if message is None:
                raise LookupError("sin destinatario")
            senders[row.channel].send(message)
        except Exception as exc:  # noqa: BLE001 - any failure is retried later
            attempts = row.attempts + 1
            gave_up = attempts >= MAX_ATTEMPTS or message is None
            with write():
                Outbox.update(
                    attempts=attempts,
                    status="fallido" if gave_up else "pendiente",
                    next_attempt_at=now + backoff(attempts),
                    last_error=type(exc).__name__,
                ).where(Outbox.id == row.id).execute()
            log.warning(
                "aviso no enviado (outbox %s, intento %s, %s)", row.id, attempts, type(exc).__name__
            )
            counts["fallido" if gave_up else "reintento"] += 1
            continue
        with write():
            Outbox.update(status="enviado", attempts=row.attempts + 1, sent_at=utcnow()).where(
                Outbox.id == row.id
            ).execute()
        counts["enviado"] += 1
    return counts


def mark_read(citizen_id: int, notice_ids: Iterable[int]) -> int:
    """Mark the citizen's notices read (only theirs); returns how many changed."""
    with write():
        return (
            Notice.update(read_at=utcnow())
            .where(
                (Notice.citizen == citizen_id)
                & Notice.id.in_(list(notice_ids))
                & Notice.read_at.is_null()
            )
            .execute()
        )


def unread_count(citizen: Citizen) -> int:
    return Notice.select().where((Notice.citizen == citizen) & (Notice.read_at.is_null())).count()
