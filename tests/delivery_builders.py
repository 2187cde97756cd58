"""Builders for the delivery tests: approved applications and a counter ready to hand over."""

from __future__ import annotations

from typing import Any

from portal.applications.folio import new_folio
from portal.delivery import handover as delivery
from portal.models import Agency, Application, Citizen, Program
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_delivery_point,
    make_program,
    make_staff,
)


def approved(
    citizen: Citizen | None = None, program: Program | None = None, **overrides: Any
) -> Application:
    """An approved application, with a folio of the 2026 series."""
    return make_application(
        citizen, program, status="aprobada", folio=new_folio(year=2026), **overrides
    )


def make_delivery_world(agency: Agency | None = None, **program_overrides: Any) -> dict[str, Any]:
    """An agency's program with a delivery point ("Oficinas centrales"), an operator
    ("Ana Operadora") and a citizen's approved application with its credential."""
    agency = agency or make_agency()
    program = make_program(agency, **program_overrides)
    point = make_delivery_point(program, name="Oficinas centrales")
    operator = make_staff("entrega", agency=agency, name="Ana Operadora")
    citizen = make_citizen()
    application = approved(citizen, program)
    return {
        "agency": agency,
        "program": program,
        "point": point,
        "operator": operator,
        "citizen": citizen,
        "application": application,
        "credential": delivery.issue_credential(application),
    }
