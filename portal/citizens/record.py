"""The single citizen record (expediente único): every change to it, and its finding by CURP.

Each change (sign-in linking, privacy acceptance, contact data, correction
requests, registration at the counter and its identity checks) is one
function here that writes its audit entry in the same transaction. They live
here rather than in :mod:`portal.eligibility.profile`, which is pure parsing of the
questionnaire's profile fields and never touches the database; the record and
its writes belong together. A write of the municipality, birth date, sex or
answers also keeps the record's rule facts (portal/citizens/facts.py), in
its transaction, for the live preview of draft rules.

A digital-ID identity (issuer, sub) points at exactly one record; a record is
found by CURP, so a person registered earlier at a counter (assisted mode) or
by a bulk upload is linked to their digital ID, never duplicated. The unique
index on ``citizen.curp`` makes two simultaneous first sign-ins safe: the
loser of the race finds the winner's record.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from peewee import IntegrityError

from portal.applications import assistance
from portal.backoffice.audit import Actor, record
from portal.catalog import geography as geo
from portal.citizens import consents, id_documents
from portal.citizens import curp as curp_rules
from portal.citizens.facts import keep as keep_facts
from portal.citizens.models import ADDRESS_FIELDS, CorrectionRequest, Identity, IdentityCheck
from portal.citizens.oidc import DigitalIdentity
from portal.citizens.phones import normalise_phone
from portal.messages import Joined, Text
from portal.models import Citizen, Municipality, utcnow
from portal.vocabulary import Assistance, AuditAction, ConsentPurpose
from portal.web.database import locked, write
from portal.web.i18n import LANGUAGES

log = logging.getLogger("portal.record")

PRIVACY_VERSION = "2026-01"
# Called with citizen ids after a transaction that created those records (or
# changed their name, birth date, sex or CURP) commits: the queue's search for
# probable duplicates registers its task here (portal/rolls/tasks.py).
identity_changed: list[Callable[[list[int]], None]] = []
# What the person may change about themselves on "Mis datos".
CONTACT_FIELDS = ("phone", "email", "notify_channel", *ADDRESS_FIELDS)


class IdentityMismatch(Exception):
    """The CURP disagrees with the birth date or sex the digital ID sent."""

    def __init__(self, problems: Sequence[Text]):
        super().__init__(Joined(problems, "; "))
        self.problems = list(problems)


def _announce(citizen_ids: list[int]) -> None:
    """Tell the listeners, after the commit. A queue that cannot take the task
    does not undo a sign-in or a registration that already happened: it is
    logged (without the people), and ``flask padron duplicates`` goes through
    the whole registry."""
    for listener in identity_changed:
        try:
            listener(citizen_ids)
        except Exception as exc:  # noqa: BLE001 - any queue failure; its message may quote rows
            log.error(
                "no se pudo encolar la búsqueda de duplicados de %d registro(s): %s",
                len(citizen_ids),
                type(exc).__name__,
            )


def check_identity(identity: DigitalIdentity) -> None:
    problems = curp_rules.consistency_problems(identity.curp, identity.birth_date, identity.sex)
    if problems:
        raise IdentityMismatch(problems)


def record_for(identity: DigitalIdentity) -> tuple[Citizen, str]:
    """The citizen behind ``identity`` and what happened: found, linked or created."""
    check_identity(identity)
    try:
        citizen, outcome = _record_for(identity)
    except IntegrityError:
        # Another request created the record or identity between our read and
        # our insert; it is there now.
        citizen, outcome = _record_for(identity)
    if outcome == "created":
        _announce([citizen.id])
    return citizen, outcome


def _record_for(identity: DigitalIdentity) -> tuple[Citizen, str]:
    now = utcnow()
    with write():
        known = locked(
            Identity.select().where(
                (Identity.issuer == identity.issuer) & (Identity.subject == identity.subject)
            )
        ).first()
        if known is not None:
            Identity.update(last_sign_in_at=now).where(Identity.id == known.id).execute()
            return Citizen.get_by_id(known.citizen_id), "found"
        citizen = locked(Citizen.select().where(Citizen.curp == identity.curp)).first()
        outcome = "linked"
        if citizen is None:
            citizen = Citizen.create(
                curp=identity.curp,
                given_names=identity.given_names,
                first_surname=identity.first_surname,
                second_surname=identity.second_surname,
                birth_date=identity.birth_date or curp_rules.birth_date(identity.curp),
                sex=identity.sex or curp_rules.sex(identity.curp),
                email=identity.email,
                origin="digital_id",
            )
            keep_facts([citizen.id])
            outcome = "created"
        Identity.create(
            issuer=identity.issuer, subject=identity.subject, citizen=citizen, last_sign_in_at=now
        )
        return citizen, outcome


def merge_answers(citizen: Citizen, answers: Mapping[str, Any] | None) -> bool:
    """Fold the anonymous questionnaire answers into the record.

    What the record already holds wins, unless it is empty: the person may have
    answered differently before, and the record is what staff review.
    """
    if not answers:
        return False
    with write():
        fresh = locked(Citizen.select().where(Citizen.id == citizen.id)).get()
        profile = dict(fresh.profile or {})
        changed = False
        for field, value in answers.items():
            if profile.get(field) in (None, "", [], ()):
                if value not in (None, "", [], ()) or field not in profile:
                    profile[field] = value
                    changed = True
        if changed:
            Citizen.update(profile=profile, updated_at=utcnow()).where(
                Citizen.id == citizen.id
            ).execute()
            keep_facts([citizen.id])
            citizen.profile = profile
    return changed


def accept_privacy(
    citizen: Citizen, version: str = PRIVACY_VERSION, *, request_id: str = ""
) -> None:
    """The person accepted this version of the privacy notice."""
    now = utcnow()
    with write():
        Citizen.update(privacy_version=version, privacy_accepted_at=now, updated_at=now).where(
            Citizen.id == citizen.id
        ).execute()
        record(
            AuditAction.PRIVACY_ACCEPT,
            Actor.citizen(citizen),
            object_type="citizen",
            object_id=citizen.id,
            details={"version": version},
            request_id=request_id,
        )
    citizen.privacy_version = version
    citizen.privacy_accepted_at = now


def choose_language(citizen: Citizen, lang: str, *, request_id: str = "") -> bool:
    """Remember the language the person chose (a code of ``portal.web.i18n``): what
    their e-mail and SMS notices are written in. Returns whether it changed; the
    audit entry names the field, never the language (it may say who the person is)."""
    if lang not in LANGUAGES:
        raise ValueError(f"{lang!r} is not a language of the portal")
    with write():
        changed = (
            Citizen.update(language=lang, updated_at=utcnow())
            .where((Citizen.id == citizen.id) & (Citizen.language != lang))
            .execute()
        )
        if changed:
            record(
                AuditAction.RECORD_UPDATE,
                Actor.citizen(citizen),
                object_type="citizen",
                object_id=citizen.id,
                details={"fields": ["language"]},
                request_id=request_id,
            )
    citizen.language = lang
    return bool(changed)


def forget_answers(citizen: Citizen, actor: Actor, *, request_id: str = "") -> None:
    """Erase the questionnaire answers the person gave (an ARCO cancellation)."""
    with write():
        Citizen.update(profile={}, updated_at=utcnow()).where(Citizen.id == citizen.id).execute()
        keep_facts([citizen.id])
        record(
            AuditAction.RECORD_UPDATE,
            actor,
            object_type="citizen",
            object_id=citizen.id,
            details={"fields": ["profile"]},
            request_id=request_id,
        )
    citizen.profile = {}


def update_contact(
    citizen: Citizen,
    values: Mapping[str, str | None],
    municipality: str | None,
    actor: Actor,
    *,
    request_id: str = "",
) -> list[str]:
    """Store the contact data and address; returns the names of the fields changed.

    ``values`` holds :data:`CONTACT_FIELDS` (missing ones are cleared) and
    ``municipality`` a code of the state's file; the audit entry names the
    fields, never their values. A phone is kept as its 10 digits
    (:class:`~portal.citizens.phones.PhoneError` when it has none).
    """
    changes: dict[str, Any] = {name: values.get(name) or "" for name in CONTACT_FIELDS}
    if changes["phone"]:
        changes["phone"] = normalise_phone(changes["phone"])
    changes["notify_channel"] = values.get("notify_channel") or "portal"
    changes["municipality"] = municipality or None
    place: geo.Municipality | None = None
    state_code = ""
    if municipality:
        state = geo.load_state()
        place = state.municipality(municipality)
        if place is None:
            raise ValueError(f"{municipality!r} is not a municipality of {state.name}")
        changes["state"], state_code = state.name, state.code
    with write():
        if place is not None:
            Municipality.insert(
                code=place.code, name=place.name, state_code=state_code
            ).on_conflict_ignore().execute()
        fresh = locked(Citizen.select().where(Citizen.id == citizen.id)).get()
        changed = sorted(
            name
            for name, value in changes.items()
            if (fresh.municipality_id if name == "municipality" else getattr(fresh, name)) != value
        )
        Citizen.update(**changes, updated_at=utcnow()).where(Citizen.id == citizen.id).execute()
        keep_facts([citizen.id])
        record(
            AuditAction.RECORD_UPDATE,
            actor,
            object_type="citizen",
            object_id=citizen.id,
            details={"fields": changed},
            request_id=request_id,
        )
    return changed


def request_correction(
    citizen: Citizen,
    field: str,
    requested_value: str,
    reason: str,
    actor: Actor,
    *,
    request_id: str = "",
) -> CorrectionRequest:
    """Ask staff to correct data the person cannot edit themselves."""
    with write():
        request_row = CorrectionRequest.create(
            citizen=citizen.id, field=field, requested_value=requested_value, reason=reason or ""
        )
        record(
            AuditAction.CORRECTION_REQUEST,
            actor,
            object_type="correction_request",
            object_id=request_row.id,
            details={"field": field},
            request_id=request_id,
        )
    return request_row


class AlreadyRegistered(Exception):
    """A record with this CURP exists: find it instead of registering it again."""


@dataclass(frozen=True)
class CounterRegistration:
    """What counter staff type for a person without a digital ID, and the ID they saw."""

    curp: str
    given_names: str
    first_surname: str
    second_surname: str
    birth_date: dt.date
    sex: str
    municipality: str
    id_type: str
    id_number: str


def register_at_counter(
    data: CounterRegistration, actor: Actor, *, request_id: str = ""
) -> Citizen:
    """Create the record of a person served at the counter, with the ID check.

    The CURP must agree with the birth date and sex typed
    (:class:`IdentityMismatch` otherwise). The staff member is noted as the
    one who registered the person, so they never decide that person's cases.
    """
    try:
        problems = curp_rules.consistency_problems(data.curp, data.birth_date, data.sex)
        value = curp_rules.validate(data.curp)
    except curp_rules.CurpError as exc:
        raise IdentityMismatch([exc.text]) from exc
    if problems:
        raise IdentityMismatch(problems)
    # Before anything is written: a bad ID number leaves no record behind.
    id_documents.validate(data.id_type, data.id_number, birth_date=data.birth_date, sex=data.sex)
    try:
        with write():
            if Citizen.select().where(Citizen.curp == value).exists():
                raise AlreadyRegistered()
            citizen = Citizen.create(
                curp=value,
                given_names=data.given_names,
                first_surname=data.first_surname,
                second_surname=data.second_surname or "",
                birth_date=data.birth_date,
                sex=data.sex,
                municipality=data.municipality,
                origin="assisted",
            )
            keep_facts([citizen.id])
            record(
                AuditAction.COUNTER_REGISTER,
                actor,
                object_type="ciudadano",
                object_id=citizen.id,
                request_id=request_id,
            )
            assistance.note(citizen.id, actor, Assistance.REGISTRO)
            record_identity_check(
                citizen, actor, data.id_type, data.id_number, request_id=request_id
            )
    except IntegrityError as exc:  # the same CURP registered at the same moment
        raise AlreadyRegistered() from exc
    _announce([citizen.id])
    return citizen


def record_identity_check(
    citizen: Citizen, actor: Actor, id_type: str, id_number: str, *, request_id: str = ""
) -> IdentityCheck:
    """Staff saw this person's ID at the counter; the audit entry names the check, not the number.

    The number must have its document's shape (:class:`id_documents.IdNumberError`
    otherwise); an INE voter key must carry the person's birth date and sex.
    """
    id_number = id_documents.validate(
        id_type, id_number, birth_date=citizen.birth_date, sex=citizen.sex
    )
    with write():
        check = IdentityCheck.create(
            citizen=citizen.id, staff=actor.id, id_type=id_type, id_number=id_number
        )
        record(
            AuditAction.COUNTER_ID_CHECK,
            actor,
            object_type="ciudadano",
            object_id=citizen.id,
            details={"verificacion": check.id, "tipo": id_type},
            request_id=request_id,
        )
    return check


def take_contact_at_counter(
    citizen: Citizen,
    values: Mapping[str, str | None],
    municipality: str | None,
    actor: Actor,
    *,
    tell_of_programs: bool,
    request_id: str = "",
) -> list[str]:
    """Store the contact data a person gave at the counter, with their consent.

    The consent to keep them (``contacto``: what, when, which staff member) is
    written in the same transaction as the data and the counter's audit entry
    (fields named, never values): a refused phone or municipality leaves
    nothing behind. ``tell_of_programs`` grants or withdraws the consent to be
    told of programs the person may receive. Returns the fields changed.
    """
    if values.get("phone"):
        normalise_phone(values["phone"] or "")  # refused before anything is written
    with write():
        consents.grant(citizen, ConsentPurpose.CONTACTO, actor, request_id=request_id)
        if tell_of_programs:
            consents.grant(citizen, ConsentPurpose.AVISOS_PROGRAMAS, actor, request_id=request_id)
        else:
            consents.revoke(citizen, ConsentPurpose.AVISOS_PROGRAMAS, actor, request_id=request_id)
        changed = update_contact(citizen, values, municipality, actor, request_id=request_id)
        record(
            AuditAction.COUNTER_CONTACT,
            actor,
            object_type="ciudadano",
            object_id=citizen.id,
            details={"fields": changed},
            request_id=request_id,
        )
    return changed


# How a child's record was made when a parent or guardian applied for them.
ORIGIN_GUARDIAN = "tutor"
# From this age a record is nobody's child to apply for.
ADULT_AGE = 18


class NotAChild(Exception):
    """The CURP belongs to a record that is not a child's: the guardian is told
    nothing about whose it is."""


@dataclass(frozen=True)
class ChildDetails:
    """What a guardian types for a child: the CURP (already validated) and names."""

    curp: str
    given_names: str
    first_surname: str
    second_surname: str


def age_on(birth_date: dt.date, on: dt.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def record_for_child(
    details: ChildDetails,
    facts: Mapping[str, Any],
    guardian: Citizen,
    *,
    on: dt.date,
    request_id: str = "",
    actor: Actor | None = None,
    _retry: bool = False,
) -> tuple[Citizen, bool]:
    """The child's record, found by CURP or created (origin ``tutor``), with
    the household's facts about the child (``facts``: questionnaire answers)
    written over its profile, so the rules judge the child by them.

    ``actor``: who typed the CURP, the guardian unless staff did at the counter.

    :class:`NotAChild` when the CURP is the guardian's own or belongs to a
    record of someone 18 or older. Birth date and sex come from the CURP.
    Returns the record and whether it was created; the caller, which may hold
    the transaction open, calls :func:`announce_new` for it after the commit.
    """
    birth = curp_rules.birth_date(details.curp)
    try:
        with write():
            child = locked(Citizen.select().where(Citizen.curp == details.curp)).first()
            if child is not None and (
                child.id == guardian.id or age_on(child.birth_date, on) >= ADULT_AGE
            ):
                raise NotAChild()
            if child is None:
                child = Citizen.create(
                    curp=details.curp,
                    given_names=details.given_names,
                    first_surname=details.first_surname,
                    second_surname=details.second_surname,
                    birth_date=birth,
                    sex=curp_rules.sex(details.curp),
                    municipality=guardian.municipality_id,
                    profile=dict(facts),
                    origin=ORIGIN_GUARDIAN,
                )
                created = True
            else:
                profile = {**(child.profile or {}), **facts}
                Citizen.update(profile=profile, updated_at=utcnow()).where(
                    Citizen.id == child.id
                ).execute()
                child.profile = profile
                created = False
            keep_facts([child.id])
            record(
                AuditAction.CHILD_RECORD,
                actor or Actor.citizen(guardian.id),
                object_type="ciudadano",
                object_id=child.id,
                request_id=request_id,
                details={"creado": created},
            )
    except IntegrityError:
        # The same CURP created at the same moment: the other record is there now.
        if _retry:
            raise
        return record_for_child(
            details, facts, guardian, on=on, request_id=request_id, actor=actor, _retry=True
        )
    return child, created


def announce_new(citizen_ids: list[int]) -> None:
    """After the commit that created these records: the search for probable duplicates."""
    _announce(citizen_ids)
