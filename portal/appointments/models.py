"""The state's service offices, the slots staff open at an office or a delivery
point, and the bookings people make in them.

A slot counts its taken places in ``booked``, kept by the writes that take and
free a place (portal/appointments/bookings.py) with a conditional update; the
CHECK ``booked <= capacity`` is the database's last word, so two people taking
the last place cannot both win. A person holds at most one live booking per
purpose (``booking_one_live_per_purpose``, a partial unique index).
"""

from __future__ import annotations

from enum import StrEnum

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
    TimeField,
)

from portal.applications.models import Application
from portal.backoffice.models import StaffUser
from portal.catalog.models import DeliveryPoint, Municipality
from portal.citizens.models import Citizen
from portal.web.tables import BaseModel, _in, utcnow


class Purpose(StrEnum):
    """What a slot is for."""

    ENTREGA = "entrega"  # receiving a benefit at one of its program's delivery points
    VENTANILLA = "ventanilla"  # counter service at one of the state's offices


class BookingStatus(StrEnum):
    ACTIVA = "activa"  # holds a place
    CANCELADA = "cancelada"  # the person (or staff for them) gave it up, or changed it
    ATENDIDA = "atendida"  # the person came
    NO_ASISTIO = "no_asistio"  # the person did not come: the place was freed


BOOKING_PURPOSES: tuple[str, ...] = tuple(p.value for p in Purpose)
BOOKING_STATUSES: tuple[str, ...] = tuple(s.value for s in BookingStatus)


class Office(BaseModel):
    """A service office of the state (portal/appointments/data/offices.yaml)."""

    id: AutoField[int]
    # The office's key in the data file: loading it again updates the same row.
    slug = CharField(max_length=60, unique=True)
    name = CharField()
    address = TextField()
    municipality = ForeignKeyField(Municipality, null=True, on_delete="SET NULL")
    municipality_id: ForeignKeyField[str | None]
    hours = CharField(default="")
    lat = FloatField(null=True)
    lon = FloatField(null=True)
    active = BooleanField(default=True)


class Slot(BaseModel):
    """A time at one place (an office or a delivery point) with ``capacity``
    places, ``booked`` of them taken."""

    id: AutoField[int]
    purpose = CharField(
        max_length=10, constraints=[SQL(f"CHECK (purpose IN ({_in(BOOKING_PURPOSES)}))")]
    )
    office = ForeignKeyField(Office, null=True, on_delete="CASCADE", index=False)
    office_id: ForeignKeyField[int | None]
    point = ForeignKeyField(DeliveryPoint, null=True, on_delete="CASCADE", index=False)
    point_id: ForeignKeyField[int | None]
    day = DateField(index=True)  # the reminder and the no-show sweep look up by day
    starts = TimeField()
    ends = TimeField()
    capacity = IntegerField(constraints=[SQL("CHECK (capacity > 0)")])
    booked = IntegerField(
        default=0, constraints=[SQL("CHECK (booked >= 0 AND booked <= capacity)")]
    )
    created_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    created_by_id: ForeignKeyField[int | None]
    created_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = [
            SQL("CHECK ((office_id IS NULL) <> (point_id IS NULL))"),
            SQL("CHECK (starts < ends)"),
        ]
        indexes = (
            (("office", "day", "starts"), True),
            (("point", "day", "starts"), True),
        )

    @property
    def free(self) -> int:
        return self.capacity - self.booked


class Booking(BaseModel):
    """One person's place in a slot. Written only by portal/appointments/bookings.py."""

    id: AutoField[int]
    slot = ForeignKeyField(Slot, on_delete="CASCADE", index=False)
    slot_id: ForeignKeyField[int]
    citizen = ForeignKeyField(Citizen, on_delete="CASCADE", index=False)
    citizen_id: ForeignKeyField[int]
    purpose = CharField(
        max_length=10, constraints=[SQL(f"CHECK (purpose IN ({_in(BOOKING_PURPOSES)}))")]
    )
    # The approved application a delivery booking is for; None at the counter.
    application = ForeignKeyField(Application, null=True, on_delete="CASCADE")
    application_id: ForeignKeyField[int | None]
    status = CharField(
        max_length=10,
        default=BookingStatus.ACTIVA,
        constraints=[SQL(f"CHECK (status IN ({_in(BOOKING_STATUSES)}))")],
    )
    # Staff who booked it for the person at the counter (None: the person did).
    booked_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    booked_by_id: ForeignKeyField[int | None]
    # When the reminder of the day before went out (the task claims it once).
    reminded_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    changed_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("slot", "status"), False),
            (("citizen", "status"), False),
        )


Booking.add_index(
    Booking.index(
        Booking.citizen,
        Booking.purpose,
        unique=True,
        where=SQL("status = 'activa'"),
        name="booking_one_live_per_purpose",
    )
)

APPOINTMENT_MODELS = [Office, Slot, Booking]
