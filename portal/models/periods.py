"""The delivery calendar: when and where each period of a program is delivered.

One row per program, period and municipality turn: ``municipality`` is an
INEGI code for that municipality's turn, or "" for everyone of the program
without a turn of their own. Written only by ``portal/delivery/calendar.py``,
which notifies the people concerned through the queue.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from portal.backoffice.models import StaffUser
from portal.catalog.models import DeliveryPoint, Program
from portal.web.tables import BaseModel, utcnow


class DeliveryDate(BaseModel):
    id: AutoField[int]
    program = ForeignKeyField(Program, on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    period = IntegerField()
    municipality = CharField(max_length=5, default="")
    day = DateField()
    hours = CharField(max_length=60, default="")
    point = ForeignKeyField(DeliveryPoint, on_delete="RESTRICT")
    point_id: ForeignKeyField[int]
    entered_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    entered_by_id: ForeignKeyField[int | None]
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # When the reminder before ``day`` went out (the queue claims it once).
    reminded_at = DateTimeField(null=True)

    class Meta:
        # Indexed first by program: the pairs (program, period, municipality) are
        # unique, so one date and place is in force for each turn.
        indexes = ((("program", "period", "municipality"), True),)
