"""Questionnaire answers: where they live and how a person gets them back.

An anonymous person's answers live in their session; with :func:`save_for_later`
they get a short code that brings them back on another day or device (for
:data:`RESUME_DAYS` days). A signed-in citizen's answers live in
``Citizen.profile``, next to what the digital ID already says (birth date, sex)
and the municipality of their address, which are never asked again. Counter
staff type a person's answers into that record with :func:`answer_at_counter`.

Answers are stored as JSON (:func:`portal.eligibility.profile.profile_to_json`) and read
back typed with :func:`typed_profile`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from typing import Any

from peewee import IntegrityError

from portal.applications import assistance
from portal.applications.folio import ALPHABET
from portal.backoffice.audit import Actor, record
from portal.citizens import facts
from portal.citizens import record as record_store
from portal.eligibility.profile import ProfileError, parse_profile
from portal.messages import _l
from portal.models import Citizen, Enrollment, Program, ResumeCode, utcnow
from portal.vocabulary import Assistance, AuditAction
from portal.web.database import locked, write

# A code is for coming back on another day or device to finish the questionnaire
# (a few minutes of questions), not for keeping answers: a week covers "I will
# ask at home and finish tomorrow or at the weekend" and gives a guesser a
# seventh of the month the codes used to last. The page that shows the code
# says until when it works.
RESUME_DAYS = 7
# An expired code still answers "it expired" (instead of "not found") for a
# week, but its answers are erased as soon as it expires.
EXPIRED_NOTICE_DAYS = 7
CODE_LENGTH = 8  # 29**8 is about 5 * 10**11 codes
_TYPED_SEPARATORS = re.compile(r"[\s\-_.]+")


class CodeError(ValueError):
    """A resume code that cannot be read or found; the message is plain Spanish."""


def identity_answers(citizen: Citizen) -> dict[str, Any]:
    """What the record already says, so the questionnaire never asks it."""
    answers: dict[str, Any] = {"birth_date": citizen.birth_date.isoformat(), "sex": citizen.sex}
    if citizen.municipality_id:
        answers["municipality"] = citizen.municipality_id
    return answers


def citizen_answers(citizen: Citizen) -> dict[str, Any]:
    return {**citizen.profile, **identity_answers(citizen)}


def enrolled_slugs(citizen_id: int) -> tuple[str, ...]:
    rows = (
        Program.select(Program.slug)
        .join(Enrollment)
        .where((Enrollment.citizen == citizen_id) & Enrollment.active)
        .order_by(Program.slug)
    )
    return tuple(row.slug for row in rows)


def typed_profile(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values of stored answers; an answer that no longer reads is dropped,
    so the questionnaire simply asks it again."""
    try:
        return parse_profile(answers)
    except ProfileError as exc:
        return parse_profile({k: v for k, v in answers.items() if k not in exc.errors})


def save_citizen_answers(citizen_id: int, changes: Mapping[str, Any]) -> Citizen:
    """Merge ``changes`` into the citizen's profile; identity fields are not theirs to change."""
    with write():
        citizen = locked(Citizen.select().where(Citizen.id == citizen_id)).get()
        protected = identity_answers(citizen)
        profile = dict(citizen.profile)
        profile.update({k: v for k, v in changes.items() if k not in protected})
        if profile != citizen.profile:
            citizen.profile = profile
            citizen.updated_at = utcnow()
            citizen.save()
            facts.keep([citizen_id])
    return citizen


def answer_at_counter(
    citizen_id: int, field: str, stored: Any, actor: Actor, *, request_id: str = ""
) -> Citizen:
    """Staff typed one of the person's answers at the counter.

    The audit entry names the field, never the value; the staff member is
    noted as having answered the questionnaire with the person, so they never
    decide that person's cases.
    """
    with write():
        citizen = save_citizen_answers(citizen_id, {field: stored})
        record(
            AuditAction.COUNTER_QUESTIONNAIRE,
            actor,
            object_type="ciudadano",
            object_id=citizen_id,
            details={"campo": field},
            request_id=request_id,
        )
        assistance.note(citizen_id, actor, Assistance.CUESTIONARIO)
    return citizen


def merge_at_counter(
    citizen: Citizen, answers: Mapping[str, Any], actor: Actor, *, request_id: str = ""
) -> bool:
    """Answers staff took down with the person away from the counter (a brigade's
    record): folded into the record as a sign-in folds them
    (``record.merge_answers``), audited and noted like :func:`answer_at_counter`
    when anything changed. Whether it did."""
    with write():
        if not record_store.merge_answers(citizen, answers):
            return False
        record(
            AuditAction.COUNTER_QUESTIONNAIRE,
            actor,
            object_type="ciudadano",
            object_id=citizen.id,
            details={"campos": sorted(answers)},
            request_id=request_id,
        )
        assistance.note(citizen.id, actor, Assistance.CUESTIONARIO)
    return True


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``7K3M9PXA`` as ``7K3M-9PXA``, easier to copy down and to read aloud."""
    return f"{code[:4]}-{code[4:]}"


def normalize_code(typed: str) -> str:
    """The stored form of a typed code, or :class:`CodeError`.

    Spaces and hyphens are ignored, lower case is fine, and V is read as B
    (see :mod:`portal.applications.folio`, whose alphabet the codes share).
    """
    code = _TYPED_SEPARATORS.sub("", typed or "").upper().replace("V", "B")
    if not code:
        raise CodeError(_l("Escriba el código que le dimos, por ejemplo 7K3M-9PXA."))
    if len(code) != CODE_LENGTH:
        raise CodeError(
            _l("El código tiene %(length)s letras y números; revíselo.", length=CODE_LENGTH)
        )
    wrong = sorted({c for c in code if c not in ALPHABET})
    if wrong:
        raise CodeError(
            _l(
                "El código no lleva %(characters)s: revise si es otra letra o número.",
                characters=", ".join(wrong),
            )
        )
    return code


def save_for_later(
    answers: Mapping[str, Any], asked: list[str], *, now: dt.datetime | None = None
) -> str:
    """Store the answers under a new code and return it."""
    now = now or utcnow()
    for _ in range(5):
        code = new_code()
        try:
            with write():
                _prune_expired(now)
                ResumeCode.create(
                    code=code,
                    answers=dict(answers),
                    asked=list(asked),
                    created_at=now,
                    expires_at=now + dt.timedelta(days=RESUME_DAYS),
                )
            return code
        except IntegrityError:
            continue  # a code already in use: draw again
    raise RuntimeError("no free resume code after 5 draws")


def _prune_expired(now: dt.datetime) -> None:
    """Expired codes lose their answers, and go a week later (pruned as new codes
    are made: no cron job needed)."""
    ResumeCode.update(answers={}, asked=[]).where(
        (ResumeCode.expires_at <= now) & (ResumeCode.answers != {})
    ).execute()
    notice = now - dt.timedelta(days=EXPIRED_NOTICE_DAYS)
    ResumeCode.delete().where(ResumeCode.expires_at <= notice).execute()


def saved_until(code: str) -> dt.datetime | None:
    """When the code in the session stops working (None: it is gone)."""
    row = ResumeCode.get_or_none(ResumeCode.code == code)
    return row.expires_at if row else None


def find_saved(typed: str, *, now: dt.datetime | None = None) -> ResumeCode:
    """The unexpired answers saved under ``typed``, or :class:`CodeError`.

    How many wrong codes a client, and everybody together, may type is limited
    by portal/web/limits.py (a wrong code answers 422 and counts).
    """
    code = normalize_code(typed)
    row = ResumeCode.get_or_none(ResumeCode.code == code)
    if row is not None and row.expires_at <= (now or utcnow()):
        raise CodeError(
            _l(
                "Este código ya venció: los códigos duran %(days)s días. Responda las "
                "preguntas de nuevo; al terminar puede guardar sus respuestas con un código nuevo.",
                days=RESUME_DAYS,
            )
        )
    if row is None:
        raise CodeError(
            _l(
                "No encontramos respuestas con ese código. Revíselo; los códigos "
                "duran %(days)s días.",
                days=RESUME_DAYS,
            )
        )
    return row
