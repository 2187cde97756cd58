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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

from portal.applications import notice_texts
from portal.citizens.phones import sms_address
from portal.messages import _l
from portal.models import Application, Citizen, Notice, Outbox, Program, Requirement, utcnow
from portal.rights.legend import FEDERAL, configured_legend
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


def status_changed(application: Application, reason: str = "") -> Notice:
    """The inbox notice for the application's new status, plus its outbox rows."""
    # Here: the workflow imports this module.
    from portal.applications.workflow import PROMOTED_REASON, REINSTATED_REASON, waiting_position

    program = Program.get_by_id(application.program_id)
    facts: dict[str, object] = {
        "status": application.status,
        "program": program.id,
        "folio": application.folio,
        "reason": reason,
    }
    if application.status == S.EN_ESPERA:
        facts["position"] = waiting_position(application)
    if application.status == S.ENVIADA and reason == PROMOTED_REASON:
        facts["promoted"] = True
    if application.status == S.APROBADA and reason == REINSTATED_REASON:
        # A suspension lifted by an accepted re-certification (portal/delivery).
        facts["reinstated"], facts["reason"] = True, ""
    return _notify(recipient(application), application, "estado", facts, program)


def recipient(application: Application) -> int:
    """Who hears about an application: the parent or guardian who applied for a
    child (portal/applications/guardian.py), otherwise the person themselves."""
    return application.guardian_id or application.citizen_id


def document_rejected(application: Application, document) -> Notice:
    """The person learns which document was rejected and why, to replace it."""
    requirement = Requirement.get_by_id(document.requirement_id)
    facts = {
        "program": application.program_id,
        "folio": application.folio,
        "document": requirement.slug,
        "document_name": requirement.name,
        "reason": document.review_reason or "",
    }
    return _notify(recipient(application), application, "documento_rechazado", facts)


def enrollment_ended(enrollment, reason: str) -> Notice:
    """The person learns that they no longer receive a program, and why."""
    program = Program.get_by_id(enrollment.program_id)
    application = (
        Application.get_or_none(Application.id == enrollment.application_id)
        if enrollment.application_id
        else None
    )
    facts = {"program": program.id, "reason": reason}
    to = recipient(application) if application is not None else enrollment.citizen_id
    return _notify(to, application, "inscripcion_terminada", facts, program)


def credential_changed(application: Application, *, revoked: bool, reason: str) -> Notice:
    """The person learns that their delivery QR was replaced or revoked (portal/delivery)."""
    kind = "credencial_revocada" if revoked else "credencial_nueva"
    facts = {"program": application.program_id, "folio": application.folio, "reason": reason}
    return _notify(recipient(application), application, kind, facts)


def period_delivered(application: Application, period: int, point_name: str) -> Notice:
    """The person learns that one benefit period was delivered (portal/delivery);
    the last period's delivery is a status change and has its own notice."""
    facts = {
        "program": application.program_id,
        "folio": application.folio,
        "period": period,
        "point": point_name,
    }
    return _notify(recipient(application), application, "periodo_entregado", facts)


def delivery_date_notice(application: Application, moment: str, when: Mapping) -> Notice:
    """The date or place of a benefit period was set (``moment`` "nueva"), changed
    ("cambio") or is near ("recordatorio"): portal/delivery/calendar.py, from the
    queue. ``when`` holds the period, the day (ISO), the hours, the point and its
    address."""
    facts = {"program": application.program_id, "folio": application.folio, "moment": moment}
    return _notify(recipient(application), application, "fecha_entrega", {**facts, **when})


def recertification_notice(application: Application, moment: str, **facts: object) -> Notice:
    """A re-certification's reminder (``moment`` "recordatorio": the document and
    the due and last days), its proof accepted ("aceptada": the next due day, if
    any) or sent back ("correccion": the due day and the reason); dates in ISO
    (portal/delivery/recertification.py). Sent during an electoral blackout
    too: it concerns an obligation of the person's own benefit."""
    shown = {"program": application.program_id, "folio": application.folio, "moment": moment}
    return _notify(recipient(application), application, "recertificacion", {**shown, **facts})


def appointment_notice(booking, moment: str, when: Mapping) -> Notice:
    """An appointment (portal/appointments) is tomorrow (``moment`` "recordatorio"):
    ``when`` holds the day (ISO), the times, the place and its address. Its link
    is the booking's page, where the person changes or cancels it."""
    facts: dict[str, object] = {"moment": moment, "booking": booking.id, **when}
    application = None
    to = booking.citizen_id
    if booking.application_id:
        application = Application.get_by_id(booking.application_id)
        facts.update(program=application.program_id, folio=application.folio)
        to = recipient(application)  # a child's delivery: the guardian hears of it
    return _notify(to, application, "cita", facts, link=f"/citas/{booking.id}")


def about_record(citizen: Citizen, kind: str, facts: Mapping, link: str) -> Notice:
    """A notice about a request of the person's own (an ARCO request, portal/rights):
    like every notice about their own procedures, never held back by a blackout."""
    return _notify(citizen.id, None, kind, facts, link=link)


def announce(citizen: Citizen, title: str, body: str, link: str, what: str) -> Notice | None:
    """A notice the person did not ask for (a new program or call): during an
    electoral blackout where they live it is not sent, and the audit trail says
    so (portal/rights/blackout.py); ``what`` names it there. Its text is given
    in Spanish and shown as given."""
    from portal.rights import blackout  # here: rights builds on the models this module uses

    if blackout.holds_back_notice(citizen, what):
        return None
    return _write(citizen, None, "", {}, title, body, link)


def announce_to_many(
    citizens: Sequence[Citizen], kind: str, facts: Mapping, program: Program, link: str, what: str
) -> list[int]:
    """:func:`announce` for many people at once (the screening of a call,
    portal/outreach), as a notice of ``kind`` (portal/applications/notice_texts.py)
    about ``program``, read in each person's language: the same blackout rule,
    read once per municipality; one insert of the notices and one of their
    outbox rows. The ids of the people notified."""
    from portal.rights import blackout  # here: rights builds on the models this module uses

    title, body = notice_texts.spanish_texts(kind, facts, program.name)
    held: dict[str | None, bool] = {}
    shown: dict[int, Citizen] = {}
    for citizen in citizens:
        where = citizen.municipality_id
        if where not in held:
            held[where] = blackout.in_force(None, where) is not None
        if held[where]:
            blackout.holds_back_notice(citizen, what)  # recorded in the audit trail
        else:
            shown[citizen.id] = citizen
    if not shown:
        return []
    now = utcnow()
    created = list(
        Notice.insert_many(
            [
                {
                    "citizen": c,
                    "kind": kind,
                    "facts": dict(facts),
                    "title": title,
                    "body": body,
                    "link": link,
                    "created_at": now,
                }
                for c in shown
            ]
        )
        .returning(Notice.id, Notice.citizen)
        .tuples()
        .execute()
    )
    rows = [
        {"notice": notice_id, "channel": channel}
        for notice_id, citizen_id in created
        for channel in channels_for(shown[citizen_id])
    ]
    if rows:
        Outbox.insert_many(rows).execute()
    return [citizen_id for _notice_id, citizen_id in created]


def _notify(
    citizen_id: int,
    application: Application | None,
    kind: str,
    facts: Mapping,
    program: Program | None = None,
    *,
    link: str | None = None,
) -> Notice:
    """Write a notice of ``kind`` (portal/applications/notice_texts.py) with its facts
    and its Spanish text; ``program`` is the row ``facts["program"]`` names, when
    the caller has it at hand."""
    if program is None and facts.get("program"):
        program = Program.get_by_id(facts["program"])
    title, body = notice_texts.spanish_texts(kind, facts, program.name if program else "")
    if link is None:
        link = (
            f"/mis-solicitudes/{application.folio}"
            if application is not None
            else "/mis-solicitudes"
        )
    return _write(Citizen.get_by_id(citizen_id), application, kind, dict(facts), title, body, link)


def _write(
    citizen: Citizen,
    application: Application | None,
    kind: str,
    facts: dict,
    title: str,
    body: str,
    link: str,
) -> Notice:
    notice = Notice.create(
        citizen=citizen,
        application=application,
        status=application.status if application is not None else "",
        kind=kind,
        facts=facts,
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
    if citizen.notify_channel == "sms" and sms_address(citizen.phone):
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
    # The portal address the message points to. An e-mail carries it in its
    # body; an SMS sender places it (portal/sms/encoding.py keeps it whole).
    link: str = ""


class Sender(Protocol):
    def send(self, message: Message) -> None:
        """Send or raise; any exception but :class:`Undeliverable` means "try again later"."""
        ...


class Undeliverable(Exception):
    """Raised by a sender when trying again cannot help (the gateway refused the
    address itself): the row is given up at once."""


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
    """The senders per channel; ``SMS_BACKEND`` is ``log`` (development) or
    ``smpp`` (a carrier's or aggregator's SMSC, docs/sms.md)."""
    backend = config.get("SMS_BACKEND", "log")
    sms: Sender
    if backend == "log":
        sms = LoggingSmsSender()
    elif backend == "smpp":
        from portal.sms.smpp import SmppSender  # here: portal/sms builds on this module

        sms = SmppSender(config)
    else:
        raise ValueError(f"SMS_BACKEND desconocido: {backend!r} (disponible: log, smpp)")
    return {"email": SmtpSender(config), "sms": sms}


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: 1, 2, 4 ... minutes, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


EMAIL_FOOTER = _l("Ventanilla Única. No responda a este correo.")


def _message(row: Outbox, base_url: str) -> Message | None:
    """The e-mail or SMS of an outbox row, in the language the person last chose."""
    notice = Notice.get_by_id(row.notice_id)
    citizen = Citizen.get_by_id(notice.citizen_id)
    to = citizen.email if row.channel == "email" else sms_address(citizen.phone)
    if row.channel == "sms" and citizen.notify_channel != "sms":
        to = None  # they sent BAJA or chose another channel since (portal/sms/inbound.py)
    if not to:
        return None
    shown = notice_texts.plain(notice, citizen.language)
    link = f"{base_url}{notice.link}" if notice.link else ""
    if row.channel == "sms":
        return Message(outbox_id=row.id, to=to, subject=shown.title, body=shown.body, link=link)
    body = f"{shown.body}\n\n{link}" if link else shown.body
    if row.channel == "email":
        reader = notice_texts.Reader(citizen.language, {}, html=False)
        # A state's own wording of the legend is legal text only the state may translate.
        legend = configured_legend() or reader.say(FEDERAL)
        body += f"\n\n{legend}\n\n{reader.say(EMAIL_FOOTER)}"
    return Message(outbox_id=row.id, to=to, subject=shown.title, body=body, link=link)


def deliver_due(
    senders: Mapping[str, Sender],
    *,
    base_url: str = "",
    now: dt.datetime | None = None,
    limit: int = 100,
) -> dict[str, int]:
    """Send the rows that are due; returns how many were sent, retried and given up.
    A sender with a ``close()`` (one connection for the whole run, like SMPP's)
    is closed at the end."""
    try:
        return _deliver_due(senders, base_url, now or utcnow(), limit)
    finally:
        for sender in senders.values():
            close = getattr(sender, "close", None)
            if close is not None:
                close()


def _deliver_due(
    senders: Mapping[str, Sender], base_url: str, now: dt.datetime, limit: int
) -> dict[str, int]:
    return send_due(
        Outbox,
        lambda row: _message(row, base_url),
        lambda row, message: senders[row.channel].send(message),
        now=now,
        limit=limit,
    )


def send_due(
    table: Any,
    message_of: Callable[[Any], Message | None],
    send: Callable[[Any, Message], None],
    *,
    now: dt.datetime,
    limit: int = 100,
    what: str = "aviso",
) -> dict[str, int]:
    """Send the due rows of an outbox ``table`` (this module's, or the staff's in
    portal/secretariat/inbox.py): each leased for LEASE so two consumers never
    send it twice, retried with :func:`backoff` until MAX_ATTEMPTS, given up at
    once when it has no address (``message_of`` gives None) or the sender says
    :class:`Undeliverable`. Logs name the row by id only."""
    counts = {"enviado": 0, "reintento": 0, "fallido": 0}
    due = list(
        table.select(table.id, table.next_attempt_at)
        .where((table.status == "pendiente") & (table.next_attempt_at <= now))
        .order_by(table.next_attempt_at)
        .limit(limit)
    )
    for candidate in due:
        with write():
            claimed = (
                table.update(next_attempt_at=now + LEASE)
                .where(
                    (table.id == candidate.id)
                    & (table.status == "pendiente")
                    & (table.next_attempt_at == candidate.next_attempt_at)
                )
                .execute()
            )
        if not claimed:
            continue  # another worker has it
        row = table.get_by_id(candidate.id)
        message = message_of(row)
        try:
            if message is None:
                raise LookupError("sin destinatario")
            send(row, message)
        except Exception as exc:  # noqa: BLE001 - any failure is retried later
            attempts = row.attempts + 1
            gave_up = attempts >= MAX_ATTEMPTS or message is None or isinstance(exc, Undeliverable)
            with write():
                table.update(
                    attempts=attempts,
                    status="fallido" if gave_up else "pendiente",
                    next_attempt_at=now + backoff(attempts),
                    last_error=type(exc).__name__,
                ).where(table.id == row.id).execute()
            log.warning(
                "%s no enviado (outbox %s, intento %s, %s)",
                what,
                row.id,
                attempts,
                type(exc).__name__,
            )
            counts["fallido" if gave_up else "reintento"] += 1
            continue
        with write():
            table.update(status="enviado", attempts=row.attempts + 1, sent_at=utcnow()).where(
                table.id == row.id
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
