"""The appointments of the demo state: its offices (from offices.yaml) and two
weeks of slots at every office and at the first delivery point of every
program, opened through the same path staff use. Run again, it changes nothing."""

from __future__ import annotations

import datetime as dt

from portal.appointments import offices
from portal.appointments.models import Office
from portal.appointments.slots import OFFICE, POINT, Place, Run, local_now, open_slots
from portal.catalog.models import DeliveryPoint, Program
from portal.models import StaffUser
from portal.vocabulary import Role

DEMO_DAYS = 14


def _run(today: dt.date) -> Run:
    return Run(
        first_day=today + dt.timedelta(days=1),
        days=DEMO_DAYS,
        starts=dt.time(9),
        ends=dt.time(14),
        length=30,
        capacity=4,
    )


def create_demo(today: dt.date | None = None) -> int:
    """Load the offices and open the demo slots; returns how many slots were new."""
    offices.load()
    run = _run(today or local_now().date())
    made = 0
    state_admin = (
        StaffUser.select()
        .where(StaffUser.role == Role.ADMIN_ESTATAL)
        .order_by(StaffUser.id)
        .first()
    )
    if state_admin is not None:
        for office in Office.select().where(Office.active).order_by(Office.id):
            made += open_slots(Place(OFFICE, office), run, state_admin)
    for program in Program.select().where(Program.active).order_by(Program.id):
        point = (
            DeliveryPoint.select()
            .where((DeliveryPoint.program == program.id) & DeliveryPoint.active)
            .order_by(DeliveryPoint.position, DeliveryPoint.id)
            .first()
        )
        admin = (
            StaffUser.select()
            .where(
                (StaffUser.role == Role.ADMIN_DEPENDENCIA) & (StaffUser.agency == program.agency_id)
            )
            .order_by(StaffUser.id)
            .first()
        )
        if point is not None and admin is not None:
            made += open_slots(Place(POINT, point), run, admin)
    return made
