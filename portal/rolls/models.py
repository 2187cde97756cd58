"""Rolls (padrones) brought in by agencies, and probable duplicate people.

An :class:`ImportBatch` is one uploaded file for one program. Its rows are
judged and written a chunk per transaction as staged (inactive) enrollments
under the batch's id, and made active all at once when the batch becomes
``terminado`` (portal/rolls/writing.py): everyone else sees a batch wholly or
not at all. The rejected rows and their reasons are kept for the report.

A :class:`DuplicateCandidate` is a pair of citizen records that probably name
the same person; staff merge or dismiss it, and a merge leaves a
:class:`CitizenMerge` with a snapshot of the record that disappeared.
"""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    CharField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from portal.backoffice.models import StaffUser
from portal.catalog.models import Program
from portal.citizens.models import Citizen
from portal.web.tables import BaseModel, JSONText, _in, utcnow

# A web upload waits as vista_previa (its dry run in ``preview``, portal/rolls/preview.py)
# until an admin commits it (pendiente: the import runs) or discards it (descartado).
BATCH_STATUSES = ("pendiente", "en_proceso", "terminado", "fallido", "vista_previa", "descartado")


CANDIDATE_STATUSES = ("pendiente", "fusionado", "descartado")


class ImportBatch(BaseModel):
    """One roll file for one program. The same file (sha256) is imported once."""

    id: AutoField[int]
    program = ForeignKeyField(Program, backref="import_batches", on_delete="RESTRICT")
    program_id: ForeignKeyField[int]
    filename = CharField()
    sha256 = CharField(max_length=64)
    status = CharField(
        default="pendiente", constraints=[SQL(f"CHECK (status IN ({_in(BATCH_STATUSES)}))")]
    )
    total_rows = IntegerField(default=0)
    accepted = IntegerField(default=0)
    rejected = IntegerField(default=0)
    new_citizens = IntegerField(default=0)
    # Accepted rows whose locality or postal code the state's catalogs did not
    # recognise: imported without them (portal/territory/matching.py).
    addresses_unmatched = IntegerField(default=0)
    processed = IntegerField(default=0)
    error = TextField(default="")
    created_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    created_by_id: ForeignKeyField[int | None]
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)  # when the run that holds it claimed it
    finished_at = DateTimeField(null=True)
    # The run's last sign of life: every chunk it writes (portal/rolls/writing.py).
    heartbeat_at = DateTimeField(null=True)
    # Blob key of the uploaded file, encrypted at rest (portal/rolls/files.py),
    # until the import ends; "" for the ``padron import`` command's batches.
    stored_file = CharField(default="")
    # The dry run of a web upload (portal/rolls/preview.py): None while it is
    # being made; what the commit must then do, row for row in its counts.
    preview = JSONText(null=True)

    class Meta:
        indexes = ((("program", "sha256"), True),)


class ImportRejection(BaseModel):
    """A row of a batch that was not imported, and every reason why."""

    id: AutoField[int]
    batch = ForeignKeyField(ImportBatch, backref="rejections", on_delete="CASCADE")
    batch_id: ForeignKeyField[int]
    row_number = IntegerField()
    curp = CharField(default="")
    name = CharField(default="")
    reasons = JSONText(default=list)

    class Meta:
        indexes = ((("batch", "row_number"), True),)


class DuplicateCandidate(BaseModel):
    """Two records that probably are one person; ``citizen_a`` has the lower id
    (a CHECK, migration 0027), so the unique index makes a pair one row."""

    id: AutoField[int]
    citizen_a = ForeignKeyField(Citizen, on_delete="CASCADE")
    citizen_a_id: ForeignKeyField[int]
    citizen_b = ForeignKeyField(Citizen, on_delete="CASCADE")
    citizen_b_id: ForeignKeyField[int]
    score = FloatField()
    # Why the pair was found: a code of portal/rolls/duplicates.py REASONS.
    kind = CharField()
    status = CharField(
        default="pendiente",
        constraints=[SQL(f"CHECK (status IN ({_in(CANDIDATE_STATUSES)}))")],
    )
    decided_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    decided_by_id: ForeignKeyField[int | None]
    decided_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("citizen_a", "citizen_b"), True),
            (("status", "score"), False),
        )
        constraints = [
            SQL("CONSTRAINT duplicate_candidate_ordered CHECK (citizen_a_id < citizen_b_id)")
        ]


class CitizenMerge(BaseModel):
    """History of a merge: who survived, what the removed record held, what moved."""

    id: AutoField[int]
    survivor = ForeignKeyField(Citizen, backref="merges", on_delete="RESTRICT")
    survivor_id: ForeignKeyField[int]
    merged_citizen_id = IntegerField()
    merged_snapshot = JSONText()
    moved = JSONText(default=dict)
    merged_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    merged_by_id: ForeignKeyField[int | None]
    created_at = DateTimeField(default=utcnow)


PADRON_MODELS = [ImportBatch, ImportRejection, DuplicateCandidate, CitizenMerge]
