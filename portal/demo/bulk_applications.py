"""``demo-data --applications N``: a million applications in bulk, valid under the rules.

The demo's own cases go through the domain one by one
(:func:`portal.demo.data.carry_out`, some 30 ms each); that cannot fill a
reviewer's queue of 1,000,000. This module writes, in bulk, the rows the domain
would have written for the same steps, after deciding each case exactly as
``carry_out`` would:

* the applicants are registry people with no answers yet (bulk-loaded by
  ``demo-data --citizens M``); each answers the questionnaire
  (:func:`portal.demo.synthetic.draw_profile`, drawn from a generator seeded by
  the seed and the person's CURP), and their stored ``profile`` becomes those
  answers, as the questionnaire saves them;
* they apply to every program whose open call the compiled engine says they
  may receive (``CompiledCatalog.evaluate``: ELIGIBLE on that day), never to two
  of one exclusion group, once per call;
* each case reaches a step drawn from :data:`portal.demo.data.STEP_WEIGHTS`,
  walked as ``carry_out`` walks it (submission, review, a round of correction
  for :data:`~portal.demo.data.CORRECTED_SHARE` of them, rejection with a
  rejected document, cancellation by the person, approval with every document
  accepted, an enrollment and a credential, delivery at the nearest point);
  a case whose step would hold a place of a call with none left is decided
  instead (rejected or cancelled, which give the place back), so the
  quota is never exceeded and ``Call.places_taken`` stays the count of
  live applications;
* what each step writes: the application (folio of
  :mod:`portal.applications.folio`, the answers snapshot, municipality,
  ``submitted_at`` within the call's open days, the version bumped once per
  move), its :class:`ApplicationEvent` timeline, a :class:`Document` per
  required requirement (and the second version after a correction) with its own
  blob, encrypted by the storage's own code under its own key, the person's
  notices (and outbox rows, already sent, for people who chose e-mail or SMS),
  the enrollment, the credential and the delivery.

Not written per case: the audit trail. The domain records ~10 entries per case
(uploads, each move, each document verdict, the enrollment, the credential, the
delivery), each naming the reviewer or operator who acted. None of those acts
happened: a bulk load is one act of the system, so each chunk appends one
entry to the hash chain (``demo.carga``: how many applications and the range
of their ids), through :func:`portal.backoffice.audit.record`, so ``audit
verify`` still passes. Assisted cases (filed at the counter) are left to the
pool's domain-made ones: here every person files online.

Fast: one transaction per chunk of :data:`CHUNK` people, ``executemany`` of
prepared INSERTs on SQLite (``synchronous=OFF`` while it loads, as the registry
load), COPY on PostgreSQL; ids are taken after the table's highest at the
start of the chunk's transaction (the tables locked against other writers on
PostgreSQL, and the sequences moved past them at the end), the calls'
counters updated once per chunk. The blobs are written before their rows
commit, without a per-file fsync (the chunk is what is durable: a crash loses
at most the chunk being written, whose blobs have no rows and are removed by
``storage sweep``).

Idempotent and resumable: ``N`` is the number of bulk applications wanted in
the database. A run counts the ones there, walks the registry from after the
last bulk applicant (in id order, keyset) and stops at ``N``; people with an
application, an enrollment or answers already are never taken. A second run adds
nothing; an interrupted one goes on where the last committed chunk ended.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import multiprocessing
import os
import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any

from peewee import Model, fn

from portal.applications.documents import get_storage
from portal.applications.folio import new_folio
from portal.applications.models import (
    Application,
    ApplicationEvent,
    Document,
    Enrollment,
    Notice,
    Outbox,
)
from portal.applications.notice_texts import spanish_texts
from portal.applications.storage import EncryptedFileStorage, KeyRing, _encrypt
from portal.applications.workflow import PLACE_STATUSES
from portal.backoffice import audit
from portal.catalog.models import Call, DeliveryPoint, Program, Requirement
from portal.catalog.store import engine_catalog
from portal.citizens.models import ADDRESS_FIELDS, Citizen
from portal.delivery import periods
from portal.delivery.handover import expiry_for
from portal.delivery.models import Credential, Delivery
from portal.demo import data as demo
from portal.demo.synthetic import ADULT_AGE, draw_profile
from portal.eligibility.engine import CompiledCatalog, Status
from portal.eligibility.profile import age_on, parse_profile
from portal.transparency import changes as open_data
from portal.vocabulary import (
    ActorKind,
    ApplicationStatus,
    AuditAction,
    DocumentStatus,
    EnrollmentSource,
)
from portal.web.database import is_sqlite, write
from portal.web.extensions import db
from portal.web.tables import tuples, utcnow

S = ApplicationStatus
CITIZEN = ActorKind.CIUDADANO
STAFF = ActorKind.PERSONAL
# People read per chunk; their applications are one transaction.
CHUNK = 10_000
KEY_PREFIX = "bulk-"
# Processes writing blob files while the rows go in (the writes wait on the disk).
BLOB_PROCESSES = 3
# SQLite's page cache while loading, in KiB (the app's own is 32 MB).
LOAD_CACHE_KIB = 512_000
# A case whose step would hold a place of a full call is decided instead.
DECIDED_WEIGHTS = {S.RECHAZADA: demo.STEP_WEIGHTS[S.RECHAZADA], S.CANCELADA: 5}
# The record's address columns, as submission snapshots them.
ADDRESS_COLUMNS = ADDRESS_FIELDS


# What the run needs to know of the catalog, read once -------------------------


@dataclass(frozen=True)
class Need:
    """A requirement of an offer, and the demo file a person uploads for it."""

    id: int
    slug: str
    name: str
    optional: bool
    filename: str
    content_type: str
    data: bytes
    sha256: str


@dataclass
class Offer:
    """A program with a call open on the day, and what its cases need."""

    program_id: int
    slug: str
    name: str
    exclusion_key: str
    version: int
    benefit_amount: int | None
    call_id: int
    opens: dt.date
    closes: dt.date
    places_left: int | None  # None: no quota
    needs: tuple[Need, ...]
    reviewer: int
    operator: int
    points: tuple[tuple[int, str, str], ...]  # id, municipality, name; in order of preference
    periods: tuple[periods.Period, ...] = ()  # the benefit's schedule; () for a single delivery

    def point_for(self, municipality: str) -> tuple[int, str]:
        near = [p for p in self.points if p[1] == municipality]
        point_id, _, name = (near or list(self.points))[0]
        return point_id, name


def offers(on: dt.date) -> dict[str, Offer]:
    """Every active program with a call open on ``on`` (the first one, as
    ``workflow.open_call``), by slug; places read from the call's counter."""
    teams = demo.teams()
    scans = demo.Scans()
    found: dict[str, Offer] = {}
    for program in Program.select().where(Program.active).order_by(Program.slug):
        call = (
            Call.select()
            .where((Call.program == program) & (Call.opens <= on) & (Call.closes >= on))
            .order_by(Call.opens)
            .first()
        )
        if call is None:
            continue
        needs = []
        for requirement in (
            Requirement.select()
            .where(Requirement.program == program)
            .order_by(Requirement.position, Requirement.id)
        ):
            clean = scans.of(requirement)
            needs.append(
                Need(
                    requirement.id,
                    requirement.slug,
                    requirement.name,
                    requirement.optional,
                    clean.filename,
                    clean.content_type,
                    clean.data,
                    hashlib.sha256(clean.data).hexdigest(),
                )
            )
        points = tuple(
            tuples(
                DeliveryPoint.select(
                    DeliveryPoint.id, DeliveryPoint.municipality, DeliveryPoint.name
                )
                .where((DeliveryPoint.program == program) & DeliveryPoint.active)
                .order_by(DeliveryPoint.position, DeliveryPoint.id)
            )
        )
        team = teams[program.agency_id]
        found[program.slug] = Offer(
            program_id=program.id,
            slug=program.slug,
            name=program.name,
            exclusion_key=program.exclusion_key,
            version=program.version,
            benefit_amount=program.benefit_amount,
            call_id=call.id,
            opens=call.opens,
            closes=call.closes,
            places_left=None,
            needs=tuple(needs),
            reviewer=team.reviewer.id,
            operator=team.operator.id,
            points=points,
            periods=tuple(periods.program_periods(program)),
        )
    return found


# Tables written in bulk ------------------------------------------------------------


class Table:
    """One prepared INSERT of ``columns``; every other column gets the value of
    its model default, as ``insert_many`` would write it (None: NULL)."""

    def __init__(self, model: type[Model], columns: Sequence[str]) -> None:
        self.name = model._meta.table_name
        defaults: dict[str, object] = {}
        for name, column in model._meta.columns.items():
            if name in columns or name == "id" or column.default is None:
                continue
            value = column.default() if callable(column.default) else column.default
            defaults[name] = column.db_value(value)
        self.columns = ("id", *columns, *defaults)
        self.extra = tuple(defaults.values())

    def sql(self) -> str:
        names = ", ".join(f'"{c}"' for c in self.columns)
        if is_sqlite():
            marks = ", ".join("?" for _ in self.columns)
            # Identifiers from the model's metadata; the values are parameters.
            return f'INSERT INTO "{self.name}" ({names}) VALUES ({marks})'  # noqa: S608
        return f'COPY "{self.name}" ({names}) FROM STDIN'

    def insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        extra = self.extra
        connection = db.connection()
        if is_sqlite():
            connection.executemany(self.sql(), [row + extra for row in rows])
            return
        with connection.cursor() as cursor, cursor.copy(self.sql()) as copy:
            for row in rows:
                copy.write_row(row + extra)


APPLICATION = (
    Application,
    (
        "folio",
        "citizen_id",
        "program_id",
        "call_id",
        "program_version",
        "status",
        "version",
        "idempotency_key",
        "answers",
        "correction",
        "decision_reason",
        "assigned_to_id",
        "municipality",
        "created_at",
        "updated_at",
        "submitted_at",
        "decided_at",
    ),
)
EVENT = (
    ApplicationEvent,
    (
        "application_id",
        "from_status",
        "to_status",
        "actor_kind",
        "actor_staff_id",
        "reason",
        "created_at",
    ),
)
DOCUMENT = (
    Document,
    (
        "application_id",
        "requirement_id",
        "version",
        "current",
        "storage_key",
        "filename",
        "content_type",
        "size",
        "sha256",
        "status",
        "review_reason",
        "reviewed_by_id",
        "created_at",
    ),
)
NOTICE = (
    Notice,
    (
        "citizen_id",
        "application_id",
        "status",
        "kind",
        "facts",
        "title",
        "body",
        "link",
        "created_at",
    ),
)
OUTBOX = (
    Outbox,
    ("notice_id", "channel", "status", "attempts", "next_attempt_at", "created_at", "sent_at"),
)
ENROLLMENT = (
    Enrollment,
    (
        "citizen_id",
        "program_id",
        "exclusion_key",
        "application_id",
        "source",
        "benefit_amount",
        "started_on",
        "created_at",
    ),
)
CREDENTIAL = (
    Credential,
    ("application_id", "credential_id", "issued_on", "expires_on", "issued_at"),
)
DELIVERY = (
    Delivery,
    ("application_id", "period", "amount", "credential_id", "operator_id", "point_id")
    + ("delivered_at", "id_type", "id_last4"),
)
# Parents before children.
TABLES = (APPLICATION, EVENT, DOCUMENT, NOTICE, OUTBOX, ENROLLMENT, CREDENTIAL, DELIVERY)


@dataclass
class Batch:
    """The rows of one chunk, with ids taken after each table's highest."""

    next_ids: dict[str, int]
    rows: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    blobs: list[tuple[str, Need]] = field(default_factory=list)
    profiles: list[tuple[str, dt.datetime, int]] = field(default_factory=list)
    places: Counter[int] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    programs_enrolled: set[int] = field(default_factory=set)

    def take(self, model: type[Model]) -> int:
        """The next id of ``model``'s table."""
        table = model._meta.table_name
        row_id = self.next_ids[table]
        self.next_ids[table] = row_id + 1
        return row_id

    def put(self, model: type[Model], row_id: int, *values: object) -> None:
        self.rows[model._meta.table_name].append((row_id, *values))

    def add(self, model: type[Model], *values: object) -> int:
        row_id = self.take(model)
        self.put(model, row_id, *values)
        return row_id


def _next_ids() -> dict[str, int]:
    """One past each table's highest id, inside the chunk's transaction (on
    PostgreSQL the tables are locked against other writers first)."""
    names = [model._meta.table_name for model, _ in TABLES]
    if not is_sqlite():
        quoted = ", ".join(f'"{name}"' for name in names)
        db.execute_sql(f"LOCK TABLE {quoted} IN EXCLUSIVE MODE")
    ids = {}
    for name in names:
        # Identifiers from the model's metadata.
        top = db.execute_sql(f'SELECT MAX("id") FROM "{name}"').fetchone()[0]  # noqa: S608
        ids[name] = (top or 0) + 1
    return ids


def _move_sequences() -> None:
    """PostgreSQL: the ids written by hand are past every sequence's value."""
    if is_sqlite():
        return
    for model, _ in TABLES:
        name = model._meta.table_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "  # noqa: S608
            f'(SELECT MAX("id") FROM "{name}"))'
        )


# One person's applications, as carry_out would make them -------------------------


@dataclass(frozen=True)
class Person:
    """A registry row that may apply (read from the database)."""

    id: int
    curp: str
    birth_date: dt.date
    sex: str
    municipality: str
    email: str
    phone: str
    notify_channel: str
    address: tuple[str, ...]
    state: str


def _channels(person: Person) -> list[str]:
    """As ``notices.channels_for``: an outside channel when chosen and known."""
    if person.notify_channel == "email" and person.email:
        return ["email"]
    if person.notify_channel == "sms" and person.phone:
        return ["sms"]
    return []


def _snapshot(person: Person, answers: dict[str, object]) -> dict[str, object]:
    """``workflow.snapshot_answers`` of the person once their answers are stored."""
    snapshot: dict[str, object] = dict(zip(ADDRESS_COLUMNS, person.address, strict=True))
    snapshot["state"] = person.state
    snapshot["municipality"] = person.municipality
    snapshot["email"] = person.email
    snapshot["phone"] = person.phone
    snapshot["profile"] = dict(answers)
    return snapshot


def eligible(
    person: Person, answers: dict[str, object], catalog: CompiledCatalog, on: dt.date
) -> list[str]:
    """Slugs of the programs whose call is open on ``on`` that the engine says
    ``person`` may receive, with these answers and nothing received yet."""
    profile = parse_profile(answers, on=on)
    profile |= {
        "birth_date": person.birth_date,
        "sex": person.sex,
        "enrolled": (),
    }
    if person.municipality:
        profile["municipality"] = person.municipality
    return [
        r.program
        for r in catalog.evaluate(profile, on)
        if r.status is Status.ELIGIBLE and r.call_open
    ]


@dataclass
class Upload:
    """One version of a document of the case."""

    need: Need
    version: int
    key: str
    at: dt.datetime
    current: bool = True
    status: str = DocumentStatus.PENDIENTE
    reason: str = ""
    reviewed_by: int | None = None


class Case:
    """The rows of one application, written in the order the domain acts."""

    def __init__(
        self,
        batch: Batch,
        person: Person,
        offer: Offer,
        application_id: int,
        folio: str,
        clock: list[dt.datetime],
    ) -> None:
        self.batch, self.person, self.offer = batch, person, offer
        self.id, self.folio = application_id, folio
        self.clock = clock  # the moments of the moves after the draft, in order
        self.status: str = S.BORRADOR
        self.version = 1
        self.assigned_to: int | None = None
        self.correction: dict | None = None
        self.decision_reason = ""
        self.decided_at: dt.datetime | None = None
        self.submitted_at: dt.datetime | None = None
        self.updated_at: dt.datetime | None = None
        # Every version uploaded, by requirement id; the current one last.
        self.documents: dict[int, list[Upload]] = {}

    def upload(self, need: Need, at: dt.datetime) -> None:
        versions = self.documents.setdefault(need.id, [])
        for old in versions:
            old.current = False
        name = secrets.token_hex(16)
        upload = Upload(need, len(versions) + 1, f"{name[:2]}/{name[2:4]}/{name}", at)
        self.batch.blobs.append((upload.key, need))
        versions.append(upload)

    def review(self, requirement_id: int, verdict: str, reason: str = "") -> None:
        current = self.documents[requirement_id][-1]
        current.status, current.reason = verdict, reason
        current.reviewed_by = self.offer.reviewer
        if verdict == DocumentStatus.RECHAZADO:
            facts = {
                "document": current.need.slug,
                "document_name": current.need.name,
                "reason": reason,
            }
            self.notify("documento_rechazado", facts, self.clock[0])

    def move(self, to: str, actor_kind: str, reason: str = "", **changes: Any) -> dt.datetime:
        """What ``workflow.transition`` writes: the row's new state, the event,
        the notice; the place is counted by the caller for the final status."""
        at = self.clock.pop(0)
        self.batch.add(
            ApplicationEvent,
            self.id,
            self.status,
            to,
            actor_kind,
            self.offer.reviewer if actor_kind == STAFF else None,
            reason,
            at,
        )
        self.status = to
        self.version += 1
        self.updated_at = at
        for name, value in changes.items():
            setattr(self, name, value)
        self.notify("estado", {"status": to, "reason": reason}, at)
        return at

    def notify(self, kind: str, facts: Mapping[str, object], at: dt.datetime) -> None:
        """The notice ``portal/applications/notices.py`` writes: its kind, its facts
        and its Spanish text."""
        facts = {"program": self.offer.program_id, "folio": self.folio, **facts}
        title, body = spanish_texts(kind, facts, self.offer.name)
        notice = self.batch.add(
            Notice,
            self.person.id,
            self.id,
            self.status,
            kind,
            Notice.facts.db_value(facts),
            title,
            body,
            f"/mis-solicitudes/{self.folio}",
            at,
        )
        for channel in _channels(self.person):
            # Acts of the past: their messages went out then.
            self.batch.add(Outbox, notice, channel, "enviado", 1, at, at, at)


@dataclass(frozen=True)
class Draw:
    """What ``portal.demo.data._plan`` draws for a case, and its step."""

    step: str
    corrected: bool
    flaw: float
    id_last4: str


# How many moves each path makes after the draft (for the clock).
def _moves(draw: Draw) -> int:
    step, corrected = draw.step, draw.corrected
    if step == S.BORRADOR:
        return 0
    if step == S.ENVIADA and not corrected:
        return 1
    if step in (S.CANCELADA, S.EN_REVISION):
        return 2 + (step == S.CANCELADA)
    before = 3 if (corrected or step == S.REQUIERE_CORRECCION) else 2
    if step == S.REQUIERE_CORRECCION:
        return before
    if corrected:
        before += 1  # resubmission
        if step == S.ENVIADA:
            return before
        before += 1  # taken again
    return before + 1 + (step == S.ENTREGADA)


def _moments(
    rng: random.Random, offer: Offer, now: dt.datetime, moves: int
) -> tuple[dt.datetime, list[dt.datetime]]:
    """When the draft was made, and the moments of its moves: the submission
    within the call's open days, the rest between it and ``now``, in order."""
    start = dt.datetime.combine(offer.opens, dt.time())
    end = min(dt.datetime.combine(offer.closes + dt.timedelta(days=1), dt.time()), now)
    span = (end - start).total_seconds()
    submitted = start + dt.timedelta(seconds=rng.random() * span)
    created = max(start, submitted - dt.timedelta(seconds=60 + rng.random() * 10_800))
    if moves == 0:
        return created, []
    rest = (now - submitted).total_seconds()
    later = sorted(submitted + dt.timedelta(seconds=rng.random() * rest) for _ in range(moves - 1))
    return created, [submitted, *later]


def carry_out(
    batch: Batch,
    person: Person,
    offer: Offer,
    draw: Draw,
    minor: bool,
    snapshot: dict[str, object],
    key: str,
    folio: str,
    rng: random.Random,
    now: dt.datetime,
) -> str:
    """The rows ``portal.demo.data.carry_out`` makes for this case, step by
    step in the same order and with the same texts; returns the status reached."""
    created, clock = _moments(rng, offer, now, _moves(draw))
    application_id = batch.take(Application)
    case = Case(batch, person, offer, application_id, folio, clock)
    case.updated_at = created
    needs = [n for n in offer.needs if minor or not n.optional]
    for position, need in enumerate(needs):
        case.upload(need, created + dt.timedelta(seconds=30 * (position + 1)))
    step = draw.step
    flawed = needs[int(draw.flaw * len(needs))] if needs else None
    if step != S.BORRADOR:
        case.submitted_at = case.move(S.ENVIADA, CITIZEN)
        if not (step == S.ENVIADA and not draw.corrected):
            case.move(S.EN_REVISION, STAFF, assigned_to=offer.reviewer)
            if step == S.CANCELADA:
                reason = demo.CANCELLATIONS[int(draw.flaw * len(demo.CANCELLATIONS))]
                case.move(S.CANCELADA, CITIZEN, reason)
            elif step != S.EN_REVISION:
                _decide(case, draw, flawed)
    batch.put(
        Application,
        application_id,
        folio,
        person.id,
        offer.program_id,
        offer.call_id,
        offer.version,
        case.status,
        case.version,
        key,
        Application.answers.db_value(snapshot),
        Application.correction.db_value(case.correction),
        case.decision_reason,
        case.assigned_to,
        person.municipality,
        created,
        case.updated_at,
        case.submitted_at,
        case.decided_at,
    )
    uploads = [u for versions in case.documents.values() for u in versions]
    for upload in sorted(uploads, key=lambda u: u.at):
        need = upload.need
        batch.add(
            Document,
            application_id,
            need.id,
            upload.version,
            upload.current,
            upload.key,
            need.filename,
            need.content_type,
            len(need.data),
            need.sha256,
            upload.status,
            upload.reason,
            upload.reviewed_by,
            upload.at,
        )
    return case.status


def _decide(case: Case, draw: Draw, flawed: Need | None) -> None:
    """From review on: a round of correction, then rejection or approval (and delivery)."""
    step, offer = draw.step, case.offer
    if flawed is not None and (draw.corrected or step == S.REQUIERE_CORRECCION):
        problem = demo.SCAN_PROBLEMS[int(draw.flaw * len(demo.SCAN_PROBLEMS))]
        case.review(flawed.id, DocumentStatus.RECHAZADO, problem)
        message = f"Suba de nuevo «{flawed.name}». {problem}"
        asked = case.move(
            S.REQUIERE_CORRECCION,
            STAFF,
            message,
            correction={"documents": [flawed.id], "fields": [], "message": message},
        )
        if step == S.REQUIERE_CORRECCION:
            return
        case.upload(flawed, asked + (case.clock[0] - asked) / 2)
        case.move(S.ENVIADA, CITIZEN, "Corrección enviada", correction=None)
        if step == S.ENVIADA:
            return
        case.move(S.EN_REVISION, STAFF)
    if step == S.RECHAZADA and flawed is not None:
        reason = demo.REJECTIONS[int(draw.flaw * len(demo.REJECTIONS))].format(name=flawed.name)
        case.review(flawed.id, DocumentStatus.RECHAZADO, reason)
        at = case.clock[0]
        case.move(S.RECHAZADA, STAFF, reason, decision_reason=reason, decided_at=at)
        return
    for requirement_id in case.documents:
        case.review(requirement_id, DocumentStatus.ACEPTADO)
    approved = case.move(S.APROBADA, STAFF, decided_at=case.clock[0])
    batch = case.batch
    batch.add(
        Enrollment,
        case.person.id,
        offer.program_id,
        offer.exclusion_key,
        case.id,
        EnrollmentSource.SOLICITUD,
        offer.benefit_amount,
        approved.date(),
        approved,
    )
    batch.programs_enrolled.add(offer.program_id)
    credential = batch.add(
        Credential,
        case.id,
        secrets.token_hex(8),
        approved.date(),
        expiry_for(offer.periods, approved.date()),
        approved,
    )
    if step != S.ENTREGADA:
        return
    point_id, point_name = offer.point_for(case.person.municipality)
    # What confirm_delivery does with the period due: the earliest started of
    # those the enrollment overlaps; the last one completes the benefit.
    due_periods = [p for p in offer.periods if p.overlaps(approved.date(), None)] or [
        periods.Period(1, approved.date(), None)
    ]
    at = case.clock[0]
    due = next((p for p in due_periods if p.has_started(at.date())), None)
    if due is None:
        case.clock.pop(0)
        return  # nothing to deliver yet: the case stays approved
    if due is due_periods[-1]:
        delivered = case.move(S.ENTREGADA, STAFF, f"Entregado en {point_name}")
    else:
        delivered = case.clock.pop(0)
        case.notify("periodo_entregado", {"period": due.number, "point": point_name}, delivered)
    batch.add(
        Delivery,
        case.id,
        due.number,
        offer.benefit_amount,
        credential,
        offer.operator,
        point_id,
        delivered,
        demo.ID_TYPES[int(draw.flaw * len(demo.ID_TYPES))],
        draw.id_last4,
    )


# The run ------------------------------------------------------------------------


def _draw(rng: random.Random, offer: Offer, taken: Counter[int]) -> Draw:
    steps, weights = zip(*demo.STEP_WEIGHTS.items(), strict=True)
    step = rng.choices(steps, weights)[0]
    corrected, flaw, last4 = rng.random(), rng.random(), rng.random()
    if step in PLACE_STATUSES and offer.places_left is not None:
        if taken[offer.call_id] >= offer.places_left:
            decided, decided_weights = zip(*DECIDED_WEIGHTS.items(), strict=True)
            step = rng.choices(decided, decided_weights)[0]
    return Draw(step, corrected < demo.CORRECTED_SHARE, flaw, f"{int(last4 * 10_000):04d}")


def _people(after: int, limit: int) -> tuple[list[Person], int, int]:
    """Of the ``limit`` registry rows after id ``after`` (in id order), those
    that may apply: loaded with no answers, nothing applied for, nothing
    received; with the last id and the number of rows read."""
    columns = (
        "id",
        "curp",
        "birth_date",
        "sex",
        "municipality_id",
        "email",
        "phone",
        "notify_channel",
        "state",
        "origin",
        "profile",
        *ADDRESS_COLUMNS,
    )
    names = ", ".join(f'"{c}"' for c in columns)
    # Plain rows (no model instances): a million of them are read. Identifiers
    # from this module; the values are parameters.
    rows = db.execute_sql(
        f'SELECT {names} FROM "{Citizen._meta.table_name}" WHERE "id" > {db.param} '  # noqa: S608
        f'ORDER BY "id" LIMIT {db.param}',
        (after, limit),
    ).fetchall()
    empty = Citizen.profile.db_value({})
    if not rows:
        return [], after, 0
    low, high = rows[0][0], rows[-1][0]
    busy = set(
        Application.select(Application.citizen)
        .where(Application.citizen.between(low, high))
        .distinct()
        .scalars()
    )
    busy.update(
        Enrollment.select(Enrollment.citizen)
        .where(Enrollment.citizen.between(low, high))
        .distinct()
        .scalars()
    )
    people = []
    for row in rows:
        citizen_id, curp, birth, sex, municipality, email, phone, channel, state = row[:9]
        origin, profile, address = row[9], row[10], row[11:]
        if profile != empty or origin != "import" or citizen_id in busy:
            continue  # someone's own answers, a digital-ID record, or a case already
        if isinstance(birth, str):
            birth = dt.date.fromisoformat(birth)
        people.append(
            Person(
                citizen_id,
                curp,
                birth,
                sex,
                municipality or "",
                email,
                phone,
                channel,
                tuple(address),
                state,
            )
        )
    return people, high, len(rows)


class BlobWriter:
    """Writes a chunk's blobs in :data:`BLOB_PROCESSES` other processes while
    the chunk's rows go into the database; :meth:`wait` before the rows commit.

    Processes, not threads: creating a file is mostly waiting on the file
    system, and threads doing it hold up the thread that inserts the rows at
    every hand-over of the interpreter lock.
    """

    def __init__(self, storage: EncryptedFileStorage) -> None:
        self.root = str(storage.root)
        self.keyring = storage.keyring
        # Forked before the run's first transaction: the children never touch
        # the database, and need nothing imported again.
        context = multiprocessing.get_context("fork")
        self.pool = context.Pool(BLOB_PROCESSES)
        self.pending: list[AsyncResult[int]] = []

    def start(self, blobs: Sequence[tuple[str, Need]]) -> None:
        texts = {need.id: need.data for _, need in blobs}
        items = [(key, need.id) for key, need in blobs]
        step = max(1, -(-len(items) // (BLOB_PROCESSES * 4)))
        self.pending = [
            self.pool.apply_async(
                write_blobs, (self.root, self.keyring, texts, items[i : i + step])
            )
            for i in range(0, len(items), step)
        ]

    def wait(self) -> int:
        """Bytes written by the blobs started last; raises what a write raised."""
        written = sum(result.get() for result in self.pending)
        self.pending = []
        return written

    def close(self) -> None:
        self.pool.close()
        self.pool.join()


# The folders a blob process has made, over the whole run.
_FOLDERS: set[Path] = set()


def write_blobs(
    root: str, keyring: KeyRing, texts: dict[int, bytes], items: Sequence[tuple[str, int]]
) -> int:
    """Each blob encrypted by the storage's own code under its key (bound into
    the ciphertext, as ``put`` does), written in place without ``put``'s
    per-file fsync and rename: the rows commit afterwards, and a blob whose
    rows never committed (a crash mid-chunk) is an orphan for ``storage
    sweep``. Returns the bytes written."""
    base = Path(root)
    written = 0
    for key, text in items:
        path = base / key
        folder = path.parent
        if folder not in _FOLDERS:
            # Level by level, with the modes put() gives them.
            folder.parent.mkdir(exist_ok=True, mode=0o700)
            folder.mkdir(exist_ok=True, mode=0o700)
            _FOLDERS.add(folder)
        sealed = _encrypt(key, texts[text], keyring)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, sealed)
        finally:
            os.close(descriptor)
        written += len(sealed)
    return written


@dataclass(frozen=True)
class Progress:
    """Where a run is, after each chunk."""

    applications: int  # made in this run so far
    people_read: int
    seconds: float


def _folios(count: int, prefix: str, year: int) -> list[str]:
    """``count`` new folios, none already given (the unique index is checked
    for this chunk's only: a look-up by the index, not a scan)."""
    folios: set[str] = set()
    while len(folios) < count:
        wanted = count - len(folios)
        drawn = {new_folio(prefix, year) for _ in range(wanted)} - folios
        taken = set(
            Application.select(Application.folio).where(Application.folio.in_(drawn)).scalars()
        )
        folios |= drawn - taken
    return list(folios)


def _chunk(
    people: list[Person],
    wanted: int,
    found: dict[str, Offer],
    catalog: CompiledCatalog,
    blobs: BlobWriter,
    seed: int,
    prefix: str,
    on: dt.date,
) -> Batch:
    """Plan and write one chunk's applications in one transaction (the caller's)."""
    now = utcnow()
    batch = Batch(_next_ids())
    rows = Call.select(Call.id, Call.quota, Call.places_taken).where(
        Call.id.in_([o.call_id for o in found.values()])
    )
    if not is_sqlite():
        rows = rows.for_update()
    left = {
        call_id: None if quota is None else quota - taken for call_id, quota, taken in tuples(rows)
    }
    for offer in found.values():
        offer.places_left = left[offer.call_id]
    cases: list[tuple[Person, Offer, random.Random, dict[str, object], bool]] = []
    for person in people:
        if len(cases) >= wanted:
            break
        rng = random.Random(f"{KEY_PREFIX}{seed}-{person.curp}")
        answers = draw_profile(
            {
                "curp": person.curp,
                "first_name": "",
                "last_name1": "",
                "last_name2": "",
                "birth_date": person.birth_date,
                "sex": person.sex,
                "municipality": person.municipality,
                "email": person.email or None,
                "phone": person.phone or None,
            },
            rng,
            on,
        )
        slugs = [s for s in eligible(person, answers, catalog, on) if s in found]
        rng.shuffle(slugs)
        groups: set[str] = set()
        mine = []
        for slug in slugs:
            offer = found[slug]
            if offer.exclusion_key in groups:
                continue  # never two of one exclusion group
            groups.add(offer.exclusion_key)
            mine.append(offer)
        if not mine:
            continue
        batch.profiles.append((Citizen.profile.db_value(answers), now, person.id))
        minor = age_on(person.birth_date, on) < ADULT_AGE
        for offer in mine[: wanted - len(cases)]:
            cases.append((person, offer, rng, answers, minor))
    folios = _folios(len(cases), prefix, on.year)
    for (person, offer, rng, answers, minor), folio in zip(cases, folios, strict=True):
        draw = _draw(rng, offer, batch.places)
        status = carry_out(
            batch,
            person,
            offer,
            draw,
            minor,
            _snapshot(person, answers),
            f"{KEY_PREFIX}{seed}-{person.id}-{offer.slug}",
            folio,
            rng,
            now,
        )
        if status in PLACE_STATUSES:
            batch.places[offer.call_id] += 1
        batch.counts[status] += 1
    blobs.start(batch.blobs)
    for model, columns in TABLES:
        Table(model, columns).insert(batch.rows[model._meta.table_name])
    _move_sequences()
    _store_profiles(batch.profiles)
    for call_id, taken in batch.places.items():
        Call.update(places_taken=Call.places_taken + taken).where(Call.id == call_id).execute()
    ids = [row[0] for row in batch.rows[Application._meta.table_name]]
    if ids:
        audit.record(
            AuditAction.DEMO_LOAD,
            audit.SYSTEM,
            object_type="solicitud",
            object_id=f"{ids[0]}-{ids[-1]}",
            details={"solicitudes": len(ids), "primera": ids[0], "ultima": ids[-1]},
        )
        open_data.mark_changed(open_data.APPLICATIONS)
    for program_id in sorted(batch.programs_enrolled):
        open_data.mark_changed(open_data.BENEFICIARIES, program_id)
    # Every blob is on disk before its rows commit.
    batch.counts["bytes"] = blobs.wait()
    return batch


def _store_profiles(rows: list[tuple[str, dt.datetime, int]]) -> None:
    """Each applicant's answers as the questionnaire stores them."""
    if not rows:
        return
    table = Citizen._meta.table_name
    if is_sqlite():
        sql = f'UPDATE "{table}" SET "profile" = ?, "updated_at" = ? WHERE "id" = ?'  # noqa: S608
        db.connection().executemany(sql, rows)
        return
    with db.connection().cursor() as cursor:
        cursor.executemany(
            f'UPDATE "{table}" SET "profile" = %s, "updated_at" = %s WHERE "id" = %s',  # noqa: S608
            rows,
        )


def bulk_count() -> int:
    """Bulk applications in the database (the pool's are ``demo-`` ones)."""
    return Application.select().where(Application.idempotency_key.startswith(KEY_PREFIX)).count()


def generate(
    n: int,
    seed: int = 2026,
    prefix: str = "QRO",
    *,
    on: dt.date | None = None,
    storage: EncryptedFileStorage | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, int]:
    """Bulk applications until the database holds ``n`` of them (see the module
    docstring). Returns counts: ``applications`` made by this run, one per
    status reached, ``people`` who applied, ``documents``, ``bytes`` of blobs."""
    started = time.perf_counter()
    on = on or dt.date.today()
    storage = storage or get_storage()
    counts: Counter[str] = Counter()
    wanted = n - bulk_count()
    if wanted <= 0:
        return dict(counts)
    found = offers(on)
    catalog = engine_catalog()
    last = (
        Application.select(fn.MAX(Application.citizen))
        .where(Application.idempotency_key.startswith(KEY_PREFIX))
        .scalar()
    ) or 0
    read = 0
    sqlite = is_sqlite()
    if sqlite:
        cache = db.execute_sql("PRAGMA cache_size").fetchone()[0]
        db.execute_sql("PRAGMA synchronous = OFF")
        # The unique indexes (folio, storage key) take random inserts: keep their pages.
        db.execute_sql(f"PRAGMA cache_size = {-LOAD_CACHE_KIB}")
    blobs = BlobWriter(storage)
    # Millions of short-lived tuples and no cycles: the collector would only walk them.
    gc.disable()
    try:
        while wanted > 0:
            with write():
                people, last, rows = _people(last, CHUNK)
                if not rows:
                    break
                batch = _chunk(people, wanted, found, catalog, blobs, seed, prefix, on)
            made = len(batch.rows[Application._meta.table_name])
            read += rows
            wanted -= made
            counts.update(batch.counts)
            counts["applications"] += made
            counts["people"] += len(batch.profiles)
            counts["documents"] += len(batch.rows[Document._meta.table_name])
            if progress is not None:
                progress(Progress(counts["applications"], read, time.perf_counter() - started))
    finally:
        gc.enable()
        blobs.close()
        if sqlite:
            db.execute_sql("PRAGMA synchronous = NORMAL")
            db.execute_sql(f"PRAGMA cache_size = {int(cache)}")
    return dict(counts)
