"""What the screening told whom: one row per person and call, never two."""

from __future__ import annotations

from peewee import AutoField, CharField, DateTimeField, ForeignKeyField

from portal.catalog.models import Call, Program
from portal.citizens.models import Citizen
from portal.web.tables import BaseModel, utcnow


class ProgramTip(BaseModel):
    """The person was told they may receive ``program`` in ``call``.

    The unique (citizen, call) index is the guarantee of one notice per person
    per call, whatever the order of call openings, re-publications and re-runs:
    the notice is written only by the run whose insert of this row succeeded.
    """

    id: AutoField[int]
    citizen = ForeignKeyField(Citizen, on_delete="CASCADE", index=False)
    citizen_id: ForeignKeyField[int]
    call = ForeignKeyField(Call, on_delete="CASCADE")
    call_id: ForeignKeyField[int]
    program = ForeignKeyField(Program, on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    verdict = CharField(max_length=12)  # the engine's status: eligible or maybe
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("citizen", "call"), True),)
