"""Consents: what a person agreed to, when, and who took it down.

One function grants, one revokes, each writing its audit entry in the caller's
transaction (or its own). A consent in force is a row of its purpose with no
``revoked_at``; revoking dates the row rather than deleting it, so the record
shows what was agreed and for how long, and granting again adds a new row.
"""

from __future__ import annotations

from portal.backoffice.audit import Actor, record
from portal.citizens.models import Consent
from portal.models import Citizen, utcnow
from portal.vocabulary import AuditAction, ConsentPurpose
from portal.web.database import write


def in_force(citizen_id: int, purpose: ConsentPurpose) -> Consent | None:
    """The consent of ``purpose`` the person has not revoked, if any."""
    return (
        Consent.select()
        .where(
            (Consent.citizen == citizen_id)
            & (Consent.purpose == purpose)
            & Consent.revoked_at.is_null()
        )
        .order_by(Consent.id.desc())
        .first()
    )


def grant(
    citizen: Citizen, purpose: ConsentPurpose, actor: Actor, *, request_id: str = ""
) -> Consent:
    """The person agrees to ``purpose``; a consent already in force is kept as it is.

    ``actor`` is the person on their own pages or the staff member who took it
    down at the counter (kept in ``granted_by``).
    """
    with write():
        current = in_force(citizen.id, purpose)
        if current is not None:
            return current
        consent = Consent.create(
            citizen=citizen.id,
            purpose=purpose,
            granted_at=utcnow(),
            granted_by=actor.id if actor.is_staff else None,
        )
        record(
            AuditAction.CONSENT_GRANT,
            actor,
            object_type="ciudadano",
            object_id=citizen.id,
            details={"consentimiento": consent.id, "finalidad": str(purpose)},
            request_id=request_id,
        )
    return consent


def revoke(
    citizen: Citizen, purpose: ConsentPurpose, actor: Actor, *, request_id: str = ""
) -> bool:
    """The person withdraws ``purpose``; False when nothing was in force."""
    with write():
        revoked = (
            Consent.update(revoked_at=utcnow())
            .where(
                (Consent.citizen == citizen.id)
                & (Consent.purpose == purpose)
                & Consent.revoked_at.is_null()
            )
            .execute()
        )
        if revoked:
            record(
                AuditAction.CONSENT_REVOKE,
                actor,
                object_type="ciudadano",
                object_id=citizen.id,
                details={"finalidad": str(purpose)},
                request_id=request_id,
            )
    return bool(revoked)
