"""A beneficiary of a program that asks for re-certification every 12 months."""

from __future__ import annotations

import datetime as dt

from portal.applications.documents import get_storage
from portal.applications.uploads import inspect_upload
from portal.backoffice.audit import Actor
from portal.delivery import recertification
from portal.models import Enrollment, Recertification
from tests.application_builders import MINIMAL_PDF
from tests.delivery.period_builders import make_beneficiary
from tests.factories import make_agency, make_program, make_staff

RULE = {"every_months": 12, "document": "constancia-estudios", "grace_days": 30}


def make_renewing_beneficiary(agency=None, *, started_on: dt.date | None = None, **rule):
    """``(application, credential, point, operator, reviewer, row)``: an approved
    person whose first re-certification row exists (as the daily task makes it)."""
    agency = agency or make_agency()
    starts = started_on or dt.date.today().replace(day=1) - dt.timedelta(days=31)
    starts = starts.replace(day=1)
    program = make_program(
        agency,
        requirements=("identificacion", "constancia-estudios"),
        benefit_amount=1000,
        benefit_period="mensual",
        benefit_schedule={"starts": starts.isoformat(), "ends": f"{starts.year + 3}-12-31"},
        recertification={**RULE, **rule},
    )
    application, credential, point, operator = make_beneficiary(program)
    recertification.create_missing(dt.date.today())
    enrollment = Enrollment.get(Enrollment.application == application.id)
    row = Recertification.get(Recertification.enrollment == enrollment.id)
    reviewer = make_staff("revisor", agency=agency)
    return application, credential, point, operator, reviewer, row


def present(application, row, data: bytes = MINIMAL_PDF, name: str = "constancia.pdf"):
    """The person uploads their proof for ``row``."""
    clean = inspect_upload(data, name, allowed={"pdf", "jpg", "png"})
    return recertification.submit_proof(
        application, row.id, clean, get_storage(), Actor.citizen(application.citizen_id)
    )


def overdue(row) -> dt.date:
    """The first day the daily task suspends ``row``'s benefit."""
    return row.due_on + dt.timedelta(days=RULE["grace_days"] + 1)
