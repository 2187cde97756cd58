"""Messages between an agency's staff and the secretariat, in threads about one
program, obligation or submission.

Each thread belongs to one agency: its staff and the secretariat read it,
nobody else. Every message is audited (who, which thread, whether it carried a
file; never its text), and so is every read that moves a read receipt, so the
audit trail holds the whole thread's history. Attachments go through the same
upload gate as citizens' documents (portal/applications/uploads.py) and are
stored encrypted in a folder of their own. A new message leaves a notice, with
its e-mail, for the other side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from portal.applications.documents import keyring_from_config
from portal.applications.storage import EncryptedFileStorage
from portal.applications.uploads import CleanFile
from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.messages import Message, Refusal, _l
from portal.models import (
    Agency,
    Program,
    ReportObligation,
    StaffUser,
    Submission,
    Thread,
    ThreadMessage,
    ThreadRead,
    utcnow,
)
from portal.secretariat import calendar, inbox
from portal.vocabulary import AuditAction, Role
from portal.web.database import write

MAX_BODY = 5000
MAX_SUBJECT = 200
LISTED = 100
SECRETARIAT_SIDE, AGENCY_SIDE = "secretaria", "dependencia"
TOPICS: dict[str, Message] = {
    "programa": _l("Programa"),
    "obligacion": _l("Entrega del calendario"),
    "envio": _l("Envío a validación"),
}
# Who of an agency writes to the secretariat.
AGENCY_WRITERS = calendar.AGENCY_REPORTERS


class MessageError(Refusal, ValueError):
    """Refused; ``field`` names the form field at fault."""

    def __init__(self, message: Message, field: str) -> None:
        super().__init__(message)
        self.field = field


def side_of(member: StaffUser) -> str:
    return SECRETARIAT_SIDE if member.role == Role.SECRETARIA else AGENCY_SIDE


def scope_of(member: StaffUser) -> int | None:
    """The agency whose threads ``member`` reads; None: every agency's."""
    return None if member.role == Role.SECRETARIA else member.agency_id


def topic_agency(topic: str, topic_id: int, scope: int | None) -> tuple[int, str] | None:
    """The agency and the name of what a thread is about, if the one asking
    (``scope``) may see it; None otherwise."""
    found: tuple[int, str] | None = None
    if topic == "programa":
        program = Program.get_or_none(Program.id == topic_id)
        found = (program.agency_id, program.name) if program else None
    elif topic == "obligacion":
        obligation = ReportObligation.get_or_none(ReportObligation.id == topic_id)
        found = (obligation.agency_id, obligation.title) if obligation else None
    elif topic == "envio":
        submission = Submission.get_or_none(Submission.id == topic_id)
        found = (submission.agency_id, submission.title) if submission else None
    if found is None or (scope is not None and found[0] != scope):
        return None
    return found


def storage() -> EncryptedFileStorage:
    """Where attachments are kept: encrypted like documents, in their own folder."""
    found = current_app.extensions.get("secretariat_storage")
    if found is None:
        found = EncryptedFileStorage(
            Path(current_app.config["STORAGE_PATH"]) / "secretaria",
            keyring_from_config(current_app.config),
        )
        current_app.extensions["secretariat_storage"] = found
    return found


def _check_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise MessageError(_l("Escriba el mensaje."), "mensaje")
    if len(text) > MAX_BODY:
        raise MessageError(_l("El mensaje admite hasta 5,000 caracteres."), "mensaje")
    return text


def _recipients(thread: Thread, side: str) -> list[StaffUser]:
    if side == SECRETARIAT_SIDE:
        condition = (StaffUser.agency == thread.agency_id) & StaffUser.role.in_(AGENCY_WRITERS)
    else:
        condition = StaffUser.role == Role.SECRETARIA
    return list(StaffUser.select().where(condition & (StaffUser.active == True)))  # noqa: E712


def _write_message(
    thread: Thread, author: StaffUser, body: str, attachment: CleanFile | None, request_id: str
) -> ThreadMessage:
    """In the caller's transaction: the message, the thread's counters, the
    author's own receipt, the audit entry and the other side's notices."""
    key = storage().put(attachment.data) if attachment is not None else ""
    try:
        side = side_of(author)
        message = ThreadMessage.create(
            thread=thread.id,
            author=author.id,
            side=side,
            body=body,
            attachment_key=key,
            attachment_name=attachment.filename if attachment else "",
            attachment_type=attachment.content_type if attachment else "",
            created_at=utcnow(),
        )
        Thread.update(messages=Thread.messages + 1, last_message_at=message.created_at).where(
            Thread.id == thread.id
        ).execute()
        _mark(thread, author, message.id)
        audit.record(
            AuditAction.MESSAGE_SEND,
            Actor.staff(author),
            object_type="conversacion",
            object_id=thread.id,
            details={"mensaje": message.id, "adjunto": bool(key), "lado": side},
            request_id=request_id,
        )
        inbox.notify(
            _recipients(thread, side),
            "mensaje",
            f"Mensaje nuevo: {thread.subject}",
            f"Tiene un mensaje nuevo en la conversación «{thread.subject}».",
            f"/oficina/secretaria/mensajes/{thread.id}",
        )
    except Exception:
        if key:
            storage().delete(key)
        raise
    return message


def start(
    author: StaffUser,
    topic: str,
    topic_id: int,
    subject: str,
    body: str,
    attachment: CleanFile | None = None,
    *,
    request_id: str = "",
) -> Thread:
    """Start a thread about a program, obligation or submission the author may
    see, with its first message."""
    if topic not in TOPICS:
        raise MessageError(_l("Elija de qué trata la conversación."), "asunto")
    about = topic_agency(topic, topic_id, scope_of(author))
    if about is None:
        raise MessageError(_l("Elija de qué trata la conversación."), "asunto")
    subject = (subject or "").strip()
    if not subject:
        raise MessageError(_l("Escriba el asunto."), "asunto")
    if len(subject) > MAX_SUBJECT:
        raise MessageError(_l("El asunto es demasiado largo."), "asunto")
    if audit.holds_personal_data(subject):
        raise MessageError(
            _l("El asunto no debe llevar datos personales (CURP, correo o teléfono)."), "asunto"
        )
    text = _check_body(body)
    with write():
        thread = Thread.create(
            agency=about[0],
            topic=topic,
            topic_id=topic_id,
            subject=subject,
            created_by=author.id,
            created_at=utcnow(),
            last_message_at=utcnow(),
        )
        audit.record(
            AuditAction.THREAD_START,
            Actor.staff(author),
            object_type="conversacion",
            object_id=thread.id,
            details={"tema": topic, "referencia": topic_id, "dependencia": about[0]},
            request_id=request_id,
        )
        _write_message(thread, author, text, attachment, request_id)
    inbox.wake()
    return Thread.get_by_id(thread.id)


def reply(
    thread: Thread,
    author: StaffUser,
    body: str,
    attachment: CleanFile | None = None,
    *,
    request_id: str = "",
) -> ThreadMessage:
    """Add a message to a thread the author may read (the caller loaded it scoped)."""
    text = _check_body(body)
    with write():
        message = _write_message(thread, author, text, attachment, request_id)
    inbox.wake()
    return message


def _mark(thread: Thread, member: StaffUser, last_id: int) -> bool:
    """Move ``member``'s receipt to ``last_id``; False when it was there already."""
    found = ThreadRead.get_or_none(
        (ThreadRead.thread == thread.id) & (ThreadRead.staff == member.id)
    )
    if found is None:
        ThreadRead.create(
            thread=thread.id,
            staff=member.id,
            side=side_of(member),
            last_read=last_id,
            read_at=utcnow(),
        )
        return True
    if found.last_read >= last_id:
        return False
    ThreadRead.update(last_read=last_id, read_at=utcnow()).where(
        ThreadRead.id == found.id
    ).execute()
    return True


def mark_read(thread: Thread, member: StaffUser, *, request_id: str = "") -> None:
    """``member`` has seen the thread up to its last message (audited when it moves)."""
    last = (
        ThreadMessage.select(ThreadMessage.id)
        .where(ThreadMessage.thread == thread.id)
        .order_by(ThreadMessage.id.desc())
        .first()
    )
    if last is None:
        return
    with write():
        if _mark(thread, member, last.id):
            audit.record(
                AuditAction.MESSAGE_READ,
                Actor.staff(member),
                object_type="conversacion",
                object_id=thread.id,
                details={"hasta": last.id},
                request_id=request_id,
            )


@dataclass(frozen=True)
class ShownMessage:
    message: ThreadMessage
    author: str
    read_by_other_side: bool


def messages_of(thread: Thread) -> list[ShownMessage]:
    """The thread's messages, oldest first, each with whether the other side read it."""
    rows = list(
        ThreadMessage.select().where(ThreadMessage.thread == thread.id).order_by(ThreadMessage.id)
    )
    reads = list(ThreadRead.select().where(ThreadRead.thread == thread.id))
    furthest = {SECRETARIAT_SIDE: 0, AGENCY_SIDE: 0}
    for r in reads:
        furthest[r.side] = max(furthest[r.side], r.last_read)
    authors = {
        s.id: s.name
        for s in StaffUser.select(StaffUser.id, StaffUser.name).where(
            StaffUser.id.in_({m.author_id for m in rows if m.author_id})
        )
    }
    shown = []
    for m in rows:
        other = AGENCY_SIDE if m.side == SECRETARIAT_SIDE else SECRETARIAT_SIDE
        shown.append(ShownMessage(m, authors.get(m.author_id or 0, ""), furthest[other] >= m.id))
    return shown


def threads_of(member: StaffUser) -> list[tuple[Thread, bool]]:
    """The threads ``member`` reads, the latest active first, each with whether
    it has messages they have not seen."""
    query = Thread.select()
    scope = scope_of(member)
    if scope is not None:
        query = query.where(Thread.agency == scope)
    rows = list(query.order_by(Thread.last_message_at.desc(), Thread.id.desc()).limit(LISTED))
    if not rows:
        return []
    seen = {
        r.thread_id: r.read_at
        for r in ThreadRead.select().where(
            (ThreadRead.staff == member.id) & ThreadRead.thread.in_([t.id for t in rows])
        )
    }
    return [(t, t.id not in seen or seen[t.id] < t.last_message_at) for t in rows]


def find_for(thread_id: int, member: StaffUser) -> Thread | None:
    query = Thread.select().where(Thread.id == thread_id)
    scope = scope_of(member)
    if scope is not None:
        query = query.where(Thread.agency == scope)
    return query.first()


def attachment_of(thread: Thread, message_id: int) -> ThreadMessage | None:
    return (
        ThreadMessage.select()
        .where(
            (ThreadMessage.id == message_id)
            & (ThreadMessage.thread == thread.id)
            & (ThreadMessage.attachment_key != "")
        )
        .first()
    )


def agency_name(thread: Thread) -> str:
    return Agency.get_by_id(thread.agency_id).name
