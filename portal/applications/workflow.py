"""The application domain: drafts, the state machine, submission and decisions.

No Flask here: views, the back office, CLI commands and tests all call these
functions with an :class:`~portal.backoffice.audit.Actor`.

Every change of state goes through :func:`transition`, which checks the move
against :data:`TRANSITIONS`, updates the row only if nobody changed it in the
meantime (``WHERE id = ? AND version = ? AND status = ?``, bumping ``version``),
and in the same transaction records an :class:`ApplicationEvent` (the citizen's
timeline), an audit entry and a notice (inbox plus outbox).

Duplicates are refused by the database, not only by checks before writing:

* the partial unique index ``application_one_live_per_call`` makes a second
  live application of the same person to the same call fail on submission;
* ``application_one_draft_per_call`` lets a person have one draft per call,
  so parallel posts of the start form find the same draft;
* ``enrollment_one_active_per_group`` makes a second active enrollment in the
  same exclusion group fail on approval.

They surface as :class:`Refused` / :class:`DuplicateEnrollment` with a message
in plain Spanish, or as the existing draft.

A call's places are taken by the database too: :func:`transition` moves the
counter ``Call.places_taken`` in the same transaction as the status, taking a
place on the way into a live status with a conditional update (``... WHERE
places_taken < quota``: when no row matches, :class:`NoPlacesLeft` and nothing
is written) and giving it back on the way out (rejection, cancellation, a merge
of duplicate records, which cancels). No other code writes the counter.

A submission that finds no place left is not refused: it joins the call's
waiting list (``en_espera``) with the next number (``Call.waiting_issued``),
taken by a conditional update that is true only while the call is full, so a
place freed meanwhile is taken instead. Every move that gives a place back
moves up the first waiting applications (:func:`promote_waiting`) in the same
transaction, through :func:`transition`, while places are free. Every move
that touches the counters updates the call's row *before* the application's:
on PostgreSQL that row lock orders them (no deadlock between a cancellation
that promotes and a waiting person who cancels), and no place can free while
someone joins the list unseen. See docs/waiting-list.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from peewee import SQL, IntegrityError

from portal.applications import assistance, notices, upload_limits
from portal.applications.folio import new_folio
from portal.applications.storage import Storage
from portal.applications.uploads import CleanFile
from portal.backoffice import audit
from portal.backoffice.audit import SYSTEM as SYSTEM_ACTOR
from portal.backoffice.audit import Actor
from portal.catalog import store as catalog_store
from portal.catalog.store import engine_catalog, quota_used
from portal.citizens.models import ADDRESS_FIELDS as INEGI_ADDRESS_FIELDS
from portal.citizens.models import Identity, IdentityCheck
from portal.eligibility.engine import ALREADY_RECEIVES, CANNOT_COMBINE, Result, Status, evaluate
from portal.eligibility.profile import FIELDS, ProfileError, parse_profile
from portal.messages import Joined, Refusal, Text, _l
from portal.models import (
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
from portal.transparency import changes as open_data
from portal.vocabulary import (
    BENEFICIARY_STATUSES,
    HELD_STATUSES,
    LIVE_STATUSES,
    ActorKind,
    ApplicationStatus,
    AuditAction,
    DocumentStatus,
    EnrollmentSource,
    Role,
    status_action,
)
from portal.vocabulary import PLACE_STATUSES as HOLDING_PLACES
from portal.vocabulary import Assistance as Act
from portal.web.database import locked, write
from portal.web.tables import Prepared, Slot

S = ApplicationStatus
CITIZEN = ActorKind.CIUDADANO
STAFF = ActorKind.PERSONAL
SYSTEM = ActorKind.SISTEMA

# The one list of allowed moves: (from, to) -> who may make it. Staff may make
# the citizen's moves too, for people they serve at the counter (assisted mode).
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.BORRADOR, S.ENVIADA): frozenset({CITIZEN, STAFF}),
    (S.BORRADOR, S.CANCELADA): frozenset({CITIZEN, STAFF}),
    # A submission into a full call waits; the system moves it up when a
    # place frees (promote_waiting); the person may leave the list.
    (S.BORRADOR, S.EN_ESPERA): frozenset({CITIZEN, STAFF}),
    (S.EN_ESPERA, S.ENVIADA): frozenset({SYSTEM}),
    (S.EN_ESPERA, S.CANCELADA): frozenset({CITIZEN, STAFF}),
    (S.ENVIADA, S.EN_REVISION): frozenset({STAFF}),
    (S.ENVIADA, S.REQUIERE_CORRECCION): frozenset({STAFF}),
    (S.ENVIADA, S.APROBADA): frozenset({STAFF}),
    (S.ENVIADA, S.RECHAZADA): frozenset({STAFF}),
    (S.ENVIADA, S.CANCELADA): frozenset({CITIZEN, STAFF}),
    (S.EN_REVISION, S.REQUIERE_CORRECCION): frozenset({STAFF}),
    (S.EN_REVISION, S.APROBADA): frozenset({STAFF}),
    (S.EN_REVISION, S.RECHAZADA): frozenset({STAFF}),
    (S.EN_REVISION, S.CANCELADA): frozenset({CITIZEN, STAFF}),
    (S.REQUIERE_CORRECCION, S.ENVIADA): frozenset({CITIZEN, STAFF}),
    (S.REQUIERE_CORRECCION, S.RECHAZADA): frozenset({STAFF}),
    (S.REQUIERE_CORRECCION, S.CANCELADA): frozenset({CITIZEN, STAFF}),
    (S.APROBADA, S.ENTREGADA): frozenset({STAFF}),
    # Ending the benefit of an approved person (a duplicate record merged into
    # another, say): cancel() ends the enrollment in the same transaction.
    (S.APROBADA, S.CANCELADA): frozenset({STAFF}),
    # Re-certification (portal/delivery/recertification.py): the daily task
    # suspends an enrollment whose proof is late; staff accepting the proof
    # lift it; staff may end a suspended benefit like an approved one.
    (S.APROBADA, S.SUSPENDIDA): frozenset({SYSTEM}),
    (S.SUSPENDIDA, S.APROBADA): frozenset({STAFF}),
    (S.SUSPENDIDA, S.CANCELADA): frozenset({STAFF}),
}
# Moves a citizen makes; staff making them is "assisted" on the timeline.
CITIZEN_MOVES = frozenset(move for move, who in TRANSITIONS.items() if CITIZEN in who)
# Moves that judge the case: whoever helped the person file may not make them.
DECISIONS = frozenset({S.EN_REVISION, S.REQUIERE_CORRECCION, S.APROBADA, S.RECHAZADA})
# The statuses in which an application holds one of its call's places
# (Call.places_taken): from submission until it is rejected or cancelled.
# A waiting application (en_espera) is live but holds no place.
PLACE_STATUSES = frozenset(HOLDING_PLACES)
WAITING = S.EN_ESPERA

# Read with the status as a row holds it: a plain str (each ApplicationStatus is one).
# Marked with _l so that the interface's catalogs hold them (pages and notices show them).
STATUS_LABELS: dict[str, Text] = {
    S.BORRADOR: _l("Borrador"),
    S.ENVIADA: _l("Enviada"),
    S.EN_REVISION: _l("En revisión"),
    S.REQUIERE_CORRECCION: _l("Requiere corrección"),
    S.APROBADA: _l("Aprobada"),
    S.RECHAZADA: _l("Rechazada"),
    S.ENTREGADA: _l("Entregada"),
    S.CANCELADA: _l("Cancelada"),
    S.EN_ESPERA: _l("En lista de espera"),
    S.SUSPENDIDA: _l("Suspendida"),
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

# A case is held (``assigned_to``) by one reviewer while it waits for a decision
# (HELD_STATUSES), and comes back to them after a correction; on a decided case
# it only says who reviewed it.

CLOSED = _l("Este programa no recibe solicitudes en este momento.")
NO_PLACES = _l("Ya no hay lugares en esta convocatoria.")
# Stored on the timeline (Spanish, like every reason there).
WAITING_REASON = (
    "Los lugares de la convocatoria están ocupados: su solicitud quedó en la lista "
    "de espera y avanzará sola cuando se libere un lugar."
)
PROMOTED_REASON = (
    "Se liberó un lugar en la convocatoria: su solicitud salió de la lista de espera "
    "y la dependencia la revisará."
)
# Stored on the timeline: a suspension (portal/delivery/recertification.py) and its end.
SUSPENDED_REASON = (
    "No se presentó a tiempo el documento de re-certificación que el programa pide: "
    "el apoyo queda suspendido hasta que la dependencia acepte el documento."
)
REINSTATED_REASON = "Se aceptó el documento de re-certificación: el apoyo vuelve a entregarse."
ALREADY_APPLIED = _l("Ya tiene una solicitud en curso para este programa en esta convocatoria.")

# Called inside approve()'s transaction with the approved application, so other
# areas (the delivery credential) act atomically with the approval; what a hook
# returns is ignored.
on_approved: list[Callable[[Application], object]] = []
# Called inside cancel()'s transaction when an approved application is
# cancelled, with the actor and the reason (the credential is revoked).
on_cancelled: list[Callable[[Application, Actor, str], None]] = []
# Called inside transition()'s transaction with the moved application, its
# status before and after (the planning figures count decisions).
on_transition: list[Callable[[Application, str, str], None]] = []
# Called inside end_enrollment()'s transaction with the ended enrollment.
on_enrollment_ended: list[Callable[[Enrollment], None]] = []


class ApplicationError(Refusal):
    """Base class; ``message`` is plain Spanish for the person, in their language
    when read during their request (see :mod:`portal.messages`)."""


class TransitionNotAllowed(ApplicationError):
    pass


class Conflict(ApplicationError):
    """Someone changed the application since it was read."""


class Refused(ApplicationError):
    """Submission refused; ``reasons`` lists every reason in plain Spanish."""

    def __init__(self, reasons: Iterable[Text]) -> None:
        self.texts = list(reasons)
        super().__init__(Joined(self.texts))

    @property
    def reasons(self) -> list[str]:
        return [str(reason) for reason in self.texts]


class NoPlacesLeft(Refused):
    """The call's places were all taken (the conditional update matched no row);
    :func:`submit` puts the application on the waiting list instead."""

    def __init__(self) -> None:
        super().__init__([NO_PLACES])


class PlacesLeft(ApplicationError):
    """The call has a place free: an application does not wait (the conditional
    update that joins the list matched no row); :func:`submit` takes the place."""


class DuplicateEnrollment(ApplicationError):
    pass


class SeparationOfDuties(ApplicationError):
    """The staff member helped prepare the case (or reviewed it, for an override)."""


@dataclass(frozen=True)
class Blocker:
    """One reason an approval cannot go ahead, in plain Spanish.

    ``overridable`` blockers (the rules, the answers, the documents) may be
    passed over by a supervisor's audited exception; the others never: a
    second enrollment in an exclusion group, a full call, a program closed.
    """

    text: Text
    overridable: bool = True


class ApprovalBlocked(ApplicationError):
    """Approval refused; ``blockers`` lists every reason."""

    def __init__(self, blockers: Iterable[Blocker]) -> None:
        self.blockers = list(blockers)
        super().__init__(Joined(b.text for b in self.blockers))


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
            _l(
                "No se puede pasar de «%(before)s» a «%(after)s».",
                before=STATUS_LABELS[from_status],
                after=STATUS_LABELS[to],
            )
        )
    if to in DECISIONS:
        check_may_decide(application, actor)
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
        # The call's row first (see the module docstring); a Conflict below
        # rolls the counters back with everything else.
        freed = _move_places(application.call_id, from_status, to, values)
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
                _l("La solicitud cambió mientras la veía. Vuelva a cargarla y revise su estado.")
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
            status_action(to),
            actor,
            object_type="solicitud",
            object_id=fresh.folio,
            details={"de": from_status, "a": to, "version": fresh.version},
        )
        notices.status_changed(fresh, reason)
        open_data.mark_changed(open_data.APPLICATIONS)
        for hook in on_transition:
            hook(fresh, from_status, to)
        if freed:
            promote_waiting(application.call_id)
    _refresh(application, fresh)
    notices.wake()
    return application


def _move_places(call_id: int, from_status: str, to: str, values: dict[Any, Any]) -> bool:
    """The call's counters for a move from ``from_status`` to ``to``; whether a
    place was given back. Joining the waiting list sets the application's
    number in ``values``."""
    freed = False
    if from_status not in PLACE_STATUSES and to in PLACE_STATUSES:
        take_place(call_id)
    elif from_status in PLACE_STATUSES and to not in PLACE_STATUSES:
        give_back_place(call_id)
        freed = True
    if from_status == WAITING:
        Call.update(places_waiting=Call.places_waiting - 1).where(Call.id == call_id).execute()
    if to == WAITING:
        values[Application.waiting_number] = join_waiting(call_id)
    return freed


def take_place(call_id: int) -> None:
    """Take one of the call's places, or :class:`NoPlacesLeft`.

    Called inside the transaction that moves an application into a live
    status. The condition is in the UPDATE itself, so the database decides:
    on PostgreSQL a second writer waits for the row lock and then re-reads the
    counter; on SQLite writers are serialized by ``BEGIN IMMEDIATE``. Either
    way no two submissions take the last place. Calls without a quota count too,
    so a quota set later by a catalog edit starts from the right figure.
    """
    taken = (
        Call.update(places_taken=Call.places_taken + 1)
        .where((Call.id == call_id) & (Call.quota.is_null() | (Call.places_taken < Call.quota)))
        .execute()
    )
    if taken != 1:
        raise NoPlacesLeft()


def join_waiting(call_id: int) -> int:
    """The next number on the call's waiting list, or :class:`PlacesLeft`.

    A conditional update like :func:`take_place`'s, true only while every
    place is taken: on PostgreSQL it waits for a writer that is freeing a
    place and then re-reads the counter, so nobody joins the list while a
    place is free; the row lock it takes is held until commit, so the
    promotion of a place freed later sees this application.
    """
    joined = (
        Call.update(places_waiting=Call.places_waiting + 1, waiting_issued=Call.waiting_issued + 1)
        .where((Call.id == call_id) & Call.quota.is_null(False) & (Call.places_taken >= Call.quota))
        .execute()
    )
    if joined != 1:
        raise PlacesLeft(_l("Hay lugares en esta convocatoria: la solicitud no necesita esperar."))
    # The row is ours until commit (locked by the update, or BEGIN IMMEDIATE).
    return Call.select(Call.waiting_issued).where(Call.id == call_id).scalar()


def promote_waiting(call_id: int) -> list[Application]:
    """Move up the first waiting applications while the call has places free.

    Called inside the transaction that gave a place back (or raised the quota,
    through :data:`portal.catalog.store.on_calls_saved`), after that counter
    update: this transaction holds the call's row, so two places freed at once
    by two transactions move two different people, one after the other, and
    never more than the places free. Each moves through :func:`transition`
    (which takes its place with the conditional update), with its timeline
    entry, audit entry and notice.
    """
    promoted: list[Application] = []
    with write():
        call = locked(Call.select().where(Call.id == call_id)).first()
        if call is None or call.places_waiting == 0:
            return promoted
        free = call.places_waiting if call.quota is None else call.quota - call.places_taken
        if free <= 0:
            return promoted
        first = (
            Application.select()
            .where((Application.call == call_id) & SQL(WAITING_ROWS))
            .order_by(Application.waiting_number)
            .limit(free)
        )
        for application in list(first):
            transition(application, S.ENVIADA, SYSTEM_ACTOR, PROMOTED_REASON)
            promoted.append(application)
    return promoted


# Spelled as the partial index application_waiting_list says it, so the
# planners (SQLite's above all) use that index for the list's reads.
WAITING_ROWS = f"status = '{WAITING.value}'"


def waiting_position(application: Application) -> int | None:
    """The application's place on its call's waiting list (1: the next to move
    up), or None when it is not waiting. A count of the numbers before its own
    on the partial index of the call's waiting rows: it reads only that call's
    list, never the registry (measured in bench/waiting_list.py)."""
    if application.status != WAITING or application.waiting_number is None:
        return None
    ahead = (
        Application.select(Application.id)
        .where(
            (Application.call == application.call_id)
            & SQL(WAITING_ROWS)
            & (Application.waiting_number < application.waiting_number)
        )
        .count()
    )
    return ahead + 1


def give_back_place(call_id: int) -> None:
    """Free the place an application held, in the transaction that moved it out
    of a live status (the CHECK ``places_taken >= 0`` catches a double return)."""
    Call.update(places_taken=Call.places_taken - 1).where(Call.id == call_id).execute()


def _refresh(row: Any, fresh: Any = None) -> Any:
    """Bring ``row`` (an Application or Enrollment the caller holds) up to date
    in place, from ``fresh`` or the database."""
    fresh = fresh if fresh is not None else type(row).get_by_id(row.id)
    row.__data__.update(fresh.__data__)
    row._dirty.clear()
    return row


def check_may_decide(application: Application, actor: Actor) -> None:
    """Only staff of the program's agency (or the state admin) judge a case, and,
    for the separation of duties, not those who registered the person, answered
    their questionnaire, filed or uploaded for them."""
    if not actor.is_staff:
        return
    if actor.role != Role.ADMIN_ESTATAL:
        agency_id = Program.select(Program.agency).where(Program.id == application.program_id)
        if actor.agency_id is None or actor.agency_id != agency_id.scalar():
            raise NotFound(_l("No encontramos esa solicitud."))
    if actor.id in assistance.helpers_of(application):
        raise SeparationOfDuties(
            _l(
                "Usted ayudó a preparar esta solicitud en la ventanilla (registro, "
                "cuestionario, solicitud o documentos): otra persona de la dependencia "
                "debe revisarla y decidirla."
            )
        )


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
    guardian: Citizen | None = None,
    guardian_relation: str = "",
) -> Application:
    """The draft for this form, creating it once whatever the number of posts.

    ``guardian``: the parent or guardian applying for ``citizen``, a child of
    their household, and ``guardian_relation`` how they are related (required
    with it; see portal/applications/guardian.py).

    A repeated post with the same key returns the same draft; a person who
    already has a draft for the program's open call gets that one back
    (resuming it, from any device). The database holds one draft per person
    and call (``application_one_draft_per_call``), so parallel posts with
    different keys also end with that one draft.

    Raises :class:`Refused`, writing nothing, when the person could not send
    it (:func:`start_refusals`): no call open, the engine says they may not
    receive the program (its rules, or a program of its exclusion group
    already received), an application already in course, no places left.
    """
    if (guardian is None) != (not guardian_relation) or getattr(guardian, "id", 0) == citizen.id:
        raise ValueError("a guardian needs a relation, and is not the person applied for")
    guardian_id = guardian.id if guardian is not None else None
    on = on or dt.date.today()
    existing = Application.get_or_none(Application.idempotency_key == idempotency_key)
    if existing is not None:
        if existing.citizen_id != citizen.id or existing.guardian_id != guardian_id:
            raise NotFound(_l("No encontramos esa solicitud."))
        return existing
    call = open_call(program, on)
    if call is None or not program.active:
        raise Refused([CLOSED])
    draft = _draft_in(citizen, call)
    if draft is not None:
        if guardian_id is not None and draft.guardian_id != guardian_id:
            # The child's draft another person started: theirs to follow.
            raise Refused([ALREADY_APPLIED])
        return draft
    reasons = start_refusals(citizen, program, call, on)
    if reasons:
        raise Refused(reasons)
    for _attempt in range(5):
        try:
            with write():
                draft = Application.create(
                    folio=new_folio(folio_prefix),
                    citizen=citizen,
                    program=program,
                    call=call,
                    program_version=program.version,
                    idempotency_key=idempotency_key,
                    answers=dict(answers or snapshot_answers(citizen)),
                    assisted_by=assisted_by,
                    municipality=citizen.municipality_id or "",
                    guardian=guardian_id,
                    guardian_relation=guardian_relation,
                )
                if assisted_by is not None:
                    assistance.note(citizen.id, Actor(STAFF, assisted_by), Act.SOLICITUD, draft.id)
                return draft
        except IntegrityError:
            # The same form posted twice at once, another post creating this
            # person's draft for the call meanwhile (the one-draft index), or a
            # folio collision (see portal/applications/folio.py): in the first
            # two cases the other post's draft is there now.
            existing = Application.get_or_none(
                Application.idempotency_key == idempotency_key
            ) or _draft_in(citizen, call)
            if existing is not None:
                return existing
    raise ApplicationError(_l("No pudimos crear la solicitud. Inténtelo de nuevo."))


def _draft_in(citizen: Citizen, call: Call) -> Application | None:
    return Application.get_or_none(
        (Application.citizen == citizen)
        & (Application.call == call)
        & (Application.status == S.BORRADOR)
    )


def start_refusals(citizen: Citizen, program: Program, call: Call, on: dt.date) -> list[Text]:
    """Why a draft for ``call`` could never be sent (empty: it may be started).

    Missing answers do not refuse: the draft's page names them and links to
    the questionnaire. Everything else :func:`submit` would refuse does.
    """
    live = Application.get_or_none(
        (Application.citizen == citizen)
        & (Application.call == call)
        & Application.status.in_(LIVE_STATUSES)
    )
    if live is not None:
        return [ALREADY_APPLIED]
    result = program_result(citizen, program, on)
    if result is None:
        return [CLOSED]
    reasons: list[Text] = []
    if result.status is Status.NOT_ELIGIBLE:
        reasons += result.reasons
    # A full call refuses nobody: the submission waits for a place.
    return reasons


def snapshot_answers(citizen: Citizen) -> dict[str, Any]:
    """What the person confirmed when applying: address, contact, questionnaire."""
    answers: dict[str, Any] = {name: getattr(citizen, name) for name in ADDRESS_FIELDS}
    answers["municipality"] = citizen.municipality_id or ""
    answers["email"] = citizen.email
    answers["phone"] = citizen.phone
    answers["profile"] = dict(citizen.profile or {})
    return answers


_REQUIREMENTS = Prepared(
    lambda: (
        Requirement.select()
        .where(Requirement.program == Slot("program"))
        .order_by(Requirement.position, Requirement.id)
    )
)
_CURRENT_DOCUMENTS = Prepared(
    lambda: Document.select().where(
        (Document.application == Slot("application")) & (Document.current == True)  # noqa: E712
    )
)
_ENROLLED = Prepared(
    lambda: (
        Program.select(Program.slug)
        .join(Enrollment)
        .where((Enrollment.citizen == Slot("citizen")) & (Enrollment.active == True))  # noqa: E712
        .tuples()
    )
)


# The catalog's document that proves a person's CURP (its slug in every file).
CURP_DOCUMENT = "curp"
# How a person's CURP is already proven, so its document is not asked again.
CURP_BY_DIGITAL_ID = "llave_digital"  # the digital ID sent it, checked by the state
CURP_BY_COUNTER = "ventanilla"  # staff checked it against the person's ID at a counter


def curp_proof(citizen_id: int) -> str | None:
    """How the person's CURP is proven (:data:`CURP_BY_DIGITAL_ID`,
    :data:`CURP_BY_COUNTER`), or None: a record a roll imported, say."""
    if Identity.select().where(Identity.citizen == citizen_id).exists():
        return CURP_BY_DIGITAL_ID
    if IdentityCheck.select().where(IdentityCheck.citizen == citizen_id).exists():
        return CURP_BY_COUNTER
    return None


def waived_requirements(
    application: Application, program_requirements: list[Requirement] | None = None
) -> list[Requirement]:
    """The program's documents this person need not bring: the CURP document
    when their CURP is proven (``program_requirements``: the program's, when
    the caller has read them)."""
    if program_requirements is None:
        program_requirements = list(_REQUIREMENTS(program=application.program_id))
    curp_documents = [r for r in program_requirements if r.slug == CURP_DOCUMENT]
    if not curp_documents or curp_proof(application.citizen_id) is None:
        return []
    return curp_documents


def required_requirements(application: Application) -> list[Requirement]:
    """The documents this application asks for: the program's, less the waived
    ones. The documents page, submission, corrections and approval all ask here."""
    program_requirements = list(_REQUIREMENTS(program=application.program_id))
    waived = {r.id for r in waived_requirements(application, program_requirements)}
    return [r for r in program_requirements if r.id not in waived]


def current_documents(application: Application) -> dict[int, Document]:
    """The current version of each uploaded requirement, by requirement id."""
    return {d.requirement_id: d for d in _CURRENT_DOCUMENTS(application=application.id)}


def missing_requirements(
    application: Application,
    requirements: list[Requirement] | None = None,
    current: Mapping[int, Document] | None = None,
) -> list[Requirement]:
    """The required documents not uploaded yet; a page that has read the
    requirements and current documents already passes them."""
    have = current_documents(application) if current is None else current
    needed = required_requirements(application) if requirements is None else requirements
    return [r for r in needed if not r.optional and r.id not in have]


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
        raise NotFound(_l("Ese documento no es de este programa."))
    if not may_change_document(application, requirement.id):
        raise TransitionNotAllowed(_l("Ya no puede cambiar este documento."))
    return _store_document(application, requirement, clean, storage, actor)


# The statuses in which a beneficiary presents a re-certification's proof.
RENEWING_STATUSES = frozenset({S.APROBADA, S.SUSPENDIDA})


def add_renewal_document(
    application: Application,
    requirement: Requirement,
    clean: CleanFile,
    storage: Storage,
    actor: Actor,
    then: Callable[[Document], None],
) -> Document:
    """Store the proof a re-certification asks for as a new version of its
    requirement, as :func:`add_document` stores any document (the same caps,
    nothing half-written); ``then`` runs in the same transaction with the new
    version (portal/delivery/recertification.py links it to its due date).
    Only while the person receives the program (approved or suspended)."""
    if requirement.program_id != application.program_id:
        raise NotFound(_l("Ese documento no es de este programa."))
    if application.status not in RENEWING_STATUSES:
        raise TransitionNotAllowed(_l("Ya no puede cambiar este documento."))
    return _store_document(application, requirement, clean, storage, actor, then)


def _store_document(
    application: Application,
    requirement: Requirement,
    clean: CleanFile,
    storage: Storage,
    actor: Actor,
    then: Callable[[Document], None] | None = None,
) -> Document:
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
            superseded = upload_limits.settle(document)  # caps; old draft versions go
            assistance.note(application.citizen_id, actor, Act.DOCUMENTO, application.id)
            audit.record(
                AuditAction.DOCUMENT_UPLOAD,
                actor,
                object_type="solicitud",
                object_id=application.folio,
                details={"requisito": requirement.slug, "version": document.version},
            )
            if then is not None:
                then(document)
    except BaseException:
        # Nothing half-written: a blob without its row is removed.
        storage.delete(key)
        raise
    upload_limits.discard(superseded, storage)
    return document


def may_change_document(application: Application, requirement_id: int) -> bool:
    if application.status == S.BORRADOR:
        return True
    correction = Correction.of(application)
    return (
        application.status == S.REQUIERE_CORRECCION
        and correction is not None
        and requirement_id in correction.documents
    )


def person_profile(
    citizen: Citizen, on: dt.date, *, enrolled: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Questionnaire answers overlaid with identity from the digital ID and the
    enrollments the portal knows about, which the person cannot change.

    ``enrolled``: the slugs of the programs the person receives, when the
    caller read them for many people at once (portal/outreach/screening.py)."""
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
    if enrolled is None:
        enrolled = tuple(slug for (slug,) in _ENROLLED(citizen=citizen.id))
    profile["enrolled"] = enrolled
    return profile


def program_result(citizen: Citizen, program: Program, on: dt.date) -> Result | None:
    """The engine's verdict on the person for this program (None: not in the catalog)."""
    results = evaluate(person_profile(citizen, on), engine_catalog(), on, quota_used=quota_used(on))
    return next((r for r in results if r.program == program.slug), None)


def _is_duplicate(reason: str) -> bool:
    """Whether an engine reason is about programs already received."""
    return reason == ALREADY_RECEIVES or reason.startswith(CANNOT_COMBINE.split("{")[0])


def rule_reasons(citizen: Citizen, program: Program, on: dt.date) -> list[str]:
    """Why the person's record falls outside the program's population group
    (empty when it fits or the answers are still missing)."""
    result = program_result(citizen, program, on)
    if result is None:
        return []
    return [r for r in result.reasons if not _is_duplicate(r)]


def missing_answers(citizen: Citizen, program: Program, on: dt.date) -> tuple[str, ...]:
    """The answers the engine still needs to decide whether the person may receive it."""
    result = program_result(citizen, program, on)
    if result is None or result.status is not Status.MAYBE:
        return ()
    return tuple(result.missing)


def eligibility_reasons(citizen: Citizen, program: Program, on: dt.date) -> list[Text]:
    """Why the person cannot apply today (empty when they can)."""
    call = open_call(program, on)
    if call is None or not program.active:
        return [CLOSED]
    result = program_result(citizen, program, on)
    if result is None:
        return [CLOSED]
    reasons: list[Text] = list(result.reasons)
    if result.status is Status.MAYBE:
        reasons.append(
            _l(
                "Nos faltan datos para saber si puede recibir este programa: %(fields)s.",
                fields=", ".join(FIELDS[name].label for name in result.missing),
            )
        )
    # A full call (result.quota_full) is no reason: the application waits.
    return reasons


def submit(application: Application, actor: Actor, *, on: dt.date | None = None) -> Application:
    """Send a draft. Idempotent: an application already sent is returned as is.

    Re-checks, against the current catalog, the open call and the person's
    enrollments; every reason is in :class:`Refused`. A second live
    application to the same call is refused by the database itself. When the
    call's places are all taken the application joins its waiting list
    (``en_espera``) instead of being refused (:func:`_send`).
    """
    if application.status != S.BORRADOR:
        if application.status in LIVE_STATUSES:
            return application
        raise TransitionNotAllowed(_l("Esta solicitud ya no se puede enviar."))
    on = on or dt.date.today()
    program = Program.get_by_id(application.program_id)
    citizen = Citizen.get_by_id(application.citizen_id)
    reasons = eligibility_reasons(citizen, program, on)
    if application.call_id != getattr(open_call(program, on), "id", None) and not reasons:
        reasons.append(_l("La convocatoria de esta solicitud ya cerró."))
    missing = missing_requirements(application)
    reasons += [_l("Falta el documento «%(name)s».", name=r.name) for r in missing]
    if reasons:
        raise Refused(reasons)
    try:
        with write():
            assistance.note(application.citizen_id, actor, Act.SOLICITUD, application.id)
            _send(application, actor)
    except IntegrityError:
        raise Refused([ALREADY_APPLIED]) from None
    notices.wake()  # after the commit: the queue must see the notice
    return application


# Each retry of _send means another writer freed or took a place between its
# two conditional updates (PostgreSQL): a handful is plenty.
SEND_ATTEMPTS = 5


def _send(application: Application, actor: Actor) -> Application:
    """Take a place (``enviada``), or wait for one (``en_espera``): whichever of
    the two conditional updates the database finds true. Each runs in a
    savepoint, so the one that fails leaves nothing behind."""
    changes = {"submitted_at": application.submitted_at or utcnow()}
    for _attempt in range(SEND_ATTEMPTS):
        try:
            with write():
                return transition(application, S.ENVIADA, actor, changes=changes)
        except NoPlacesLeft:
            pass
        try:
            with write():
                return transition(application, WAITING, actor, WAITING_REASON, changes=changes)
        except PlacesLeft:
            continue
    raise ApplicationError(_l("No pudimos enviar la solicitud. Inténtelo de nuevo."))


def cancel(
    application: Application, actor: Actor, reason: str = "", *, cause: str = ""
) -> Application:
    """Cancel; an approved application's enrollment ends in the same transaction
    (``cause``: the end cause's code, portal/delivery/ending.py, for the audit)."""
    with write():
        # A suspended benefit is still an enrollment that must end.
        was_approved = application.status in (S.APROBADA, S.SUSPENDIDA)
        transition(application, S.CANCELADA, actor, reason)
        if was_approved:
            for enrollment in locked(
                Enrollment.select().where(
                    (Enrollment.application == application.id) & Enrollment.active
                )
            ):
                end_enrollment(
                    enrollment, actor, reason or "Solicitud cancelada", notify=False, cause=cause
                )
            for hook in on_cancelled:
                hook(application, actor, reason)
    notices.wake()
    return application


def enroll(
    citizen_id: int,
    program: Program,
    actor: Actor,
    *,
    application: Application | None = None,
    source: str = EnrollmentSource.SOLICITUD,
) -> Enrollment:
    """Start receiving ``program``; the database refuses a second active
    enrollment in the same exclusion group (IntegrityError for the caller)."""
    with write():
        enrollment = Enrollment.create(
            citizen=citizen_id,
            program=program,
            exclusion_key=program.exclusion_key,
            application=application,
            source=source,
            benefit_amount=program.benefit_amount,
        )
        open_data.mark_changed(open_data.BENEFICIARIES, program.id)
        audit.record(
            AuditAction.ENROLLMENT_START,
            actor,
            object_type="inscripcion",
            object_id=enrollment.id,
            details={"programa": program.slug, "origen": source},
        )
    return enrollment


def end_enrollment(
    enrollment: Enrollment,
    actor: Actor,
    reason: str,
    *,
    on: dt.date | None = None,
    notify: bool = True,
    cause: str = "",
) -> Enrollment:
    """End an active enrollment (it stays, inactive, as history) with a reason
    the person is told in their inbox; ``cause`` is the end cause's code."""
    on = on or dt.date.today()
    with write():
        updated = (
            Enrollment.update(active=False, ended_on=on, end_reason=reason)
            .where((Enrollment.id == enrollment.id) & Enrollment.active)
            .execute()
        )
        if updated != 1:
            raise Conflict(_l("Esta inscripción ya había terminado."))
        open_data.mark_changed(open_data.BENEFICIARIES, enrollment.program_id)
        audit.record(
            AuditAction.ENROLLMENT_END,
            actor,
            object_type="inscripcion",
            object_id=enrollment.id,
            details={"programa": enrollment.program_id, **({"causa": cause} if cause else {})},
        )
        if notify:
            notices.enrollment_ended(enrollment, reason)
        for hook in on_enrollment_ended:
            hook(enrollment)
    return _refresh(enrollment)


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
        raise ApplicationError(_l("Indique qué documentos o datos hay que corregir."))
    if not message:
        raise ApplicationError(_l("Explique a la persona qué debe corregir."))
    unknown = [f for f in fields if f not in CORRECTABLE_FIELDS]
    if unknown:
        raise ApplicationError(
            _l("No se puede pedir corregir: %(fields)s.", fields=", ".join(unknown))
        )
    own = {r.id for r in required_requirements(application)}
    if not set(documents) <= own:
        raise ApplicationError(_l("Alguno de los documentos no es de este programa."))
    correction = {"documents": list(documents), "fields": list(fields), "message": message}
    return transition(
        application,
        S.REQUIERE_CORRECCION,
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
    if application.status != S.REQUIERE_CORRECCION or correction is None:
        raise TransitionNotAllowed(_l("Esta solicitud no tiene correcciones pendientes."))
    asked_at = (
        ApplicationEvent.select(ApplicationEvent.created_at)
        .where(
            (ApplicationEvent.application == application)
            & (ApplicationEvent.to_status == S.REQUIERE_CORRECCION)
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
        raise Refused([_l("Falta subir de nuevo «%(name)s».", name=name) for name in stale])
    answers = dict(application.answers or {})
    for name in correction.fields:
        answers[name] = (field_values or {}).get(name, answers.get(name, ""))
    return transition(
        application,
        S.ENVIADA,
        actor,
        "Corrección enviada",
        changes={"answers": answers, "correction": None},
    )


def reject(
    application: Application, actor: Actor, reason: str, *, expected_version: int | None = None
) -> Application:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_l("Escriba el motivo del rechazo: la persona lo verá."))
    return transition(
        application,
        S.RECHAZADA,
        actor,
        reason,
        expected_version=expected_version,
        changes={"decision_reason": reason, "decided_at": utcnow()},
    )


def approval_blockers(
    application: Application,
    on: dt.date | None = None,
    *,
    program: Program | None = None,
    citizen: Citizen | None = None,
    call: Call | None = None,
    requirements: list[Requirement] | None = None,
    current: Mapping[int, Document] | None = None,
) -> list[Blocker]:
    """Every reason the application cannot be approved on ``on`` (empty: it can).

    Re-judges it as of the decision date: the program's population-group rules
    against the person's *current* record, the programs they already receive
    (same program, same exclusion group), the call it was filed in and that
    call's places, and every required document, which must be accepted. A
    page that has read the program, the person, the call, the requirements
    and the current documents already passes them; a decision reads them afresh.
    """
    on = on or dt.date.today()
    if program is None:
        program = Program.get_by_id(application.program_id)
    if citizen is None:
        citizen = Citizen.get_by_id(application.citizen_id)
    if call is None:
        call = Call.get_by_id(application.call_id)
    blockers: list[Blocker] = []
    if not program.active:
        blockers.append(Blocker(_l("El programa ya no recibe solicitudes."), overridable=False))
    result = program_result(citizen, program, on)
    if result is not None:
        for reason in result.reasons:
            blockers.append(Blocker(reason, overridable=not _is_duplicate(reason)))
        if result.status is Status.MAYBE:
            labels = ", ".join(FIELDS[f].label if f in FIELDS else f for f in result.missing)
            blockers.append(
                Blocker(
                    _l(
                        "Faltan datos de la persona para saber si cumple las reglas: %(labels)s.",
                        labels=labels,
                    )
                )
            )
    submitted = application.submitted_at.date() if application.submitted_at else None
    if submitted is not None and not (call.opens <= submitted <= call.closes):
        blockers.append(
            Blocker(_l("La solicitud no se envió dentro de su convocatoria."), overridable=False)
        )
    if call.quota is not None and call.places_taken > call.quota:
        # Every live application holds a place, so within the counter this one
        # has its place. More holders than places happen only when a catalog
        # edit lowered the quota (or with data from before the counter): then
        # the approved ones are counted, and the first quota of them stand.
        # Counted up to the quota: whether it is reached is all that matters.
        taken = (
            Application.select(Application.id)
            .where(
                (Application.call == call.id)
                & Application.status.in_(BENEFICIARY_STATUSES)
                & (Application.id != application.id)
            )
            .limit(call.quota)
            .count()
        )
        if taken >= call.quota:
            blockers.append(
                Blocker(
                    _l(
                        "Ya se aprobaron los %(quota)s lugares de esta convocatoria.",
                        quota=call.quota,
                    ),
                    overridable=False,
                )
            )
    blockers += document_blockers(application, requirements, current)
    return blockers


def document_blockers(
    application: Application,
    requirements: list[Requirement] | None = None,
    current: Mapping[int, Document] | None = None,
) -> list[Blocker]:
    """Each required document that is not there and accepted."""
    docs = current_documents(application) if current is None else current
    needed = required_requirements(application) if requirements is None else requirements
    blockers = []
    for requirement in needed:
        doc = docs.get(requirement.id)
        if doc is None:
            if not requirement.optional:
                blockers.append(
                    Blocker(_l("Falta el documento «%(name)s».", name=requirement.name))
                )
        elif doc.status == DocumentStatus.RECHAZADO:
            rejected = (
                _l(
                    "El documento «%(name)s» fue rechazado: %(why)s",
                    name=requirement.name,
                    why=doc.review_reason,
                )
                if doc.review_reason
                else _l("El documento «%(name)s» fue rechazado.", name=requirement.name)
            )
            blockers.append(Blocker(rejected))
        elif doc.status != DocumentStatus.ACEPTADO and not requirement.optional:
            blockers.append(
                Blocker(
                    _l(
                        "Falta revisar el documento «%(name)s»: "
                        "márquelo como aceptado antes de aprobar.",
                        name=requirement.name,
                    )
                )
            )
    return blockers


def _check_current(application: Application, expected_version: int | None) -> None:
    """:class:`Conflict` when the case changed since the version the actor saw,
    so a stale form is told so before anything is judged."""
    fresh = Application.get_by_id(application.id)
    seen = application.version if expected_version is None else expected_version
    if fresh.version != seen or fresh.status != application.status:
        raise Conflict(
            _l("La solicitud cambió mientras la veía. Vuelva a cargarla y revise su estado.")
        )


def check_may_override(application: Application, actor: Actor) -> None:
    """Only a supervisor of the program's agency who had no hand in the case."""
    program = Program.get_by_id(application.program_id)
    if actor.role != Role.SUPERVISOR or actor.agency_id != program.agency_id:
        raise SeparationOfDuties(
            _l("Solo la supervisión de la dependencia del programa puede aprobar con excepción.")
        )
    if actor.id in assistance.helpers_of(application) | assistance.reviewers_of(application):
        raise SeparationOfDuties(
            _l(
                "Usted ayudó a preparar o revisó esta solicitud: otra persona de la "
                "supervisión debe autorizar la excepción."
            )
        )


def approve(
    application: Application,
    actor: Actor,
    expected_version: int | None = None,
    *,
    override_reason: str = "",
    on: dt.date | None = None,
) -> Application:
    """Approve and enrol in one transaction, if every gate passes.

    Raises :class:`ApprovalBlocked` with every reason when a gate fails
    (:func:`approval_blockers`). A supervisor may pass over the overridable
    ones with ``override_reason`` (:func:`check_may_override`): the exception
    is kept on the application, on the person's timeline and in the audit
    trail. :class:`DuplicateEnrollment` when the database refuses a second
    enrollment in the same exclusion group (someone else approved meanwhile).
    """
    override_reason = override_reason.strip()
    _check_current(application, expected_version)
    if not can(application, S.APROBADA, actor):
        raise TransitionNotAllowed(_l("Esta solicitud ya no se puede aprobar."))
    check_may_decide(application, actor)
    blockers = approval_blockers(application, on)
    overridden: list[Blocker] = []
    if blockers:
        if not override_reason or any(not b.overridable for b in blockers):
            audit.record(
                AuditAction.APPROVAL_REFUSED,
                actor,
                object_type="solicitud",
                object_id=application.folio,
                outcome=S.RECHAZADA,
                details={"impedimentos": len(blockers), "excepcion": bool(override_reason)},
            )
            raise ApprovalBlocked(blockers)
        check_may_override(application, actor)
        overridden = blockers
    program = Program.get_by_id(application.program_id)
    changes: dict[str, Any] = {"decided_at": utcnow()}
    reason = ""
    if overridden:
        changes |= {"override_by": actor.id, "override_reason": override_reason}
        reason = "Aprobada con excepción autorizada por la supervisión: " + override_reason
    try:
        with write():
            transition(
                application,
                S.APROBADA,
                actor,
                reason,
                expected_version=expected_version,
                changes=changes,
            )
            if overridden:
                audit.record(
                    AuditAction.APPROVAL_OVERRIDE,
                    actor,
                    object_type="solicitud",
                    object_id=application.folio,
                    details={"impedimentos": len(overridden)},
                )
            enroll(application.citizen_id, program, actor, application=application)
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
        _refresh(application)
        name = other.name if other else program.name
        raise DuplicateEnrollment(
            _l(
                "No se puede aprobar: la persona ya recibe «%(other)s», que no se puede "
                "combinar con «%(program)s».",
                other=name,
                program=program.name,
            )
            if other and other.name != program.name
            else _l(
                "No se puede aprobar: la persona ya recibe «%(program)s».", program=program.name
            )
        ) from None
    notices.wake()
    return application


def review_document(
    application: Application,
    document: Document,
    decision: str,
    actor: Actor,
    *,
    reason: str = "",
    expected_version: int | None = None,
) -> Document:
    """A reviewer's verdict on one document of a case waiting for a decision.

    Part of the case: a stale ``expected_version`` means someone decided
    meanwhile, and this verdict must not land (:class:`Conflict`). A rejected
    document tells the person why, in their inbox.
    """
    decision = DocumentStatus(decision)
    reason = reason.strip()
    if decision == DocumentStatus.RECHAZADO and not reason:
        raise ApplicationError(_l("Escriba por qué se rechaza el documento: la persona lo verá."))
    if document.application_id != application.id or not document.current:
        raise NotFound(_l("Ese documento no es de esta solicitud."))
    check_may_decide(application, actor)
    version = application.version if expected_version is None else expected_version
    with write():
        current = locked(
            Application.select().where(
                (Application.id == application.id) & (Application.version == version)
            )
        ).first()
        if current is None:
            raise Conflict(_l("La solicitud cambió mientras la veía. Vuelva a cargarla."))
        if current.status not in (S.ENVIADA, S.EN_REVISION):
            raise TransitionNotAllowed(_l("Esta solicitud ya no está por revisar."))
        Document.update(status=decision, review_reason=reason, reviewed_by=actor.id).where(
            Document.id == document.id
        ).execute()
        audit.record(
            AuditAction(f"documento.{decision}"),
            actor,
            object_type="solicitud",
            object_id=application.folio,
            details={"documento": document.id},
        )
        fresh = Document.get_by_id(document.id)
        if decision == DocumentStatus.RECHAZADO:
            notices.document_rejected(current, fresh)
    notices.wake()
    return fresh


def take(application: Application, actor: Actor, expected_version: int) -> Application:
    """A reviewer takes a case: a submitted one goes into review, held by them;
    one already in review (released by someone else) is only assigned."""
    if application.status == S.ENVIADA:
        return transition(
            application,
            S.EN_REVISION,
            actor,
            expected_version=expected_version,
            changes={"assigned_to": actor.id},
        )
    if application.status not in (S.EN_REVISION,):
        raise TransitionNotAllowed(_l("Esta solicitud ya no está por revisar."))
    check_may_decide(application, actor)
    with write():
        updated = (
            Application.update(
                assigned_to=actor.id, version=Application.version + 1, updated_at=utcnow()
            )
            .where(
                (Application.id == application.id)
                & (Application.version == expected_version)
                & (Application.assigned_to.is_null() | (Application.assigned_to == actor.id))
            )
            .execute()
        )
        if updated != 1:
            raise Conflict(_l("La solicitud cambió mientras la veía. Vuelva a cargarla."))
        audit.record(
            AuditAction.CASE_TAKE, actor, object_type="solicitud", object_id=application.folio
        )
    _refresh(application)
    return application


def toggle_flag(application: Application, actor: Actor) -> Application:
    """Mark or unmark a case for attention (no status change, no version bump)."""
    with write():
        Application.update(flagged=~Application.flagged).where(
            Application.id == application.id
        ).execute()
        audit.record(
            AuditAction.CASE_FLAG, actor, object_type="solicitud", object_id=application.folio
        )
    _refresh(application)
    return application


def deliver(application: Application, actor: Actor, reason: str) -> Application:
    """Record that the approved person received the benefit: exactly once,
    since the conditional update of :func:`transition` lets one request win.
    Called by ``portal.delivery.handover.confirm_delivery`` inside its transaction."""
    return transition(application, S.ENTREGADA, actor, reason)


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
        raise TransitionNotAllowed(_l("Nadie tiene esta solicitud: no hay nada que soltar."))
    if application.status not in HELD_STATUSES:
        raise TransitionNotAllowed(_l("Esta solicitud ya no está por revisar."))
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
            raise Conflict(_l("La solicitud cambió mientras la veía. Vuelva a cargarla."))
        audit.record(
            AuditAction.CASE_RELEASE,
            actor,
            object_type="solicitud",
            object_id=application.folio,
            details={"personal": holder, "motivo": reason},
        )
    _refresh(application)
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


_TIMELINE = Prepared(
    lambda: (
        ApplicationEvent.select()
        .where(ApplicationEvent.application == Slot("application"))
        .order_by(ApplicationEvent.created_at, ApplicationEvent.id)
    )
)


def timeline(application: Application) -> list[ApplicationEvent]:
    """The application's changes of status, oldest first (the citizen's page and
    the reviewer's)."""
    return list(_TIMELINE(application=application.id))


def next_step(application: Application) -> str:
    """What happens next, in plain words, for the detail page and the receipt."""
    steps: dict[str, str] = {
        S.BORRADOR: "Suba los documentos que faltan y envíe su solicitud.",
        S.ENVIADA: "La dependencia revisará su solicitud. Le avisaremos de cada cambio.",
        S.EN_REVISION: "Una persona de la dependencia está revisando su solicitud.",
        S.REQUIERE_CORRECCION: "Corrija lo que se le pide y vuelva a enviar su solicitud.",
        S.APROBADA: "Su solicitud fue aprobada. Le avisaremos cuándo y dónde recibir el apoyo.",
        S.RECHAZADA: "Su solicitud fue rechazada. El motivo aparece abajo.",
        S.ENTREGADA: "El apoyo ya fue entregado.",
        S.CANCELADA: "Usted canceló esta solicitud.",
        S.EN_ESPERA: "Los lugares de esta convocatoria están ocupados. Su solicitud está en "
        "la lista de espera y avanzará sola, en orden, cuando se libere un lugar; le "
        "avisaremos.",
        S.SUSPENDIDA: "Su apoyo está suspendido porque no presentó a tiempo el documento "
        "que el programa pide cada cierto tiempo. Súbalo abajo: cuando la dependencia lo "
        "acepte, el apoyo vuelve a entregarse.",
    }
    return steps[application.status]


# A catalog load or a program edit that raised a call's quota (or removed it)
# moves up the waiting in the same transaction.
catalog_store.on_calls_saved.append(promote_waiting)
