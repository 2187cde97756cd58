"""The application domain: drafts, the state machine, submission and decisions.

No Flask here: views, the back office, CLI commands and tests all call these
functions with an :class:`~portal.audit.Actor`.

Every change of state goes through :func:`transition`, which checks the move
against :data:`TRANSITIONS`, updates the row only if nobody changed it in the
meantime (``WHERE id = ? AND version = ? AND status = ?``, bumping ``version``),
and in the same transaction records an :class:`ApplicationEvent` (the citizen's
timeline), an audit entry and a notice (inbox plus outbox).

Duplicates are refused by the database, not only by checks before writing:

* the partial unique index ``application_one_live_per_call`` makes a second
  live application of the same person to the same call fail on submission;
* ``enrollment_one_active_per_group`` makes a second active enrollment in the
  same exclusion group fail on approval.

Both surface as :class:`Refused` / :class:`DuplicateEnrollment` with a message
in plain Spanish.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from peewee import IntegrityError

from . import audit, notices
from .audit import Actor
from .catalog_store import engine_catalog, quota_used
from .db import locked, write
from .eligibility import Result, Status, evaluate
from .folio import new_folio
from .models import (
    LIVE_STATUSES,
    Application,
    ApplicationEvent,
    Call,
    Citizen,
    Document,
    Enrollment,
    Program,
    Requirement,
    utcnow,
)
from .models.core import ADDRESS_FIELDS as INEGI_ADDRESS_FIELDS
from .profile import ProfileError, parse_profile
from .storage import Storage
from .uploads import CleanFile

CITIZEN = "ciudadano"
STAFF = "personal"
SYSTEM = "sistema"

# The one list of allowed moves: (from, to) -> who may make it. Staff may make
# the citizen's moves too, for people they serve at the counter (assisted mode).
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("borrador", "enviada"): frozenset({CITIZEN, STAFF}),
    ("borrador", "cancelada"): frozenset({CITIZEN, STAFF}),
    ("enviada", "en_revision"): frozenset({STAFF}),
    ("enviada", "requiere_correccion"): frozenset({STAFF}),
    ("enviada", "aprobada"): frozenset({STAFF}),
    ("enviada", "rechazada"): frozenset({STAFF}),
    ("enviada", "cancelada"): frozenset({CITIZEN, STAFF}),
    ("en_revision", "requiere_correccion"): frozenset({STAFF}),
    ("en_revision", "aprobada"): frozenset({STAFF}),
    ("en_revision", "rechazada"): frozenset({STAFF}),
    ("en_revision", "cancelada"): frozenset({CITIZEN, STAFF}),
    ("requiere_correccion", "enviada"): frozenset({CITIZEN, STAFF}),
    ("requiere_correccion", "rechazada"): frozenset({STAFF}),
    ("requiere_correccion", "cancelada"): frozenset({CITIZEN, STAFF}),
    ("aprobada", "entregada"): frozenset({STAFF}),
}
# Moves a citizen makes; staff making them is "assisted" on the timeline.
CITIZEN_MOVES = frozenset(move for move, who in TRANSITIONS.items() if CITIZEN in who)

STATUS_LABELS = {
    "borrador": "Borrador",
    "enviada": "Enviada",
    "en_revision": "En revisión",
    "requiere_correccion": "Requiere corrección",
    "aprobada": "Aprobada",
    "rechazada": "Rechazada",
    "entregada": "Entregada",
    "cancelada": "Cancelada",
}

# Data a reviewer may ask to correct, with the label shown to the person.
CORRECTABLE_FIELDS: dict[str, str] = {
    "road_name": "Calle",
    "exterior_number": "Número exterior",
    "interior_number": "Número interior",
    "settlement_name": "Colonia",
    "postal_code": "Código postal",
    "locality": "Localidad",
    "phone": "Teléfono",
    "email": "Correo electrónico",
}
ADDRESS_FIELDS = (*INEGI_ADDRESS_FIELDS, "state")

# A case is held (``assigned_to``) by one reviewer while it waits for a decision,
# and comes back to them after a correction; on a decided case it only says who
# reviewed it.
HELD_STATUSES = ("enviada", "en_revision", "requiere_correccion")

# Called inside approve()'s transaction with the approved application, so other
# areas (the delivery credential) act atomically with the approval.
on_approved: list[Callable[[Application], None]] = []


class ApplicationError(Exception):
    """Base class; ``message`` is plain Spanish for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(ApplicationError):
    pass


class Conflict(ApplicationError):
    """Someone changed the application since it was read."""


class Refused(ApplicationError):
    """Submission refused; ``reasons`` lists every reason in plain Spanish."""

    def __init__(self, reasons: Iterable[str]) -> None:
        self.reasons = list(reasons)
        super().__init__(" ".join(self.reasons))


class DuplicateEnrollment(ApplicationError):
    pass


class NotFound(ApplicationError):
    pass


@dataclass(frozen=True)
class Correction:
    """What a reviewer asked to fix: requirement ids, field names and a message."""

    documents: tuple[int, ...]
    fields: tuple[str, ...]
    message: str

    @classmethod
    def of(cls, application: Application) -> Correction | None:
        data = application.correction
        if not data:
            return None
        return cls(tuple(data["documents"]), tuple(data["fields"]), data["message"])


def _who(actor: Actor) -> str:
    return actor.kind if actor.kind in (CITIZEN, STAFF) else SYSTEM


def can(application: Application, to: str, actor: Actor) -> bool:
    return _who(actor) in TRANSITIONS.get((application.status, to), frozenset())


def transition(
    application: Application,
    to: str,
    actor: Actor,
    reason: str = "",
    *,
    expected_version: int | None = None,
    changes: Mapping[str, Any] | None = None,
) -> Application:
    """Move ``application`` to ``to``; see the module docstring.

    ``expected_version`` is the version the actor saw (a reviewer's form
    carries it); without it, the version of the object passed in. ``changes``
    are more columns to set in the same conditional update. Raises
    :class:`TransitionNotAllowed` or :class:`Conflict`; on success the object
    passed in is refreshed in place and returned.
    """
    from_status = application.status
    if not can(application, to, actor):
        raise TransitionNotAllowed(
            f"No se puede pasar de «{STATUS_LABELS[from_status]}» a «{STATUS_LABELS[to]}»."
        )
    version = application.version if expected_version is None else expected_version
    now = utcnow()
    values: dict[Any, Any] = {
        Application.status: to,
        Application.version: Application.version + 1,
        Application.updated_at: now,
    }
    for name, value in (changes or {}).items():
        values[getattr(Application, name)] = value
    with write():
        updated = (
            Application.update(values)
            .where(
                (Application.id == application.id)
                & (Application.version == version)
                & (Application.status == from_status)
            )
            .execute()
        )
        if updated != 1:
            raise Conflict(
                "La solicitud cambió mientras la veía. Vuelva a cargarla y revise su estado."
            )
        fresh = Application.get_by_id(application.id)
        ApplicationEvent.create(
            application=fresh,
            from_status=from_status,
            to_status=to,
            actor_kind=_who(actor),
            actor_staff=actor.id if actor.kind == STAFF else None,
            assisted=actor.kind == STAFF and (from_status, to) in CITIZEN_MOVES,
            reason=reason,
            created_at=now,
        )
        audit.record(
            f"solicitud.{to}",
            actor,
            object_type="solicitud",
            object_id=fresh.folio,
            details={"de": from_status, "a": to, "version": fresh.version},
        )
        notices.status_changed(fresh, reason)
    application.__data__.update(fresh.__data__)
    application._dirty.clear()
    notices.wake()
    return application


def open_call(program: Program, on: dt.date) -> Call | None:
    return (
        Call.select()
        .where((Call.program == program) & (Call.opens <= on) & (Call.closes >= on))
        .order_by(Call.opens)
        .first()
    )


def start_draft(
    citizen: Citizen,
    program: Program,
    idempotency_key: str,
    *,
    answers: Mapping[str, Any] | None = None,
    on: dt.date | None = None,
    folio_prefix: str = "QRO",
    assisted_by: int | None = None,
) -> Application:
    """The draft for this form, creating it once whatever the number of posts.

    A repeated post with the same key returns the same draft; a person who
    already has a draft for the program's open call gets that one back
    (resuming it, from any device). Raises :class:`Refused` when no call is open.
    """
    on = on or dt.date.today()
    existing = Application.get_or_none(Application.idempotency_key == idempotency_key)
    if existing is not None:
        if existing.citizen_id != citizen.id:
            raise NotFound("No encontramos esa solicitud.")
        return existing
    call = open_call(program, on)
    if call is None or not program.active:
        raise Refused(["Este programa no recibe solicitudes en este momento."])
    draft = (
        Application.select()
        .where(
            (Application.citizen == citizen)
            & (Application.program == program)
            & (Application.call == call)
            & (Application.status == "borrador")
        )
        .first()
    )
    if draft is not None:
        return draft
    for _attempt in range(5):
        try:
            with write():
                return Application.create(
                    folio=new_folio(folio_prefix),
                    citizen=citizen,
                    program=program,
                    call=call,
                    program_version=program.version,
                    idempotency_key=idempotency_key,
                    answers=dict(answers or snapshot_answers(citizen)),
                    assisted_by=assisted_by,
                    municipality=citizen.municipality_id or "",
                )
        except IntegrityError:
            # Either the same form posted twice at once, or a folio collision
            # (see portal/folio.py): the first case has the draft by now.
            existing = Application.get_or_none(Application.idempotency_key == idempotency_key)
            if existing is not None:
                return existing
    raise ApplicationError("No pudimos crear la solicitud. Inténtelo de nuevo.")


def snapshot_answers(citizen: Citizen) -> dict[str, Any]:
    """What the person confirmed when applying: address, contact, questionnaire."""
    answers: dict[str, Any] = {name: getattr(citizen, name) for name in ADDRESS_FIELDS}
    answers["municipality"] = citizen.municipality_id or ""
    answers["email"] = citizen.email
    answers["phone"] = citizen.phone
    answers["profile"] = dict(citizen.profile or {})
    return answers


def required_requirements(application: Application) -> list[Requirement]:
    return list(
        Requirement.select()
        .where(Requirement.program == application.program_id)
        .order_by(Requirement.position, Requirement.id)
    )


def current_documents(application: Application) -> dict[int, Document]:
    """The current version of each uploaded requirement, by requirement id."""
    rows = Document.select().where(
        (Document.application == application) & (Document.current == True)  # noqa: E712
    )
    return {d.requirement_id: d for d in rows}


def missing_requirements(application: Application) -> list[Requirement]:
    have = current_documents(application)
    return [r for r in required_requirements(application) if not r.optional and r.id not in have]


def add_document(
    application: Application,
    requirement: Requirement,
    clean: CleanFile,
    storage: Storage,
    actor: Actor,
) -> Document:
    """Store a checked file as the new current version; older versions stay.

    Only while the person may still change documents: in a draft, or when a
    correction asked for this requirement.
    """
    if requirement.program_id != application.program_id:
        raise NotFound("Ese documento no es de este programa.")
    if not may_change_document(application, requirement.id):
        raise TransitionNotAllowed("Ya no puede cambiar este documento.")
    key = storage.put(clean.data)
    try:
        with write():
            previous = (
                Document.select()
                .where(
                    (Document.application == application) & (Document.requirement == requirement)
                )
                .order_by(Document.version.desc())
                .first()
            )
            Document.update(current=False).where(
                (Document.application == application) & (Document.requirement == requirement)
            ).execute()
            document = Document.create(
                application=application,
                requirement=requirement,
                version=(previous.version + 1) if previous else 1,
                current=True,
                storage_key=key,
                filename=clean.filename,
                content_type=clean.content_type,
                size=len(clean.data),
                sha256=hashlib.sha256(clean.data).hexdigest(),
                uploaded_by_staff=actor.id if actor.kind == STAFF else None,
            )
            audit.record(
                "documento.subido",
                actor,
                object_type="solicitud",
                object_id=application.folio,
                details={"requisito": requirement.slug, "version": document.version},
            )
    except BaseException:
        # Nothing half-written: a blob without its row is removed.
        storage.delete(key)
        raise
    return document


def may_change_document(application: Application, requirement_id: int) -> bool:
    if application.status == "borrador":
        return True
    correction = Correction.of(application)
    return (
        application.status == "requiere_correccion"
        and correction is not None
        and requirement_id in correction.documents
    )


def person_profile(citizen: Citizen, on: dt.date) -> dict[str, Any]:
    """Questionnaire answers overlaid with identity from the digital ID and the
    enrollments the portal knows about, which the person cannot change."""
    try:
        profile = parse_profile(dict(citizen.profile or {}), on=on)
    except ProfileError:
        # Answers stored under older rules that no longer parse count as not
        # given: the engine then says which to answer again, instead of failing.
        profile = {}
    profile["birth_date"] = citizen.birth_date
    profile["sex"] = citizen.sex
    if citizen.municipality_id:
        profile["municipality"] = citizen.municipality_id
    profile["enrolled"] = tuple(
        p.slug
        for p in Program.select(Program.slug)
        .join(Enrollment)
        .where((Enrollment.citizen == citizen) & (Enrollment.active == True))  # noqa: E712
    )
    return profile


def program_result(citizen: Citizen, program: Program, on: dt.date) -> Result | None:
    """The engine's verdict on the person for this program (None: not in the catalog)."""
    results = evaluate(person_profile(citizen, on), engine_catalog(), on, quota_used=quota_used(on))
    return next((r for r in results if r.program == program.slug), None)


def missing_answers(citizen: Citizen, program: Program, on: dt.date) -> tuple[str, ...]:
    """The answers the engine still needs to decide whether the person may receive it."""
    result = program_result(citizen, program, on)
    if result is None or result.status is not Status.MAYBE:
        return ()
    return tuple(result.missing)


def eligibility_reasons(citizen: Citizen, program: Program, on: dt.date) -> list[str]:
    """Why the person cannot apply today (empty when they can)."""
    call = open_call(program, on)
    if call is None or not program.active:
        return ["Este programa no recibe solicitudes en este momento."]
    result = program_result(citizen, program, on)
    if result is None:
        return ["Este programa no recibe solicitudes en este momento."]
    reasons = list(result.reasons)
    if result.status is Status.MAYBE:
        reasons.append(
            "Nos faltan datos para saber si puede recibir este programa. Conteste las "
            "preguntas de «¿Qué apoyos puedo recibir?» y vuelva a intentarlo."
        )
    if result.quota_full:
        reasons.append("Ya no hay lugares en esta convocatoria.")
    return reasons


def submit(application: Application, actor: Actor, *, on: dt.date | None = None) -> Application:
    """Send a draft. Idempotent: an application already sent is returned as is.

    Re-checks, against the current catalog, the open call, its quota and the
    person's enrollments; every reason is in :class:`Refused`. A second live
    application to the same call is refused by the database itself.
    """
    if application.status != "borrador":
        if application.status in LIVE_STATUSES:
            return application
        raise TransitionNotAllowed("Esta solicitud ya no se puede enviar.")
    on = on or dt.date.today()
    program = Program.get_by_id(application.program_id)
    citizen = Citizen.get_by_id(application.citizen_id)
    reasons = eligibility_reasons(citizen, program, on)
    if application.call_id != getattr(open_call(program, on), "id", None) and not reasons:
        reasons.append("La convocatoria de esta solicitud ya cerró.")
    missing = missing_requirements(application)
    reasons += [f"Falta el documento «{r.name}»." for r in missing]
    if reasons:
        raise Refused(reasons)
    try:
        return transition(
            application,
            "enviada",
            actor,
            changes={"submitted_at": application.submitted_at or utcnow()},
        )
    except IntegrityError:
        raise Refused(
            ["Ya tiene una solicitud en curso para este programa en esta convocatoria."]
        ) from None


def cancel(application: Application, actor: Actor, reason: str = "") -> Application:
    return transition(application, "cancelada", actor, reason)


def request_correction(
    application: Application,
    actor: Actor,
    *,
    documents: Iterable[int] = (),
    fields: Iterable[str] = (),
    message: str,
    expected_version: int | None = None,
) -> Application:
    """Ask the person to fix exactly these documents (requirement ids) and fields."""
    documents = tuple(dict.fromkeys(int(d) for d in documents))
    fields = tuple(dict.fromkeys(fields))
    message = message.strip()
    if not documents and not fields:
        raise ApplicationError("Indique qué documentos o datos hay que corregir.")
    if not message:
        raise ApplicationError("Explique a la persona qué debe corregir.")
    unknown = [f for f in fields if f not in CORRECTABLE_FIELDS]
    if unknown:
        raise ApplicationError(f"No se puede pedir corregir: {', '.join(unknown)}.")
    own = {r.id for r in required_requirements(application)}
    if not set(documents) <= own:
        raise ApplicationError("Alguno de los documentos no es de este programa.")
    correction = {"documents": list(documents), "fields": list(fields), "message": message}
    return transition(
        application,
        "requiere_correccion",
        actor,
        message,
        expected_version=expected_version,
        changes={"correction": correction},
    )


def resubmit(
    application: Application, actor: Actor, field_values: Mapping[str, str] | None = None
) -> Application:
    """Send back a corrected application: the flagged fields get their new values.

    Every flagged document must have been replaced since the request.
    """
    correction = Correction.of(application)
    if application.status != "requiere_correccion" or correction is None:
        raise TransitionNotAllowed("Esta solicitud no tiene correcciones pendientes.")
    asked_at = (
        ApplicationEvent.select(ApplicationEvent.created_at)
        .where(
            (ApplicationEvent.application == application)
            & (ApplicationEvent.to_status == "requiere_correccion")
        )
        .order_by(ApplicationEvent.id.desc())
        .scalar()
    )
    docs = current_documents(application)
    stale = [
        r.name
        for r in required_requirements(application)
        if r.id in correction.documents and (r.id not in docs or docs[r.id].created_at < asked_at)
    ]
    if stale:
        raise Refused([f"Falta subir de nuevo «{name}»." for name in stale])
    answers = dict(application.answers or {})
    for name in correction.fields:
        answers[name] = (field_values or {}).get(name, answers.get(name, ""))
    return transition(
        application,
        "enviada",
        actor,
        "Corrección enviada",
        changes={"answers": answers, "correction": None},
    )


def reject(
    application: Application, actor: Actor, reason: str, *, expected_version: int | None = None
) -> Application:
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Escriba el motivo del rechazo: la persona lo verá.")
    return transition(
        application,
        "rechazada",
        actor,
        reason,
        expected_version=expected_version,
        changes={"decision_reason": reason, "decided_at": utcnow()},
    )


def approve(
    application: Application, actor: Actor, expected_version: int | None = None
) -> Application:
    """Approve and enrol in one transaction; :class:`DuplicateEnrollment` when
    the person already receives a program of the same exclusion group."""
    program = Program.get_by_id(application.program_id)
    try:
        with write():
            transition(
                application,
                "aprobada",
                actor,
                expected_version=expected_version,
                changes={"decided_at": utcnow()},
            )
            Enrollment.create(
                citizen=application.citizen_id,
                program=program,
                exclusion_key=program.exclusion_key,
                application=application,
                benefit_amount=program.benefit_amount,
            )
            for hook in on_approved:
                hook(application)
    except IntegrityError:
        other = (
            Program.select(Program.name)
            .join(Enrollment)
            .where(
                (Enrollment.citizen == application.citizen_id)
                & (Enrollment.exclusion_key == program.exclusion_key)
                & (Enrollment.active == True)  # noqa: E712
            )
            .first()
        )
        application.__data__.update(Application.get_by_id(application.id).__data__)
        name = other.name if other else program.name
        raise DuplicateEnrollment(
            f"No se puede aprobar: la persona ya recibe «{name}», que no se puede "
            f"combinar con «{program.name}»."
            if other and other.name != program.name
            else f"No se puede aprobar: la persona ya recibe «{program.name}»."
        ) from None
    notices.wake()
    return application


def release(
    application: Application,
    actor: Actor,
    reason: str,
    *,
    expected_version: int | None = None,
) -> Application:
    """Free a held case so anyone of its agency may take it; the status stays.

    Bumps ``version``, so a form drawn while it was held no longer applies.
    Audited ``soltar_solicitud`` with the holder's staff id and ``reason`` (the
    action that released it). Raises :class:`TransitionNotAllowed` when nobody
    holds it, :class:`Conflict` when it changed since ``expected_version``.
    """
    holder = application.assigned_to_id
    if holder is None:
        raise TransitionNotAllowed("Nadie tiene esta solicitud: no hay nada que soltar.")
    if application.status not in HELD_STATUSES:
        raise TransitionNotAllowed("Esta solicitud ya no está por revisar.")
    version = application.version if expected_version is None else expected_version
    with write():
        updated = (
            Application.update(
                assigned_to=None, version=Application.version + 1, updated_at=utcnow()
            )
            .where(
                (Application.id == application.id)
                & (Application.version == version)
                & (Application.assigned_to == holder)
                & (Application.status.in_(HELD_STATUSES))
            )
            .execute()
        )
        if updated != 1:
            raise Conflict("La solicitud cambió mientras la veía. Vuelva a cargarla.")
        audit.record(
            "soltar_solicitud",
            actor,
            object_type="solicitud",
            object_id=application.folio,
            details={"personal": holder, "motivo": reason},
        )
    application.__data__.update(Application.get_by_id(application.id).__data__)
    application._dirty.clear()
    return application


def release_held_by(
    staff_id: int, actor: Actor, reason: str, *, except_agency: int | None = None
) -> list[str]:
    """Release every case ``staff_id`` holds, but those of ``except_agency``'s
    programs; returns their folios.

    Called inside the transaction that deactivates the person or changes their
    role or agency, so nobody is left holding cases they can no longer decide.
    """
    with write():
        query = Application.select().where(
            (Application.assigned_to == staff_id) & (Application.status.in_(HELD_STATUSES))
        )
        if except_agency is not None:
            query = query.where(
                Application.program.not_in(
                    Program.select(Program.id).where(Program.agency == except_agency)
                )
            )
        held = list(locked(query.order_by(Application.id)))
        for application in held:
            release(application, actor, reason)
    return [application.folio for application in held]


def timeline(application: Application) -> list[ApplicationEvent]:
    return list(
        ApplicationEvent.select()
        .where(ApplicationEvent.application == application)
        .order_by(ApplicationEvent.created_at, ApplicationEvent.id)
    )


def next_step(application: Application) -> str:
    """What happens next, in plain words, for the detail page and the receipt."""
    return {
        "borrador": "Suba los documentos que faltan y envíe su solicitud.",
        "enviada": "La dependencia revisará su solicitud. Le avisaremos de cada cambio.",
        "en_revision": "Una persona de la dependencia está revisando su solicitud.",
        "requiere_correccion": "Corrija lo que se le pide y vuelva a enviar su solicitud.",
        "aprobada": "Su solicitud fue aprobada. Le avisaremos cuándo y dónde recibir el apoyo.",
        "rechazada": "Su solicitud fue rechazada. El motivo aparece abajo.",
        "entregada": "El apoyo ya fue entregado.",
        "cancelada": "Usted canceló esta solicitud.",
    }[application.status]
