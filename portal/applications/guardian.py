"""A parent or guardian applies for a child of their household (issue 18, item 2).

The guardian picks a daughter, son, granddaughter or grandson under 18 from
the household their questionnaire lists (:mod:`portal.eligibility.household`)
and gives the child's CURP. The CURP must be valid, younger than the
guardian, and agree with the age and sex the household says; a CURP whose
record is not a child's is refused without saying whose it is. Then the
child's record is found or created (:func:`portal.citizens.record.record_for_child`,
with the household's facts about the child) and the draft is started through
:func:`portal.applications.workflow.start_draft` for the CHILD, with the
guardian and the relation on the application: the rules, exclusion groups and
duplicates are checked against the child like against anyone.

The guardian then follows the application as their own ("Mis solicitudes"
looks applications up by ``citizen`` or ``guardian``) and receives its
notices (:func:`portal.applications.notices.recipient`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from peewee import ModelSelect

from portal.applications import workflow
from portal.backoffice.audit import Actor
from portal.citizens import curp as curp_rules
from portal.citizens import record, record_export
from portal.citizens.record import ChildDetails, NotAChild, age_on
from portal.eligibility.household import (
    ADULT_AGE,
    CHILD_RELATIONS,
    SHARED_ANSWERS,
    HouseholdError,
    Member,
    citizen_members,
)
from portal.eligibility.profile import STUDENT_LEVELS
from portal.messages import Message, _l
from portal.models import Application, Citizen, Program
from portal.web.database import write
from portal.web.tables import Prepared, Slot, tuples

NAME_MAX = 80
CHILD_ALREADY_APPLIED = _l(
    "Ya hay una solicitud en curso para esta niña o niño en esta convocatoria. "
    "Si la hizo otra persona de su familia, ella puede seguirla."
)
# Said for a CURP whose record is not a child's: nothing about whose it is.
NOT_THIS_CURP = _l(
    "No podemos hacer una solicitud con esta CURP. Revise que sea la de su hija o hijo; "
    "si lo es, acuda a un módulo de atención con su acta de nacimiento."
)


# The same refusal said to staff at the counter, who are that module already.
NOT_THIS_CURP_AT_COUNTER = _l(
    "No se puede hacer una solicitud para una niña o un niño con esta CURP. "
    "Revísela con el acta de nacimiento que presenta la persona."
)


def children(guardian_id: int) -> list[tuple[int, Member]]:
    """The household's children a guardian may apply for, with their index in the list."""
    return [(i, m) for i, m in enumerate(citizen_members(guardian_id)) if m.is_child]


def member_at(guardian_id: int, index: int) -> Member | None:
    members = citizen_members(guardian_id)
    return members[index] if 0 <= index < len(members) else None


def read_child(
    data: Mapping[str, Any], member: Member, guardian: Citizen, on: dt.date
) -> ChildDetails:
    """The child's CURP and names from a form, or :class:`HouseholdError` naming
    each bad field: the member is no child, the CURP is invalid, of someone
    older than the guardian, or disagrees with the household's age or sex."""
    if not member.is_child:
        raise HouseholdError(
            {
                "curp": _l(
                    "Solo puede solicitar para una hija, hijo, nieta o nieto menor de 18 años "
                    "de su hogar."
                )
            }
        )
    errors: dict[str, Any] = {}
    raw = str(data.get("curp") or "")
    try:
        value = curp_rules.validate(raw)
    except curp_rules.CurpError as error:
        errors["curp"] = error.message
    else:
        born = curp_rules.birth_date(value)
        if born <= guardian.birth_date:
            errors["curp"] = _l(
                "Según esta CURP, la persona nació antes que usted: no puede ser su hija o hijo. "
                "Revise la CURP."
            )
        elif age_on(born, on) != member.age:
            errors["curp"] = _l(
                "Según esta CURP tiene %(curp_age)s años, y en su hogar dijo %(age)s. "
                "Revise la CURP o corrija la edad en su hogar.",
                curp_age=age_on(born, on),
                age=member.age,
            )
        elif member.sex != "X" and curp_rules.sex(value) != member.sex:
            errors["curp"] = _l(
                "El sexo de esta CURP no es el que dijo en su hogar. "
                "Revise la CURP o corrija los datos en su hogar."
            )
    names = {}
    for field in ("given_names", "first_surname", "second_surname"):
        names[field] = " ".join(str(data.get(field) or "").split())
        if len(names[field]) > NAME_MAX:
            errors[field] = _l("Escriba como máximo %(max)s caracteres.", max=NAME_MAX)
    if not names["given_names"]:
        errors["given_names"] = _l("Escriba el nombre o los nombres.")
    if not names["first_surname"]:
        errors["first_surname"] = _l("Escriba el primer apellido.")
    if errors:
        raise HouseholdError(errors)
    return ChildDetails(
        value, names["given_names"], names["first_surname"], names["second_surname"]
    )


DISABILITY_ANSWERS = {"si": True, "no": False, "no_se": None}


def read_child_at_counter(
    data: Mapping[str, Any], guardian: Citizen, on: dt.date
) -> tuple[Member, ChildDetails]:
    """The child staff type at the counter for the guardian they serve, who
    may have no household list: the relation, CURP, birth date (checked
    against the CURP, as the counter's registration does), names, schooling
    and disability. :class:`HouseholdError` names each bad field.

    The child is then read by :func:`read_child`, the citizen's own checks,
    as the household member these answers describe.
    """
    errors: dict[str, Any] = {}
    relation = str(data.get("relation") or "")
    if relation not in CHILD_RELATIONS:
        errors["relation"] = _l("Elija si es su hija o hijo, o su nieta o nieto.")
    level = str(data.get("student_level") or "")
    if level not in STUDENT_LEVELS:
        errors["student_level"] = _l("Elija una de las opciones.")
    if data.get("disability") not in DISABILITY_ANSWERS:
        errors["disability"] = _l("Elija una de las opciones.")
    typed_birth = data.get("birth_date")
    if not isinstance(typed_birth, dt.date):
        errors["birth_date"] = _l("Escriba la fecha de nacimiento como en el acta.")
    age, sex = 0, "X"
    try:
        value = curp_rules.validate(str(data.get("curp") or ""))
    except curp_rules.CurpError as error:
        errors["curp"] = error.message
    else:
        born = curp_rules.birth_date(value)
        age, sex = age_on(born, on), curp_rules.sex(value)
        if age >= ADULT_AGE:
            errors["curp"] = _l(
                "Según esta CURP la persona tiene %(age)s años: solo se solicita por ella "
                "si es menor de 18 años.",
                age=age,
            )
        elif isinstance(typed_birth, dt.date) and typed_birth != born:
            errors["birth_date"] = _l(
                "La fecha de nacimiento no coincide con la CURP. Revise las dos con el acta."
            )
    member = Member(
        relation if relation in CHILD_RELATIONS else CHILD_RELATIONS[0],
        min(age, ADULT_AGE - 1),
        sex,
        level if level in STUDENT_LEVELS else STUDENT_LEVELS[0],
        DISABILITY_ANSWERS.get(str(data.get("disability") or "")),
    )
    try:
        details = read_child(data, member, guardian, on)
    except HouseholdError as error:
        errors = {**error.errors, **errors}
    if errors:
        raise HouseholdError(errors)
    return member, details


def child_facts(member: Member, guardian: Citizen) -> dict[str, Any]:
    """The questionnaire answers that describe the child: the household's shared
    answers (the guardian's) and what the household list says of them."""
    profile = guardian.profile or {}
    facts: dict[str, Any] = {k: profile[k] for k in SHARED_ANSWERS if k in profile}
    facts["student_level"] = member.student_level
    if member.disability is not None:
        facts["disability"] = member.disability
    return facts


def apply_for_child(
    guardian: Citizen,
    member: Member,
    details: ChildDetails,
    program: Program,
    idempotency_key: str,
    *,
    on: dt.date,
    folio_prefix: str = "QRO",
    request_id: str = "",
    staff: Actor | None = None,
) -> Application:
    """The child's draft, started by the guardian (``workflow.start_draft``),
    or by ``staff`` at the counter serving the guardian (the draft is
    ``assisted_by`` them and the child's record audited as their doing).

    Refuses with :class:`workflow.Refused` when the CURP's record is not a
    child's (:data:`NOT_THIS_CURP`) or the child may not apply (the rules, a
    live application to the call, an exclusion group). The child's record and
    the draft are written in one transaction: a refusal leaves neither.
    """
    if not member.is_child:
        raise workflow.Refused([NOT_THIS_CURP])
    try:
        with write():
            child, created = record.record_for_child(
                details,
                child_facts(member, guardian),
                guardian,
                on=on,
                request_id=request_id,
                actor=staff,
            )
            draft = workflow.start_draft(
                child,
                program,
                idempotency_key,
                on=on,
                folio_prefix=folio_prefix,
                guardian=guardian,
                guardian_relation=member.relation,
                assisted_by=staff.id if staff is not None else None,
            )
    except NotAChild:
        raise workflow.Refused([NOT_THIS_CURP]) from None
    except workflow.Refused as refused:
        # Said of the child, not of the guardian ("Ya tiene una solicitud...").
        already = str(workflow.ALREADY_APPLIED)
        reasons = [CHILD_ALREADY_APPLIED if str(r) == already else r for r in refused.texts]
        raise workflow.Refused(reasons) from None
    if created:
        record.announce_new([child.id])
    return draft


def followed_by(citizen_id: int) -> ModelSelect[Application]:
    """The applications a person follows: their own and those they made for a child."""
    return Application.select().where(
        (Application.citizen == citizen_id) | (Application.guardian == citizen_id)
    )


# "Mis solicitudes": what its list shows of each application (not the answers,
# whose JSON each row would parse), with its program and the person it is for,
# newest first; built once (portal/web/tables.Prepared).
_FOLLOWED_LIST = Prepared(
    lambda: (
        Application.select(
            Application.id,
            Application.folio,
            Application.status,
            Application.citizen,
            Application.guardian,
            Application.program,
            Application.created_at,
            Program,
            Citizen.id,
            Citizen.given_names,
        )
        .join_from(Application, Program)
        .join_from(Application, Citizen, on=(Application.citizen == Citizen.id))
        .where((Application.citizen == Slot("person")) | (Application.guardian == Slot("person")))
        .order_by(Application.created_at.desc(), Application.id.desc())
    )
)


def followed_list(citizen_id: int) -> list[Application]:
    """The applications a person follows, as "Mis solicitudes" lists them: each with
    its ``program`` and ``citizen`` (their given names), newest first."""
    return list(_FOLLOWED_LIST(person=citizen_id))


# What the guardian is to the child, by the relation of the application
# (the child's to the guardian) and the guardian's sex (as in the CURP).
GUARDIAN_IS: dict[str, dict[str, Message]] = {
    "hija_hijo": {"M": _l("Madre"), "H": _l("Padre"), "X": _l("Madre o padre")},
    "nieta_nieto": {"M": _l("Abuela"), "H": _l("Abuelo"), "X": _l("Abuela o abuelo")},
}


@dataclass(frozen=True)
class ShownGuardian:
    """The guardian of an application as the reviewer's case page shows them."""

    citizen_id: int
    full_name: str
    curp: str  # masked unless the staff member's role needs the whole CURP
    relation: str  # what the guardian is to the child: "Madre", "Abuelo"...


def shown_guardian(application: Application, *, whole_curp: bool) -> ShownGuardian | None:
    """Who applied for the child (None: the person applied for themselves)."""
    if application.guardian_id is None:
        return None
    person = Citizen.get_by_id(application.guardian_id)
    return ShownGuardian(
        person.id,
        person.full_name,
        person.curp if whole_curp else curp_rules.mask(person.curp),
        _guardian_is(application.guardian_relation, person.sex),
    )


def _guardian_is(relation: str, sex: str) -> str:
    said = GUARDIAN_IS.get(relation, {})
    return str(said.get(sex) or said.get("X") or _l("Tutora o tutor"))


def record_rows(citizen: Citizen) -> list[dict[str, Any]]:
    """Applications made by a guardian for a child, in the record export of
    either of them (/mis-datos): who applied, for whom, and what the guardian
    is to the child. Names only: the other person's CURP is theirs."""
    guardian = Citizen.alias()
    child = Citizen.alias()
    rows = (
        Application.select(
            Application.folio,
            Program.name,
            Application.guardian_relation,
            guardian.given_names,
            guardian.first_surname,
            guardian.second_surname,
            guardian.sex,
            child.given_names,
            child.first_surname,
            child.second_surname,
        )
        .join(Program, on=(Application.program == Program.id))
        .switch(Application)
        .join(guardian, on=(Application.guardian == guardian.id))
        .switch(Application)
        .join(child, on=(Application.citizen == child.id))
        .where((Application.guardian == citizen.id) | (Application.citizen == citizen.id))
        .order_by(Application.id)
    )
    return [
        {
            "folio": folio,
            "programa": program,
            "solicita": " ".join(p for p in (g1, g2, g3) if p),
            "para": " ".join(p for p in (c1, c2, c3) if p),
            "parentesco": _guardian_is(relation, sex),
        }
        for folio, program, relation, g1, g2, g3, sex, c1, c2, c3 in tuples(rows)
    ]


record_export.more_sections["solicitudes_por_menores"] = record_rows
