"""Builders for test data: ``make_citizen(**overrides)`` and friends.

Each builder makes a complete, valid object with sensible defaults, so a test
states only what matters to it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from stdnum.mx import curp as stdnum_curp
from werkzeug.security import generate_password_hash

from portal.applications.folio import new_folio
from portal.citizens import facts
from portal.citizens.curp import INCONVENIENT_WORDS
from portal.delivery import handover as delivery
from portal.models import (
    Agency,
    Application,
    Call,
    Citizen,
    Document,
    Enrollment,
    Municipality,
    Program,
    Requirement,
    StaffUser,
    utcnow,
)
from portal.vocabulary import PLACE_STATUSES, STATE_ROLES, EnrollmentSource

_seq = itertools.count(1)
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def valid_curp(
    birth_date: dt.date = dt.date(1990, 5, 17), sex: str = "M", n: int | None = None
) -> str:
    """A CURP with a correct check digit, unique per call unless n is given.

    The sequence skips the numbers whose first four letters spell one of
    RENAPO's "palabras inconvenientes" (a real CURP never starts with one, and
    the portal refuses it), so no test depends on the order tests run in.
    """
    while True:
        k = next(_seq) if n is None else n
        a, b = _LETTERS[k % 24], _LETTERS[(k // 24) % 24]
        c = _LETTERS[(k // 576) % 24]
        base = f"G{a}{b}{c}{birth_date:%y%m%d}{sex}QTRRN{'0' if birth_date.year < 2000 else 'A'}"
        if n is not None or base[:4] not in INCONVENIENT_WORDS:
            return base + stdnum_curp.calc_check_digit(base)


def make_municipality(code: str = "22014", name: str = "Querétaro") -> Municipality:
    municipality, _ = Municipality.get_or_create(
        code=code, defaults={"name": name, "state_code": code[:2]}
    )
    return municipality


def make_agency(**overrides) -> Agency:
    n = next(_seq)
    fields = {"slug": f"dependencia-{n}", "name": f"Dependencia {n}"}
    fields.update(overrides)
    return Agency.create(**fields)


def make_program(
    agency: Agency | None = None, *, requirements=("identificacion",), **overrides
) -> Program:
    n = next(_seq)
    fields = {
        "slug": f"programa-{n}",
        "agency": agency or make_agency(),
        "name": f"Programa {n}",
        "summary": "Apoyo de prueba.",
        "benefit_kind": "cash",
        "benefit_amount": 1500,
        "benefit_period": "bimestral",
        "eligibility": [],
    }
    fields.update(overrides)
    program = Program.create(**fields)
    for position, slug in enumerate(requirements):
        Requirement.create(program=program, slug=slug, name=slug.capitalize(), position=position)
    Call.create(
        program=program, opens=dt.date(2026, 1, 1), closes=dt.date(2027, 12, 31), quota=1000
    )
    return program


def make_citizen(**overrides) -> Citizen:
    birth_date = overrides.pop("birth_date", dt.date(1990, 5, 17))
    sex = overrides.pop("sex", "M")
    fields = {
        "curp": valid_curp(birth_date, sex),
        "given_names": "María",
        "first_surname": "Gómez",
        "second_surname": "Ruiz",
        "birth_date": birth_date,
        "sex": sex,
        "email": "maria@example.org",
        "municipality": make_municipality(),
    }
    fields.update(overrides)
    citizen = Citizen.create(**fields)
    # As the record's domain functions do after every write (portal/citizens/facts.py).
    facts.keep([citizen.id])
    return citizen


def make_staff(role: str = "revisor", agency: Agency | None = None, **overrides) -> StaffUser:
    n = next(_seq)
    if agency is None and role not in STATE_ROLES:
        agency = make_agency()
    fields = {
        "email": f"persona{n}@dependencia.example.org",
        "name": f"Persona Servidora {n}",
        "password_hash": generate_password_hash("contraseña-de-prueba-segura"),
        "role": role,
        "agency": agency,
    }
    fields.update(overrides)
    return StaffUser.create(**fields)


def make_application(
    citizen: Citizen | None = None, program: Program | None = None, **overrides
) -> Application:
    citizen = citizen or make_citizen()
    program = program or make_program()
    fields = {
        "folio": new_folio("QRO", 2026),
        "citizen": citizen,
        "program": program,
        "call": program.calls.get(),
        "status": "enviada",
        "submitted_at": utcnow(),
        "municipality": citizen.municipality_id or "",
    }
    fields.update(overrides)
    application = Application.create(**fields)
    if application.status in PLACE_STATUSES:
        # As submit() would have: a live application holds one of its call's places.
        Call.update(places_taken=Call.places_taken + 1).where(
            Call.id == application.call_id
        ).execute()
    elif application.status == "en_espera":
        # ... or waits, with the next number on the call's list.
        Call.update(
            places_waiting=Call.places_waiting + 1, waiting_issued=Call.waiting_issued + 1
        ).where(Call.id == application.call_id).execute()
        number = Call.get_by_id(application.call_id).waiting_issued
        Application.update(waiting_number=number).where(Application.id == application.id).execute()
        application.waiting_number = number
    return application


def make_enrollment(
    citizen: Citizen | None = None, program: Program | None = None, **overrides
) -> Enrollment:
    """An active beneficiary of ``program`` (a roll's enrollment, no application)."""
    program = program or make_program()
    fields = {
        "citizen": citizen or make_citizen(),
        "program": program,
        "exclusion_key": program.exclusion_key,
        "source": EnrollmentSource.PADRON,
        "benefit_amount": program.benefit_amount,
    }
    fields.update(overrides)
    return Enrollment.create(**fields)


def make_delivery_point(program: Program, **overrides):
    from portal.models import DeliveryPoint

    fields = {
        "program": program,
        "name": f"Punto de entrega {next(_seq)}",
        "address": "Centro, Querétaro",
    }
    fields.update(overrides)
    return DeliveryPoint.create(**fields)


def make_delivery(point, **overrides):
    """An approved application of the point's program, its credential delivered at
    ``point`` through the delivery domain (as the operator's confirmation does)."""
    program = Program.get_by_id(point.program_id)
    application = make_application(program=program, status="aprobada", **overrides)
    credential = delivery.issue_credential(application)
    operator = make_staff("entrega", agency=program.agency)
    outcome = delivery.confirm_delivery(
        credential, operator, point, delivery.IdCheck.parse("ine", "4821")
    )
    assert outcome.delivered, outcome.verdict.code
    return outcome.delivery


def make_delivery_world(agency: Agency | None = None, **program_overrides) -> dict[str, Any]:
    """An agency's program with a delivery point ("Oficinas centrales"), an operator
    ("Ana Operadora") and a citizen's approved application with its credential."""
    agency = agency or make_agency()
    program = make_program(agency, **program_overrides)
    point = make_delivery_point(program, name="Oficinas centrales")
    operator = make_staff("entrega", agency=agency, name="Ana Operadora")
    citizen = make_citizen()
    application = make_application(citizen, program, status="aprobada")
    return {
        "agency": agency,
        "program": program,
        "point": point,
        "operator": operator,
        "citizen": citizen,
        "application": application,
        "credential": delivery.issue_credential(application),
    }


def make_document(application: Application, requirement: Requirement, **overrides) -> Document:
    """A stored document row (no file behind it) for a requirement of the case."""
    n = next(_seq)
    fields = {
        "application": application,
        "requirement": requirement,
        "storage_key": f"prueba/{n}",
        "filename": f"{requirement.slug}.pdf",
        "content_type": "application/pdf",
        "size": 100,
        "sha256": f"{n:064d}",
        "status": "aceptado",
    }
    fields.update(overrides)
    return Document.create(**fields)


def accept_documents(application: Application) -> Application:
    """What a reviewer does before approving: every required document is there
    and accepted (rows are added where the case has none)."""
    current = {
        d.requirement_id: d
        for d in Document.select().where(
            (Document.application == application) & (Document.current == True)  # noqa: E712
        )
    }
    for requirement in Requirement.select().where(Requirement.program == application.program_id):
        if requirement.id in current:
            Document.update(status="aceptado").where(
                Document.id == current[requirement.id].id
            ).execute()
        else:
            make_document(application, requirement)
    return application
