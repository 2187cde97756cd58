"""Complaints and reports (quejas y denuncias), the channel the operating rules
of social programs require.

Anyone files one, signed in or not, about a program, an office, a staff
member or a delivery, with an optional attachment (checked and disarmed like
every upload, stored encrypted). It gets a folio and a response deadline in
business days (``COMPLAINT_RESPONSE_DAYS``, 10 by default, on the calendar of
portal/rights/holidays.py). A person signed in follows it in their account and
is notified; an anonymous one gets a follow-up code, shown once: only a keyed
digest of it is kept, and the follow-up answers the same whether the folio
exists or not.

The program's agency answers it; a complaint about no program goes to the
state level (state admins). Every change of status goes through
:func:`change_status`, which allows only the moves in :data:`TRANSITIONS`,
records the audit entry, keeps the public counts (:class:`ComplaintTally`)
and writes the notice, in one transaction. A complaint still unanswered when
its deadline passes is sent on ("turnada") to the state's internal control
body (Órgano Interno de Control, Secretaría de la Contraloría) by the daily
queue task, or by hand; the state level answers it from then on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from peewee import fn

from portal.applications import notices
from portal.applications.documents import keyring_from_config
from portal.applications.storage import EncryptedFileStorage
from portal.applications.uploads import CleanFile
from portal.backoffice import audit
from portal.backoffice.audit import SYSTEM, Actor
from portal.complaints.models import COMPLAINT_STATUSES, Complaint, ComplaintTally
from portal.messages import Message, Refusal, _l
from portal.models import Citizen, Program, StaffUser, utcnow
from portal.rights.holidays import add_business_days, business_days_between, local_date
from portal.vocabulary import STATE_ROLES, AuditAction, Role
from portal.web.database import locked, write

COMPLAINT_OBJECT = "queja"
# Who attends, at the state level, a complaint about no program or sent on: the
# state admin (the secretariat and the state counter do not open the complaints desk).
STATE_DESK = (Role.ADMIN_ESTATAL,)
DEFAULT_RESPONSE_DAYS = 10
MIN_DESCRIPTION = 20
MAX_DESCRIPTION = 4000
MAX_RESPONSE = 5000
MAX_PLACE = 200
MAX_CONTACT = 200
# Follow-up codes: 10 characters of an alphabet without look-alikes (0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10

KIND_LABELS: dict[str, Message] = {
    "queja": _l("Queja: algo que le hicieron o le negaron a usted"),
    "denuncia": _l("Denuncia: una irregularidad que usted vio, aunque no le afecte"),
}
KIND_NAMES: dict[str, Message] = {"queja": _l("Queja"), "denuncia": _l("Denuncia")}
SUBJECT_LABELS: dict[str, Message] = {
    "programa": _l("Un programa social"),
    "oficina": _l("Una oficina de atención"),
    "servidor": _l("Una persona servidora pública"),
    "entrega": _l("Una entrega de apoyos"),
}
STATUS_LABELS: dict[str, Message] = {
    "recibida": _l("Recibida"),
    "asignada": _l("En atención"),
    "turnada": _l("Turnada al Órgano Interno de Control"),
    "respondida": _l("Respondida"),
}

# The one status path: no complaint reaches a status by another move.
TRANSITIONS: dict[str, frozenset[str]] = {
    "recibida": frozenset({"asignada", "turnada", "respondida"}),
    "asignada": frozenset({"asignada", "turnada", "respondida"}),
    "turnada": frozenset({"respondida"}),
    "respondida": frozenset(),
}
OPEN_STATUSES = ("recibida", "asignada")
STATUS_ACTIONS: dict[str, AuditAction] = {
    "recibida": AuditAction.COMPLAINT_RECIBIDA,
    "asignada": AuditAction.COMPLAINT_ASIGNADA,
    "turnada": AuditAction.COMPLAINT_TURNADA,
    "respondida": AuditAction.COMPLAINT_RESPONDIDA,
}
assert set(TRANSITIONS) == set(COMPLAINT_STATUSES) == set(STATUS_ACTIONS)


class ComplaintRefused(Refusal):
    """A complaint that cannot be filed, or a move it cannot make; ``field``
    names the form field the message belongs to."""

    def __init__(self, message: Message, field: str = "description") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Filing:
    """What the form gives, before any check."""

    kind: str
    subject: str
    description: str
    program_id: int | None = None
    happened_on: dt.date | None = None
    place: str = ""
    contact: str = ""


@dataclass(frozen=True)
class Filed:
    """A complaint just filed; ``code`` only for an anonymous one, shown once."""

    complaint: Complaint
    code: str


# Filing ------------------------------------------------------------------------------


def folio_of(complaint_id: int, year: int, prefix: str) -> str:
    return f"{prefix}-QJ-{year}-{complaint_id:06d}"


def response_days() -> int:
    return int(current_app.config.get("COMPLAINT_RESPONSE_DAYS", DEFAULT_RESPONSE_DAYS))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(code: str) -> str:
    """The code as typed, without spaces or dashes, in capitals."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def code_digest(folio: str, code: str) -> str:
    """A keyed digest of the code, bound to its folio: the table holds no code,
    and a stolen table gives none (the key is the app's secret)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{folio}\n{normal_code(code)}".encode(), hashlib.sha256).hexdigest()


def _checked(filing: Filing, *, signed_in: bool, today: dt.date) -> Filing:
    if filing.kind not in KIND_LABELS:
        raise ComplaintRefused(_l("Elija si es una queja o una denuncia."), "kind")
    if filing.subject not in SUBJECT_LABELS:
        raise ComplaintRefused(_l("Elija de qué se trata."), "subject")
    if filing.subject == "programa" and filing.program_id is None:
        raise ComplaintRefused(_l("Elija el programa."), "program")
    if (
        filing.program_id is not None
        and not Program.select().where((Program.id == filing.program_id) & Program.active).exists()
    ):
        raise ComplaintRefused(_l("Elija un programa de la lista."), "program")
    text = (filing.description or "").strip()
    if len(text) < MIN_DESCRIPTION:
        raise ComplaintRefused(
            _l(
                "Cuente qué pasó con al menos %(min)d caracteres: qué, quién y cómo.",
                min=MIN_DESCRIPTION,
            )
        )
    if len(text) > MAX_DESCRIPTION:
        raise ComplaintRefused(
            _l("El relato admite hasta %(max)d caracteres.", max=MAX_DESCRIPTION)
        )
    if filing.happened_on is not None and filing.happened_on > today:
        raise ComplaintRefused(_l("La fecha no puede ser posterior a hoy."), "happened_on")
    place = (filing.place or "").strip()
    if len(place) > MAX_PLACE:
        raise ComplaintRefused(_l("El lugar admite hasta 200 caracteres."), "place")
    contact = "" if signed_in else (filing.contact or "").strip()
    if len(contact) > MAX_CONTACT:
        raise ComplaintRefused(_l("El contacto admite hasta 200 caracteres."), "contact")
    return Filing(
        filing.kind,
        filing.subject,
        text,
        filing.program_id,
        filing.happened_on,
        place,
        contact,
    )


def file_complaint(
    filing: Filing,
    *,
    citizen: Citizen | None = None,
    attachment: CleanFile | None = None,
    prefix: str = "QRO",
    request_id: str = "",
) -> Filed:
    """File a complaint: under ``citizen``'s account, or anonymously (then the
    returned code is the only way to follow it). Nothing is written when it is
    refused, the attachment included."""
    now = utcnow()
    received = local_date(now)
    checked = _checked(filing, signed_in=citizen is not None, today=received)
    due = add_business_days(received, response_days())
    agency_id = (
        Program.get_by_id(checked.program_id).agency_id if checked.program_id is not None else None
    )
    code = "" if citizen is not None else new_code()
    key = attachment_storage().put(attachment.data) if attachment is not None else ""
    actor = Actor.citizen(citizen) if citizen is not None else audit.ANONYMOUS
    try:
        with write():
            row = Complaint.create(
                folio=f"pendiente-{secrets.token_hex(8)}",  # the id names it just below
                kind=checked.kind,
                subject=checked.subject,
                program=checked.program_id,
                agency=agency_id,
                citizen=citizen,
                contact=checked.contact,
                description=checked.description,
                happened_on=checked.happened_on,
                place=checked.place,
                attachment_key=key,
                attachment_filename=attachment.filename if attachment is not None else "",
                filed_at=now,
                due_on=due,
            )
            row.folio = folio_of(row.id, received.year, prefix)
            row.code_hash = code_digest(row.folio, code) if code else ""
            row.save(only=[Complaint.folio, Complaint.code_hash])
            _count(row.program_id, "recibida", +1)
            audit.record(
                AuditAction.COMPLAINT_RECIBIDA,
                actor,
                object_type=COMPLAINT_OBJECT,
                object_id=row.id,
                details={
                    "tipo": checked.kind,
                    "sobre": checked.subject,
                    "anonima": citizen is None,
                    "adjunto": bool(key),
                    "vence": due.isoformat(),
                },
                request_id=request_id,
            )
            _notify(row, "queja_recibida")
    except Exception:
        if key:
            attachment_storage().delete(key)
        raise
    notices.wake()
    return Filed(row, code)


# The one status path -------------------------------------------------------------------


def may_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def change_status(
    folio: str,
    target: str,
    actor: Actor,
    *,
    assignee: StaffUser | None = None,
    response: str = "",
    reason: str = "",
    request_id: str = "",
) -> Complaint:
    """Move a complaint to ``target``, if :data:`TRANSITIONS` allows it, with
    its audit entry, counts and notice in the same transaction."""
    with write():
        row = locked(Complaint.select().where(Complaint.folio == folio)).first()
        if row is None:
            raise ComplaintRefused(_l("No existe esa queja."))
        if not may_move(row.status, target):
            raise ComplaintRefused(
                _l("Esta queja ya está «%(status)s».", status=STATUS_LABELS[row.status]),
                "status",
            )
        details: dict[str, object] = {"de": row.status}
        now = utcnow()
        if target == "asignada":
            if assignee is None or not _may_attend(assignee, row):
                raise ComplaintRefused(_l("Elija a una persona de la dependencia."), "assignee")
            row.assigned_to = assignee.id
            details["asignada_a"] = assignee.id
        elif target == "turnada":
            row.escalated_at = now
            details["motivo"] = reason or "manual"
        elif target == "respondida":
            text = (response or "").strip()
            if len(text) < MIN_DESCRIPTION:
                raise ComplaintRefused(
                    _l(
                        "Escriba la respuesta con al menos %(min)d caracteres.", min=MIN_DESCRIPTION
                    ),
                    "response",
                )
            if len(text) > MAX_RESPONSE:
                raise ComplaintRefused(
                    _l("La respuesta admite hasta %(max)d caracteres.", max=MAX_RESPONSE),
                    "response",
                )
            row.response = text
            row.responded_at = now
            row.responded_by = actor.id if actor.is_staff else None
        previous = row.status
        row.status = target
        row.save()
        if previous != target:
            _count(row.program_id, previous, -1)
            _count(row.program_id, target, +1)
        audit.record(
            STATUS_ACTIONS[target],
            actor,
            object_type=COMPLAINT_OBJECT,
            object_id=row.id,
            details=details,
            request_id=request_id,
        )
        if target in ("turnada", "respondida"):
            _notify(row, f"queja_{target}")
    notices.wake()
    return row


def assign(folio: str, staff: Any, assignee: StaffUser, *, request_id: str = "") -> Complaint:
    return change_status(
        folio, "asignada", Actor.staff(staff), assignee=assignee, request_id=request_id
    )


def respond(folio: str, staff: Any, response: str, *, request_id: str = "") -> Complaint:
    return change_status(
        folio, "respondida", Actor.staff(staff), response=response, request_id=request_id
    )


def escalate(folio: str, staff: Any, *, request_id: str = "") -> Complaint:
    return change_status(folio, "turnada", Actor.staff(staff), request_id=request_id)


def escalate_overdue(today: dt.date, batch: int = 200) -> int:
    """Send on every open complaint whose deadline passed unanswered (the daily
    queue task): through the index on (status, due date), a batch at a time."""
    moved = 0
    while True:
        folios = [
            row.folio
            for row in Complaint.select(Complaint.folio)
            .where(Complaint.status.in_(OPEN_STATUSES) & (Complaint.due_on < today))
            .order_by(Complaint.due_on, Complaint.id)
            .limit(batch)
        ]
        if not folios:
            return moved
        for folio in folios:
            try:
                change_status(folio, "turnada", SYSTEM, reason="vencida")
            except ComplaintRefused:
                continue  # answered meanwhile
            moved += 1


def _count(program_id: int | None, status: str, delta: int) -> None:
    key = program_id or 0
    (
        ComplaintTally.insert(program_key=key, status=status, count=delta)
        .on_conflict(
            conflict_target=[ComplaintTally.program_key, ComplaintTally.status],
            update={ComplaintTally.count: ComplaintTally.count + delta},
        )
        .execute()
    )


def _notify(row: Complaint, kind: str) -> None:
    if row.citizen_id is not None:
        notices.about_record(
            Citizen.get_by_id(row.citizen_id),
            kind,
            {"folio": row.folio, "due": row.due_on.isoformat()},
            f"/quejas/mias/{row.folio}",
        )


# Who attends which complaint ----------------------------------------------------------


def is_state_level(staff: Any) -> bool:
    return staff.role in STATE_ROLES


def visible_to(staff: Any) -> Any:
    """The condition on :class:`Complaint` of what ``staff`` may see: their
    agency's; for the state admins, those about no program and those sent on
    to the internal control body."""
    if is_state_level(staff):
        return Complaint.agency.is_null() | (Complaint.status == "turnada")
    return Complaint.agency == staff.agency_id


def may_answer(staff: Any, row: Complaint) -> bool:
    """Who acts on it: the agency until it is sent on, then the state level."""
    if row.status == "respondida":
        return False
    if row.status == "turnada" or row.agency_id is None:
        return is_state_level(staff)
    return not is_state_level(staff) and staff.agency_id == row.agency_id


def _may_attend(person: StaffUser, row: Complaint) -> bool:
    if not person.active:
        return False
    if row.agency_id is None:
        return person.role in STATE_DESK
    return person.agency_id == row.agency_id


def assignees(row: Complaint) -> list[StaffUser]:
    """Whom it may be assigned to: the active staff of its agency (or of the state)."""
    condition = (
        StaffUser.role.in_(list(STATE_DESK))
        if row.agency_id is None
        else StaffUser.agency == row.agency_id
    )
    return list(
        StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.role, StaffUser.agency)
        .where(condition & StaffUser.active)
        .order_by(StaffUser.name)
        .limit(200)
    )


# Following -----------------------------------------------------------------------------

# Compared when the folio does not exist, so both answers cost the same.
_NO_DIGEST = "0" * 64


def follow(folio: str, code: str) -> Complaint | None:
    """The anonymous complaint ``folio`` if ``code`` is its code, else None
    (an unknown folio, a signed-in one's and a wrong code look alike)."""
    folio = (folio or "").strip().upper()
    row = Complaint.get_or_none(Complaint.folio == folio) if len(folio) <= 40 else None
    stored = row.code_hash if row is not None and row.code_hash else _NO_DIGEST
    right = hmac.compare_digest(stored, code_digest(folio, code))
    return row if right and row is not None else None


def of_citizen(citizen_id: int) -> list[Complaint]:
    """The person's complaints, latest first (a handful per person)."""
    return list(
        Complaint.select()
        .where(Complaint.citizen == citizen_id)
        .order_by(Complaint.filed_at.desc(), Complaint.id.desc())
        .limit(100)
    )


def business_days_left(row: Complaint, today: dt.date) -> int:
    return business_days_between(today, row.due_on)


def attachment_storage() -> EncryptedFileStorage:
    """Where attachments are kept: encrypted like documents, in their own folder."""
    storage = current_app.extensions.get("complaint_storage")
    if storage is None:
        storage = EncryptedFileStorage(
            Path(current_app.config["STORAGE_PATH"]) / "quejas",
            keyring_from_config(current_app.config),
        )
        current_app.extensions["complaint_storage"] = storage
    return storage


# Public statistics ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatsRow:
    program: str
    counts: dict[str, int]
    total: int


def statistics(none_label: str) -> list[StatsRow]:
    """Counts by program and status from the tallies (one row per program with
    complaints), before suppression; ``none_label`` names the row of complaints
    about no program."""
    by_program: dict[int, dict[str, int]] = {}
    for tally in ComplaintTally.select().where(ComplaintTally.count > 0):
        by_program.setdefault(tally.program_key, {})[tally.status] = tally.count
    names = _program_names(key for key in by_program if key)
    rows = [
        StatsRow(
            names.get(key, none_label) if key else none_label,
            {status: counts.get(status, 0) for status in COMPLAINT_STATUSES},
            sum(counts.values()),
        )
        for key, counts in by_program.items()
    ]
    return sorted(rows, key=lambda r: (r.program == none_label, r.program))


def _program_names(ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    return {
        p.id: p.name for p in Program.select(Program.id, Program.name).where(Program.id.in_(wanted))
    }


def recount() -> dict[tuple[int, str], int]:
    """The counts as the complaints themselves say (tests and repair compare them)."""
    query = Complaint.select(Complaint.program, Complaint.status, fn.COUNT(Complaint.id)).group_by(
        Complaint.program, Complaint.status
    )
    rows: list[tuple[int | None, str, int]] = list(query.tuples())  # type: ignore[arg-type]
    return {(key or 0, status): count for key, status, count in rows}
