"""Offices, slots and bookings for the appointments' tests."""

from __future__ import annotations

import datetime as dt
import itertools

from portal.appointments.models import Office, Purpose, Slot
from portal.appointments.slots import local_now

_seq = itertools.count(1)


def make_office(**overrides) -> Office:
    n = next(_seq)
    fields = {
        "slug": f"oficina-{n}",
        "name": f"Oficina de Atención {n}",
        "address": "Av. Juárez 10, Centro, Querétaro",
        "hours": "Lunes a viernes de 9:00 a 15:00",
    }
    fields.update(overrides)
    return Office.create(**fields)


def tomorrow() -> dt.date:
    return local_now().date() + dt.timedelta(days=1)


def make_slot(
    office: Office | None = None,
    point=None,
    *,
    day: dt.date | None = None,
    starts: dt.time = dt.time(10, 0),
    minutes: int = 30,
    capacity: int = 2,
) -> Slot:
    """A slot at ``office`` or ``point`` (tomorrow at 10:00 unless told)."""
    day = day or tomorrow()
    ends = (dt.datetime.combine(day, starts) + dt.timedelta(minutes=minutes)).time()
    return Slot.create(
        purpose=Purpose.VENTANILLA if office is not None else Purpose.ENTREGA,
        office=office,
        point=point,
        day=day,
        starts=starts,
        ends=ends,
        capacity=capacity,
    )
