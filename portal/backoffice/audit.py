"""Append-only, hash-chained audit trail.

Each entry's hash covers its fields and the previous entry's hash, so editing
or deleting any row breaks the chain from that row on; ``verify()`` finds the
first break. Entries never hold a CURP, document content or token: callers pass
object types and ids, and ``details`` is checked against personal-data patterns.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import Any

from portal.models import Agency, AuditEvent, StaffUser, utcnow
from portal.vocabulary import ActorKind, AuditAction, ViewReason
from portal.web.database import is_sqlite, write
from portal.web.extensions import db
from portal.web.tables import Prepared, PreparedInsert

GENESIS = "0" * 64
# A lock id of our own for pg_advisory_xact_lock: serialises appends to the chain.
_PG_LOCK = 7_204_611

_PERSONAL = re.compile(
    r"[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z\d]\d"  # CURP
    r"|[^@\s]+@[^@\s]+\.[a-z]{2,}"  # e-mail
    r"|\b\d{10}\b",  # phone
    re.IGNORECASE,
)


def _texts(value: object) -> list[str]:
    """The strings of audit details, keys included. Personal data is text (a CURP,
    an e-mail, a phone are stored as strings); numbers are amounts, counts and
    ids, and a budget of 1,500,000,000 pesos is ten digits, not a phone."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, list | tuple | set):
        return [t for item in value for t in _texts(item)]
    return [] if value is None or isinstance(value, int | float) else [str(value)]


def holds_personal_data(text: str) -> bool:
    """Whether ``text`` holds what an entry's details never may (a CURP, an
    e-mail address, a phone number): free text staff type is checked first."""
    return bool(_PERSONAL.search(text))


@dataclass(frozen=True)
class Actor:
    """Who acts: the one way every area names the person behind a change."""

    kind: str  # an ActorKind
    id: int | None = None
    role: str = ""
    agency_id: int | None = None

    @classmethod
    def staff(cls, user: Any) -> Actor:
        """A staff member, with the role and agency the audit trail records."""
        return cls(ActorKind.PERSONAL, user.id, user.role, user.agency_id)

    @classmethod
    def citizen(cls, citizen: Any) -> Actor:
        """A citizen, given their record or its id."""
        return cls(ActorKind.CIUDADANO, getattr(citizen, "id", citizen))

    @property
    def is_staff(self) -> bool:
        return self.kind == ActorKind.PERSONAL


SYSTEM = Actor(ActorKind.SISTEMA)
ANONYMOUS = Actor(ActorKind.ANONIMO)


def _digest(prev_hash: str, fields: dict) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _fields(entry: AuditEvent | dict) -> dict:
    get: Callable[[str], Any] = entry.get if isinstance(entry, dict) else partial(getattr, entry)
    return {
        "created_at": get("created_at").isoformat(timespec="microseconds"),
        "actor_kind": get("actor_kind"),
        "actor_id": get("actor_id"),
        "role": get("role"),
        "agency_id": get("agency_id"),
        "object_type": get("object_type"),
        "object_id": str(get("object_id")),
        "action": get("action"),
        "outcome": get("outcome"),
        "request_id": get("request_id"),
        "details": get("details"),
    }


def record(
    action: str,
    actor: Actor = SYSTEM,
    *,
    object_type: str = "",
    object_id: object = "",
    outcome: str = "ok",
    details: dict | None = None,
    request_id: str = "",
) -> AuditEvent:
    """Append one entry. Runs inside the caller's transaction when there is one
    (without a savepoint of its own: entries recorded together, such as the
    two a case view makes, cost one lock and one commit).

    ``action`` must be an :class:`~portal.vocabulary.AuditAction`, so every act
    has one name wherever it happens (web, CLI, queue).
    """
    action = AuditAction(action)
    details = details or {}
    if any(holds_personal_data(text) for text in _texts(details)):
        raise ValueError("audit details must not hold personal data")
    entry = {
        "created_at": utcnow(),
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "role": actor.role,
        "agency_id": actor.agency_id,
        "object_type": object_type,
        "object_id": str(object_id),
        "action": action,
        "outcome": outcome,
        "request_id": request_id,
        "details": details,
    }
    pending = _together.get()
    if pending is not None:
        event = AuditEvent(**entry)
        pending.append((entry, event))
        return event
    if db.in_transaction():
        return _append(entry)
    with write():
        return _append(entry)


# The entries of an open ``together()`` block, appended when it ends.
_together: ContextVar[list[tuple[dict, AuditEvent]] | None] = ContextVar(
    "audit_together", default=None
)


@contextmanager
def together() -> Iterator[None]:
    """Entries recorded inside the block are appended when it ends, in one
    transaction, after one look at the chain's end (and on PostgreSQL one
    lock): a case view records two or three. Each entry is what ``record``
    would have appended, in the same order; ``record`` returns it without its
    id and hash until the block ends. An error inside appends nothing."""
    if _together.get() is not None:
        yield  # already inside one: its end appends these too
        return
    pending: list[tuple[dict, AuditEvent]] = []
    with write():
        token = _together.set(pending)
        try:
            yield
        finally:
            _together.reset(token)
        prev = _chain_end()
        for entry, event in pending:
            appended = _insert(entry, prev)
            event.id, event.prev_hash, event.hash = appended.id, prev, appended.hash
            prev = appended.hash


_LAST_HASH = Prepared(
    lambda: AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1).tuples()
)


_INSERT = PreparedInsert(AuditEvent)


def _chain_end() -> str:
    """The last entry's hash, with the chain held until the transaction ends
    (SQLite: the write transaction already holds the database)."""
    if not is_sqlite():
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK,))
    return next((h for (h,) in _LAST_HASH()), GENESIS)


def _insert(entry: dict, prev: str) -> AuditEvent:
    row = {**entry, "prev_hash": prev, "hash": _digest(prev, _fields(entry))}
    return AuditEvent(id=_INSERT(**row), **row)


def _append(entry: dict) -> AuditEvent:
    """Chain ``entry`` after the last one, in the caller's transaction."""
    return _insert(entry, _chain_end())


# Who saw a person's record ---------------------------------------------------------

CITIZEN_OBJECT = "ciudadano"
# A person's page lists this many views, the latest first (the index on
# object, action and time serves it without reading the rest of the trail).
VIEWS_SHOWN = 100
# Views by one staff member for one reason this close together are one visit.
FOLD_WITHIN = timedelta(minutes=30)


def record_view(
    staff: Any,
    citizen: Any,
    reason: str,
    application: Any = None,
    *,
    document_id: int | None = None,
    request_id: str = "",
) -> AuditEvent:
    """Staff member ``staff`` saw ``citizen``'s record (counter, review or delivery).

    ``citizen`` is the record or its id; ``application`` the case it was seen
    through, if any. The person reads these entries in /mis-datos.
    """
    details: dict[str, object] = {"motivo": ViewReason(reason).value}
    if application is not None:
        details["folio"] = application.folio
    if document_id is not None:
        details["documento"] = document_id
    return record(
        AuditAction.RECORD_VIEW,
        Actor.staff(staff),
        object_type=CITIZEN_OBJECT,
        object_id=getattr(citizen, "id", citizen),
        details=details,
        request_id=request_id,
    )


def record_views(staff: Any, citizen_ids: list[int], reason: str, request_id: str = "") -> None:
    """Staff member ``staff`` saw the records of ``citizen_ids`` on one page
    (probable duplicates side by side): one entry each, in one transaction."""
    with write():
        for citizen_id in citizen_ids:
            record_view(staff, citizen_id, reason, request_id=request_id)


@dataclass(frozen=True)
class RecordView:
    """One visit to a person's record: consecutive views by one person for one reason."""

    at: Any  # the latest view's time (UTC)
    since: Any  # the first view's time of the visit (UTC)
    staff_name: str
    role: str
    agency: str
    reason: str
    folio: str
    times: int
    document: bool = False  # a document of the application was opened


def views_of(citizen_id: int, limit: int = VIEWS_SHOWN) -> list[RecordView]:
    """The latest ``limit`` views of a record, consecutive repeats folded into one line."""
    rows = (
        AuditEvent.select(
            AuditEvent.created_at,
            AuditEvent.actor_id,
            AuditEvent.role,
            AuditEvent.agency_id,
            AuditEvent.details,
        )
        .where(
            (AuditEvent.object_type == CITIZEN_OBJECT)
            & (AuditEvent.object_id == str(citizen_id))
            & (AuditEvent.action == AuditAction.RECORD_VIEW)
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    entries = list(rows)
    staff_ids = {e.actor_id for e in entries if e.actor_id is not None}
    agency_ids = {e.agency_id for e in entries if e.agency_id is not None}
    names: dict[int | None, str] = (
        {
            s.id: s.name
            for s in StaffUser.select(StaffUser.id, StaffUser.name).where(
                StaffUser.id.in_(staff_ids)
            )
        }
        if staff_ids
        else {}
    )
    agencies: dict[int | None, str] = (
        {
            a.id: a.name
            for a in Agency.select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))
        }
        if agency_ids
        else {}
    )
    views: list[RecordView] = []
    for entry in entries:
        details = entry.details or {}
        view = RecordView(
            at=entry.created_at,
            since=entry.created_at,
            staff_name=names.get(entry.actor_id, ""),
            role=entry.role,
            agency=agencies.get(entry.agency_id, ""),
            reason=str(details.get("motivo", "")),
            folio=str(details.get("folio", "")),
            times=1,
            document="documento" in details,
        )
        last = views[-1] if views else None
        if (
            last is not None
            and (last.staff_name, last.role, last.agency, last.reason, last.folio, last.document)
            == (view.staff_name, view.role, view.agency, view.reason, view.folio, view.document)
            and last.since - view.at < FOLD_WITHIN
        ):
            views[-1] = replace(last, since=view.at, times=last.times + 1)
        else:
            views.append(view)
    return views


@dataclass(frozen=True)
class Break:
    entry_id: int
    problem: str


def verify(batch: int = 5000) -> Break | None:
    """The first altered or missing entry, or None when the chain is whole.

    Ids are not expected to be contiguous (PostgreSQL sequences skip values on
    rollback); a deleted entry shows as the next one's broken link instead.
    """
    prev = GENESIS
    last_id = 0
    while True:
        rows = list(
            AuditEvent.select().where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        )
        if not rows:
            return None
        for row in rows:
            if row.prev_hash != prev:
                return Break(row.id, "la cadena no continúa: falta o cambió un registro anterior")
            if _digest(prev, _fields(row)) != row.hash:
                return Break(row.id, "el contenido del registro fue alterado")
            prev = row.hash
            last_id = row.id
