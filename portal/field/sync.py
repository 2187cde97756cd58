"""Applying the records a brigade device captured offline, once each.

A record is what a staff member typed on the brigade page with no signal: the
person (CURP, names, birth date, sex, the ID they showed), optionally their
address and phone (with their consent), questionnaire answers, and the program
to file for with document photos. The device gives each record a UUID and
sends records one at a time when it is back online.

:func:`sync` applies a record through the counter's own domain functions
(register_at_counter, record_identity_check, take_contact_at_counter,
merge_answers, start_draft, add_document, submit), so every server check runs
again and the one status path is the only one. Everything a record writes
happens in one transaction together with its ``field_submission`` row: the
unique UUID makes a retry (or two at once) find the stored outcome instead of
applying it twice, and a refusal half-way leaves nothing but the conflict.

A record that cannot be applied as it is becomes a *conflict* the staff member
resolves on a server page (:func:`resolve`): the CURP is registered with other
data, the program's call closed, its places are full, the person may not
receive the program, or some field fails a check (named field by field).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from peewee import IntegrityError

from portal.applications import workflow as apps
from portal.applications.storage import Storage
from portal.applications.uploads import CleanFile, UploadRejected, inspect_upload
from portal.backoffice.audit import Actor, record
from portal.catalog import geography as geo
from portal.citizens import curp as curp_rules
from portal.citizens import id_documents
from portal.citizens import record as citizens
from portal.citizens.phones import PhoneError, normalise_phone
from portal.eligibility import flow as questionnaire
from portal.eligibility.answers import identity_answers, merge_at_counter
from portal.eligibility.profile import AnswerError, profile_to_json
from portal.field.models import APPLIED, CONFLICT, DISCARDED, FieldFile, FieldSubmission
from portal.messages import _l
from portal.models import Call, Citizen, Program, Requirement, StaffUser, utcnow
from portal.territory import addresses
from portal.vocabulary import SERVE_EVERY_AGENCY, AuditAction, Role
from portal.web.database import locked, write

# The kinds of conflict, as the device and the pages name them.
CURP_TAKEN = "curp"  # the CURP is registered with other data
CLOSED = "cerrado"  # the program no longer takes applications
FULL = "cupo"  # the call's places are all taken
REFUSED = "rechazo"  # the rules say the person may not receive the program
INVALID = "datos"  # a field fails a check
KINDS = (CURP_TAKEN, CLOSED, FULL, REFUSED, INVALID)

# How a staff member resolves a conflict.
USE_REGISTERED = "registrados"  # keep the record already registered under the CURP
RETRY = "reintentar"  # apply again, with the corrections typed
WAIT = "espera"  # file anyway: the application joins the call's waiting list
DISCARD = "descartar"  # drop the record: nothing is applied
CHOICES = (USE_REGISTERED, RETRY, WAIT, DISCARD)

# Who works on brigades: whoever serves the counter (views/counter.py's COUNTER_STAFF).
FIELD_STAFF = (Role.REVISOR, Role.ADMIN_DEPENDENCIA, Role.VENTANILLA_ESTATAL)
PERSON_FIELDS = (
    "curp",
    "given_names",
    "first_surname",
    "second_surname",
    "birth_date",
    "sex",
    "id_type",
    "id_number",
)
REQUIRED = {
    "curp": _l("Escriba la CURP."),
    "given_names": _l("Escriba el nombre o los nombres."),
    "first_surname": _l("Escriba el primer apellido."),
    "birth_date": _l("Escriba la fecha de nacimiento."),
    "sex": _l("Elija el sexo."),
    "id_type": _l("Elija la identificación que presentó la persona."),
    "id_number": _l("Escriba el número de la identificación."),
}
# What the device compares with a record already registered under the CURP.
COMPARED = ("given_names", "first_surname", "second_surname", "birth_date", "sex")
LABELS = {
    "curp": _l("CURP"),
    "given_names": _l("Nombre(s)"),
    "first_surname": _l("Primer apellido"),
    "second_surname": _l("Segundo apellido"),
    "birth_date": _l("Fecha de nacimiento"),
    "sex": _l("Sexo"),
    "id_type": _l("Identificación"),
    "id_number": _l("Número de la identificación"),
}
UUID_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
MAX_NAME = 100
MAX_TEXT = 200


class BadRecord(ValueError):
    """A request that is no record (no UUID, not an object): refused, nothing stored."""


class NotYours(LookupError):
    """The UUID is another staff member's record: answered as if it did not exist."""


class AlreadyResolved(ValueError):
    """The record's conflict was already resolved (or there was none)."""


@dataclass
class FieldConflict(Exception):
    """Why a record cannot be applied as it is, in plain Spanish."""

    kind: str
    message: Any
    fields: dict[str, Any] = field(default_factory=dict)
    reasons: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Photo:
    """A document photo as the device sent it, for a requirement of the program."""

    requirement_id: int
    filename: str
    data: bytes


@dataclass(frozen=True)
class Context:
    """What applying a record needs besides the record: who, when, where files go."""

    staff: StaffUser
    today: dt.date
    storage: Storage
    max_bytes: int
    folio_prefix: str = "QRO"
    request_id: str = ""

    @property
    def actor(self) -> Actor:
        return Actor.staff(self.staff)


def check_uuid(raw: Any) -> str:
    """The record's UUID (a version 4 UUID, lower case), or :class:`BadRecord`."""
    value = str(raw or "").strip().lower()
    if not UUID_SHAPE.fullmatch(value):
        raise BadRecord("uuid")
    return value


def serves_program(staff: StaffUser, program: Program) -> bool:
    """The state counter serves every agency's programs; the others, their own."""
    if staff.role in SERVE_EVERY_AGENCY:
        return True
    return program.agency_id == staff.agency_id


def sync(record_data: Any, photos: Sequence[Photo], context: Context) -> dict[str, Any]:
    """Apply one record once; a retry with the same UUID gets the stored outcome.

    Returns the outcome the device is answered (:func:`outcome`). Raises
    :class:`BadRecord` (nothing stored) for a request that is not a record and
    :class:`NotYours` for another staff member's UUID.
    """
    if not isinstance(record_data, Mapping):
        raise BadRecord("record")
    key = check_uuid(record_data.get("uuid"))
    stored = FieldSubmission.get_or_none(FieldSubmission.uuid == key)
    if stored is not None:
        return _replay(stored, context.staff)
    clean = {**record_data, "uuid": key}
    try:
        with write():
            # First write of the transaction: a concurrent retry of the same
            # record waits here for this one and then fails the unique index.
            row = FieldSubmission.create(
                uuid=key,
                staff=context.staff.id,
                device=str(record_data.get("device") or "")[:64],
                status=APPLIED,
            )
            _attempt(row, clean, photos, context, choice="")
    except IntegrityError:
        stored = FieldSubmission.get_or_none(FieldSubmission.uuid == key)
        if stored is None:
            raise
        return _replay(stored, context.staff)
    return row.result


def _replay(stored: FieldSubmission, staff: StaffUser) -> dict[str, Any]:
    if stored.staff_id != staff.id:
        raise NotYours(stored.uuid)
    return {**stored.result, "repetido": True}


def may_handle(staff: StaffUser, row: FieldSubmission) -> bool:
    """Who resolves a record: the staff member who captured it, and the
    brigade staff of their agency (never another agency's, never the state
    counter's colleagues: their records are each one's own)."""
    if row.staff_id == staff.id:
        return True
    owner = StaffUser.get_by_id(row.staff_id)
    return (
        owner.agency_id is not None
        and owner.agency_id == staff.agency_id
        and staff.role in FIELD_STAFF
    )


def handled(staff: StaffUser, key: str) -> FieldSubmission:
    """The record with this UUID, if ``staff`` may handle it (:class:`NotYours` otherwise)."""
    row = FieldSubmission.get_or_none(FieldSubmission.uuid == key)
    if row is None or not may_handle(staff, row):
        raise NotYours(key)
    return row


def conflicts_of(staff: StaffUser, limit: int = 100) -> list[FieldSubmission]:
    """The records waiting for ``staff`` to resolve them, newest first: their
    own, and those of their agency's brigade staff (indexed by staff and status)."""
    colleagues = [staff.id]
    if staff.agency_id is not None:
        colleagues = [
            s.id
            for s in StaffUser.select(StaffUser.id).where(
                (StaffUser.agency == staff.agency_id) & StaffUser.role.in_(FIELD_STAFF)
            )
        ]
    return list(
        FieldSubmission.select()
        .where(FieldSubmission.staff.in_(colleagues) & (FieldSubmission.status == CONFLICT))
        .order_by(FieldSubmission.id.desc())
        .limit(limit)
    )


def photos_of(row: FieldSubmission) -> list[Photo]:
    return [
        Photo(f.requirement_id, f.filename, bytes(f.data))
        for f in FieldFile.select().where(FieldFile.submission == row.id).order_by(FieldFile.id)
    ]


def resolve(
    row: FieldSubmission,
    choice: str,
    context: Context,
    corrections: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Resolve the record's conflict: apply it again (keeping the registered
    record, with corrections to the person's data, or onto the waiting list)
    or discard it. Audited; returns the new outcome (a conflict again when the
    record still cannot be applied)."""
    if choice not in CHOICES:
        raise ValueError(f"{choice!r} is not a way to resolve a conflict")
    with write():
        fresh = locked(FieldSubmission.select().where(FieldSubmission.id == row.id)).get()
        if fresh.status != CONFLICT or not may_handle(context.staff, fresh):
            raise AlreadyResolved(fresh.uuid)
        if choice == DISCARD:
            fresh.status, fresh.record, fresh.resolved_at = DISCARDED, None, utcnow()
            fresh.result = outcome(fresh, message=_l("Registro descartado: no se aplicó nada."))
            fresh.save()
            FieldFile.delete().where(FieldFile.submission == fresh.id).execute()
        else:
            data = dict(fresh.record or {})
            if corrections:
                person = dict(data.get("person") or {})
                person.update({k: v for k, v in corrections.items() if k in PERSON_FIELDS})
                data["person"] = person
            _attempt(fresh, data, photos_of(fresh), context, choice=choice)
        record(
            AuditAction.FIELD_RESOLVE,
            context.actor,
            object_type="brigada",
            object_id=fresh.id,
            outcome=fresh.status,
            details={"eleccion": choice, "conflicto": fresh.conflict},
            request_id=context.request_id,
        )
    return fresh.result


def _attempt(
    row: FieldSubmission,
    data: dict[str, Any],
    photos: Sequence[Photo],
    context: Context,
    *,
    choice: str,
) -> None:
    """Apply ``data`` in a savepoint and store the outcome in ``row`` (applied
    or conflict); the caller's transaction holds both together."""
    try:
        with write():
            citizen_id, application = _apply(data, photos, context, choice=choice)
    except FieldConflict as conflict:
        first = row.status != CONFLICT or not row.record
        row.status, row.conflict, row.record = CONFLICT, conflict.kind, data
        row.result = outcome(
            row,
            message=conflict.message,
            fields=conflict.fields,
            reasons=conflict.reasons,
        )
        row.save()
        if first:
            for photo in photos:
                FieldFile.create(
                    submission=row.id,
                    requirement_id=photo.requirement_id,
                    filename=photo.filename[:200],
                    data=photo.data,
                )
    else:
        row.status, row.record = APPLIED, None
        row.citizen_id = citizen_id
        row.application_id = application.id if application else None
        row.resolved_at = utcnow() if choice else None
        position = apps.waiting_position(application) if application else None
        if application is None:
            message = _l("Persona registrada.")
        elif position is not None:
            message = _l(
                "Persona registrada; la solicitud %(folio)s quedó en el lugar %(position)s "
                "de la lista de espera.",
                folio=application.folio,
                position=position,
            )
        else:
            message = _l(
                "Persona registrada y solicitud %(folio)s enviada.", folio=application.folio
            )
        row.result = outcome(row, message=message, folio=application.folio if application else "")
        row.save()
        FieldFile.delete().where(FieldFile.submission == row.id).execute()
    record(
        AuditAction.FIELD_SYNC,
        context.actor,
        object_type="brigada",
        object_id=row.id,
        outcome=row.status,
        details={"conflicto": row.conflict if row.status == CONFLICT else ""},
        request_id=context.request_id,
    )


def outcome(
    row: FieldSubmission,
    *,
    message: Any,
    fields: Mapping[str, Any] | None = None,
    reasons: Sequence[Any] = (),
    folio: str = "",
) -> dict[str, Any]:
    """What the device is told (JSON): the status, in plain Spanish why, and
    for a conflict which fields. Never data of a person already registered."""
    return {
        "uuid": row.uuid,
        "estado": row.status,
        "conflicto": row.conflict if row.status == CONFLICT else "",
        "mensaje": str(message),
        "campos": {name: str(text) for name, text in (fields or {}).items()},
        "motivos": [str(reason) for reason in reasons],
        "folio": folio,
    }


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    return str(value or "").strip()[:limit] if not isinstance(value, (dict, list)) else ""


def _same_name(a: str, b: str) -> bool:
    """Names compared as RENAPO would: case, accents and extra spaces aside."""

    def plain(text: str) -> str:
        decomposed = unicodedata.normalize("NFD", text.upper())
        return " ".join("".join(c for c in decomposed if unicodedata.category(c) != "Mn").split())

    return plain(a) == plain(b)


@dataclass(frozen=True)
class Checked:
    """A record that passed every check that needs no writing."""

    person: citizens.CounterRegistration
    contact: dict[str, str] | None
    municipality: str
    answers: dict[str, Any]
    program: Program | None
    documents: list[tuple[Requirement, CleanFile]]


def check(data: Mapping[str, Any], photos: Sequence[Photo], context: Context) -> Checked:
    """Every check of the record that writes nothing, field by field
    (:class:`FieldConflict` of kind ``datos`` naming each failing field)."""
    errors: dict[str, Any] = {}
    person: Mapping[str, Any] = data.get("person") or {}
    if not isinstance(person, Mapping):
        person = {}
    values = {name: _text(person.get(name), MAX_NAME) for name in PERSON_FIELDS}
    for name, message in REQUIRED.items():
        if not values[name]:
            errors[name] = message
    curp = ""
    if values["curp"]:
        try:
            curp = curp_rules.validate(values["curp"])
        except curp_rules.CurpError as exc:
            errors["curp"] = exc.text
    birth: dt.date | None = None
    if values["birth_date"]:
        try:
            birth = dt.date.fromisoformat(values["birth_date"])
        except ValueError:
            errors["birth_date"] = _l("Escriba la fecha de nacimiento como día, mes y año.")
        else:
            if birth > context.today:
                errors["birth_date"] = _l("La fecha de nacimiento no puede ser futura.")
    if values["sex"] and values["sex"] not in curp_rules.SEXES:
        errors["sex"] = _l("Elija el sexo de la lista.")
    if values["id_type"] and values["id_type"] not in id_documents.FORMATS:
        errors["id_type"] = REQUIRED["id_type"]
    if curp and birth and values["sex"] in curp_rules.SEXES:
        for problem in curp_rules.consistency_problems(curp, birth, values["sex"]):
            errors["curp"] = problem
    if birth and values["id_type"] in id_documents.FORMATS and values["id_number"]:
        try:
            id_documents.validate(
                values["id_type"], values["id_number"], birth_date=birth, sex=values["sex"]
            )
        except id_documents.IdNumberError as exc:
            errors["id_number"] = exc.message

    contact, municipality = _check_contact(data, errors)
    answers = _check_answers(data.get("answers"), context.today, errors)
    program, documents = _check_program(data.get("program"), photos, context, errors)
    if errors:
        raise FieldConflict(
            INVALID, _l("Hay datos por corregir; cada campo dice qué revisar."), errors
        )
    assert birth is not None
    registration = citizens.CounterRegistration(
        curp=curp,
        given_names=values["given_names"],
        first_surname=values["first_surname"],
        second_surname=values["second_surname"],
        birth_date=birth,
        sex=values["sex"],
        municipality=municipality,
        id_type=values["id_type"],
        id_number=values["id_number"],
    )
    return Checked(registration, contact, municipality, answers, program, documents)


def _check_contact(
    data: Mapping[str, Any], errors: dict[str, Any]
) -> tuple[dict[str, str] | None, str]:
    """The address and phone, checked against the territory catalogs; kept
    only with the person's consent (``consent``)."""
    raw: Mapping[str, Any] = data.get("address") or {}
    if not isinstance(raw, Mapping):
        raw = {}
    municipality = _text(raw.get("municipality"), 10)
    if not municipality:
        errors["municipality"] = _l("Elija el municipio donde vive la persona.")
    elif geo.load_state().municipality(municipality) is None:
        errors["municipality"] = _l("Elija un municipio de la lista.")
    settlement_type, settlement_name = addresses.split_settlement(_text(raw.get("settlement")))
    address = addresses.Address(
        municipality=municipality,
        locality_code=_text(raw.get("locality_code"), 9),
        postal_code=_text(raw.get("postal_code"), 5),
        settlement_type=settlement_type,
        settlement_name=settlement_name,
        road_type=_text(raw.get("road_type"), 40),
    )
    errors.update(addresses.problems(address))
    phone = _text(data.get("phone"), 30)
    if phone:
        try:
            normalise_phone(phone)
        except PhoneError as exc:
            errors["phone"] = exc.message
    details = {
        "road_name": _text(raw.get("road_name")),
        "exterior_number": _text(raw.get("exterior_number"), 20),
        "interior_number": _text(raw.get("interior_number"), 20),
    }
    given = any([phone, address.locality_code, address.postal_code, *details.values()])
    if not given:
        return None, municipality
    if data.get("consent") is not True:
        errors["consent"] = _l(
            "Para guardar el domicilio o el teléfono, la persona debe dar su consentimiento."
        )
    from portal.territory import catalog  # the locality's name as the record stores it

    place = catalog.locality(address.locality_code) if address.locality_code else None
    contact = {
        "phone": phone,
        "email": "",
        "notify_channel": "sms" if phone else "portal",
        "road_type": address.road_type,
        **details,
        "settlement_type": address.settlement_type,
        "settlement_name": address.settlement_name,
        "postal_code": address.postal_code,
        "locality": place.name if place else "",
        "locality_code": place.code if place else "",
    }
    return contact, municipality


def _check_answers(raw: Any, today: dt.date, errors: dict[str, Any]) -> dict[str, Any]:
    """Each answer read by its question, as the questionnaire reads a form's."""
    if raw in (None, {}):
        return {}
    if not isinstance(raw, Mapping):
        errors["answers"] = _l("Las respuestas del cuestionario no se pudieron leer.")
        return {}
    questions = questionnaire.questions()
    parsed: dict[str, Any] = {}
    for name, value in raw.items():
        question = questions.get(str(name))
        if question is None:
            errors[f"answers.{name}"] = _l("Esa pregunta ya no está en el cuestionario.")
            continue
        try:
            parsed[question.field] = question.parse(value, on=today)
        except AnswerError as exc:
            errors[f"answers.{name}"] = str(exc)
    return profile_to_json(parsed)


def _check_program(
    raw: Any, photos: Sequence[Photo], context: Context, errors: dict[str, Any]
) -> tuple[Program | None, list[tuple[Requirement, CleanFile]]]:
    slug = _text(raw, 80)
    if not slug:
        if photos:
            errors["program"] = _l("Elija el programa al que son los documentos.")
        return None, []
    program = Program.get_or_none(Program.slug == slug)
    if program is None or not serves_program(context.staff, program):
        errors["program"] = _l("Elija un programa de la lista.")
        return None, []
    documents: list[tuple[Requirement, CleanFile]] = []
    for photo in photos:
        requirement = Requirement.get_or_none(
            (Requirement.id == photo.requirement_id) & (Requirement.program == program.id)
        )
        name = f"doc-{photo.requirement_id}"
        if requirement is None:
            errors[name] = _l("Ese documento no es de este programa.")
            continue
        try:
            clean = inspect_upload(
                photo.data,
                photo.filename or "foto.jpg",
                allowed=frozenset(requirement.formats.split(",")),
                max_bytes=context.max_bytes,
            )
        except UploadRejected as exc:
            errors[name] = exc.message
        else:
            documents.append((requirement, clean))
    return program, documents


def _registered_differences(citizen: Citizen, person: citizens.CounterRegistration) -> dict:
    """Field by field, whether the record already registered says the same;
    the registered values themselves are never shown (beyond what the counter
    shows once the person is found)."""
    differs: dict[str, Any] = {}
    for name in COMPARED:
        typed, registered = getattr(person, name), getattr(citizen, name)
        same = (
            _same_name(typed or "", registered or "")
            if isinstance(typed, str)
            else typed == registered
        )
        if not same:
            differs[name] = _l("No coincide con lo registrado.")
    return differs


def _apply(
    data: Mapping[str, Any], photos: Sequence[Photo], context: Context, *, choice: str
) -> tuple[int, Any]:
    """Apply a record through the counter's domain functions, or raise
    :class:`FieldConflict` (the caller's savepoint then undoes every write)."""
    checked = check(data, photos, context)
    actor, request_id = context.actor, context.request_id
    person = checked.person
    citizen = Citizen.get_or_none(Citizen.curp == person.curp)
    if citizen is not None:
        differs = _registered_differences(citizen, person)
        if differs and choice != USE_REGISTERED:
            raise FieldConflict(
                CURP_TAKEN,
                _l(
                    "Esa CURP ya está registrada con otros datos. Revise la identificación: "
                    "si la persona es la registrada, conserve los datos registrados; si la "
                    "CURP está mal escrita, corríjala."
                ),
                differs,
            )
        citizens.record_identity_check(
            citizen, actor, person.id_type, person.id_number, request_id=request_id
        )
    else:
        try:
            citizen = citizens.register_at_counter(person, actor, request_id=request_id)
        except citizens.AlreadyRegistered:  # registered meanwhile by someone else
            raise FieldConflict(
                CURP_TAKEN, _l("Esa CURP se acaba de registrar. Sincronice de nuevo.")
            ) from None
        except citizens.IdentityMismatch as exc:  # check() refuses these first
            raise FieldConflict(INVALID, exc.problems[0], {"curp": exc.problems[0]}) from None
        except id_documents.IdNumberError as exc:
            raise FieldConflict(INVALID, exc.text, {"id_number": exc.text}) from None
    if checked.contact is not None:
        citizens.take_contact_at_counter(
            citizen,
            checked.contact,
            checked.municipality,
            actor,
            tell_of_programs=False,
            request_id=request_id,
        )
    answers = {k: v for k, v in checked.answers.items() if k not in identity_answers(citizen)}
    merge_at_counter(citizen, answers, actor, request_id=request_id)
    if checked.program is None:
        return citizen.id, None
    application = _file(citizen, checked, data, context, choice=choice)
    return citizen.id, application


def _file(
    citizen: Citizen, checked: Checked, data: Mapping[str, Any], context: Context, *, choice: str
):
    program = checked.program
    assert program is not None
    call = apps.open_call(program, context.today)
    if call is None or not program.active:
        raise FieldConflict(
            CLOSED,
            _l(
                "El programa «%(name)s» ya no recibe solicitudes. La persona quedó sin "
                "registrar: descarte el registro, o consérvelo sin programa corrigiéndolo "
                "en la oficina.",
                name=program.name,
            ),
        )
    fresh_call = Call.get_by_id(call.id)
    if fresh_call.places_left() == 0 and choice != WAIT:
        raise FieldConflict(
            FULL,
            _l(
                "Los lugares de «%(name)s» se ocuparon. Puede enviar la solicitud a la lista "
                "de espera o descartar el registro.",
                name=program.name,
            ),
        )
    try:
        draft = apps.start_draft(
            citizen,
            program,
            f"brigada-{data['uuid']}",
            on=context.today,
            folio_prefix=context.folio_prefix,
            assisted_by=context.staff.id,
        )
        for requirement, clean in checked.documents:
            apps.add_document(draft, requirement, clean, context.storage, context.actor)
        return apps.submit(draft, context.actor, on=context.today)
    except apps.Refused as exc:
        if any(str(reason) == str(apps.CLOSED) for reason in exc.texts):
            raise FieldConflict(CLOSED, apps.CLOSED) from None
        raise FieldConflict(
            REFUSED,
            _l("La solicitud no se pudo enviar; estos son los motivos."),
            reasons=exc.texts,
        ) from None
    except apps.ApplicationError as exc:
        raise FieldConflict(REFUSED, exc.message) from None
