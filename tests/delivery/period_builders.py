"""A beneficiary of a monthly program whose second period is the current one."""

from __future__ import annotations

import datetime as dt

from portal.delivery import handover as delivery
from portal.delivery.periods import add_months
from portal.models import Enrollment
from tests.factories import (
    make_agency,
    make_application,
    make_delivery_point,
    make_program,
    make_staff,
)

ID_CHECK = ("ine", "4821")


def monthly_schedule(today: dt.date | None = None, months: int = 6) -> dict[str, str]:
    """Starts on the first day of last month: today falls in period 2."""
    today = today or dt.date.today()
    starts = add_months(today.replace(day=1), -1)
    ends = add_months(starts, months) - dt.timedelta(days=1)
    return {"starts": starts.isoformat(), "ends": ends.isoformat()}


def make_beneficiary(program=None, *, months: int = 6, **schedule):
    """An approved application of a monthly program, enrolled since its schedule
    began, with its credential: ``(application, credential, point, operator)``."""
    agency = make_agency() if program is None else program.agency
    if program is None:
        program = make_program(
            agency,
            benefit_amount=1000,
            benefit_period="mensual",
            benefit_schedule=schedule or monthly_schedule(months=months),
        )
    point = make_delivery_point(program)
    application = make_application(program=program, status="aprobada")
    Enrollment.create(
        citizen=application.citizen_id,
        program=program,
        exclusion_key=program.exclusion_key,
        application=application,
        benefit_amount=program.benefit_amount,
        started_on=dt.date.fromisoformat(program.benefit_schedule["starts"]),
    )
    credential = delivery.issue_credential(application)
    operator = make_staff("entrega", agency=program.agency)
    return application, credential, point, operator


def confirm(credential, operator, point, period=None):
    return delivery.confirm_delivery(
        credential, operator, point, delivery.IdCheck.parse(*ID_CHECK), period=period
    )
