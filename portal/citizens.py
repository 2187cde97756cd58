"""The single citizen record (expediente único): found or created by CURP.

A digital-ID identity (issuer, sub) points at exactly one record; a record is
found by CURP, so a person registered earlier at a counter (assisted mode) or
by a bulk upload is linked to their digital ID, never duplicated. The unique
index on ``citizen.curp`` makes two simultaneous first sign-ins safe: the
loser of the race finds the winner's record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from peewee import IntegrityError

from . import curp as curp_rules
from .db import locked, write
from .models import Citizen, utcnow
from .models.accounts import Identity
from .oidc import DigitalIdentity

PRIVACY_VERSION = "2026-01"


class IdentityMismatch(Exception):
    """The CURP disagrees with the birth date or sex the digital ID sent."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def check_identity(identity: DigitalIdentity) -> None:
    problems = curp_rules.check_consistency(identity.curp, identity.birth_date, identity.sex)
    if problems:
        raise IdentityMismatch(problems)


def record_for(identity: DigitalIdentity) -> tuple[Citizen, str]:
    """The citizen behind ``identity`` and what happened: found, linked or created."""
    check_identity(identity)
    try:
        return _record_for(identity)
    except IntegrityError:
        # Another request created the record or identity between our read and
        # our insert; it is there now.
        return _record_for(identity)


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
            citizen.profile = profile
    return changed


def accept_privacy(citizen: Citizen, version: str = PRIVACY_VERSION) -> None:
    now = utcnow()
    with write():
        Citizen.update(privacy_version=version, privacy_accepted_at=now, updated_at=now).where(
            Citizen.id == citizen.id
        ).execute()
    citizen.privacy_version = version
    citizen.privacy_accepted_at = now
