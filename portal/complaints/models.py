"""The tables of the complaints area (portal/complaints/): each complaint or
report, and the public counts by program and status that its writes keep."""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from portal.backoffice.models import StaffUser
from portal.catalog.models import Agency, Program
from portal.citizens.models import Citizen
from portal.web.tables import BaseModel, utcnow

COMPLAINT_KINDS = ("queja", "denuncia")
COMPLAINT_SUBJECTS = ("programa", "oficina", "servidor", "entrega")
COMPLAINT_STATUSES = ("recibida", "asignada", "turnada", "respondida")


class Complaint(BaseModel):
    """A complaint (queja: something done to the person) or a report (denuncia:
    an irregularity anyone saw), filed signed in or anonymously."""

    id: AutoField[int]
    folio = CharField(max_length=40, unique=True)
    kind = CharField(max_length=10, constraints=[SQL("CHECK (kind IN ('queja', 'denuncia'))")])
    subject = CharField(
        max_length=10,
        constraints=[SQL("CHECK (subject IN ('programa', 'oficina', 'servidor', 'entrega'))")],
    )
    program = ForeignKeyField(Program, null=True, on_delete="RESTRICT")
    program_id: ForeignKeyField[int | None]
    # The agency that answers: the program's; empty for the state level.
    agency = ForeignKeyField(Agency, null=True, on_delete="RESTRICT")
    agency_id: ForeignKeyField[int | None]
    citizen = ForeignKeyField(Citizen, null=True, on_delete="SET NULL", index=True)
    citizen_id: ForeignKeyField[int | None]
    # Anonymous complaints: a keyed digest of the follow-up code (never the code).
    code_hash = CharField(max_length=64, default="")
    contact = CharField(max_length=200, default="")
    description = TextField()
    happened_on = DateField(null=True)
    place = CharField(max_length=200, default="")
    attachment_key = CharField(default="")
    attachment_filename = CharField(default="")
    filed_at = DateTimeField(default=utcnow)
    due_on = DateField()
    status = CharField(
        max_length=12,
        default="recibida",
        constraints=[SQL("CHECK (status IN ('recibida', 'asignada', 'turnada', 'respondida'))")],
    )
    assigned_to = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    assigned_to_id: ForeignKeyField[int | None]
    response = TextField(default="")
    responded_at = DateTimeField(null=True)
    responded_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    responded_by_id: ForeignKeyField[int | None]
    escalated_at = DateTimeField(null=True)


# The agency's queue by due date (keyset pagination), and the daily search for
# overdue complaints (status, due date).
Complaint.add_index(
    Complaint.index(
        Complaint.agency,
        Complaint.status,
        Complaint.due_on,
        Complaint.id,
        name="complaint_agency_id_status_due_on_id",
    )
)
Complaint.add_index(
    Complaint.index(
        Complaint.status, Complaint.due_on, Complaint.id, name="complaint_status_due_on_id"
    )
)


class ComplaintTally(BaseModel):
    """How many complaints each program (0: none) has in each status, kept by
    every write so the public statistics read a handful of rows."""

    id: AutoField[int]
    program_key = IntegerField()  # the program's id, 0 for complaints about no program
    status = CharField(max_length=12)
    count = IntegerField(default=0)


ComplaintTally.add_index(
    ComplaintTally.index(
        ComplaintTally.program_key,
        ComplaintTally.status,
        unique=True,
        name="complaint_tally_program_key_status",
    )
)

COMPLAINT_MODELS = [Complaint, ComplaintTally]
