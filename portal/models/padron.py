"""Rolls (padrones) brought in by agencies, and probable duplicate people.

An :class:`ImportBatch` is one uploaded file for one program. Its rows are
judged and written in a single transaction, so a batch is either wholly in
the database (``terminado``) or not at all; the rejected rows and their
reasons are written in that same transaction, for the report.

A :class:`DuplicateCandidate` is a pair of citizen records that probably name
the same person; staff merge or dismiss it, and a merge leaves a
:class:`CitizenMerge` with a snapshot of the record that disappeared.
"""

from __future__ import annotations

from peewee import (
    SQL,
    CharField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .core import BaseModel, Citizen, JSONText, Program, StaffUser, _in, utcnow

BATCH_STATUSES = ("pendiente", "en_proceso", "terminado", "fallido")
CANDIDATE_STATUSES = ("pendiente", "fusionado", "descartado")


class ImportBatch(BaseModel):
    """One roll file for one program. The same file (sha256) is imported once."""

    program = ForeignKeyField(Program, backref="import_batches", on_delete="RESTRICT")
    filename = CharField()
    sha256 = CharField(max_length=64)
    status = CharField(
        default="pendiente", constraints=[SQL(f"CHECK (status IN ({_in(BATCH_STATUSES)}))")]
    )
    total_rows = IntegerField(default=0)
    accepted = IntegerField(default=0)
    rejected = IntegerField(default=0)
    new_citizens = IntegerField(default=0)
    processed = IntegerField(default=0)
    error = TextField(default="")
    created_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("program", "sha256"), True),)


class ImportRejection(BaseModel):
    """A row of a batch that was not imported, and every reason why."""

    batch = ForeignKeyField(ImportBatch, backref="rejections", on_delete="CASCADE")
    row_number = IntegerField()
    curp = CharField(default="")
    name = CharField(default="")
    reasons = JSONText(default=list)

    class Meta:
        indexes = ((("batch", "row_number"), True),)


class DuplicateCandidate(BaseModel):
    """Two records that probably are one person; ``citizen_a`` has the lower id."""

    citizen_a = ForeignKeyField(Citizen, on_delete="CASCADE")
    citizen_b = ForeignKeyField(Citizen, on_delete="CASCADE")
    score = FloatField()
    kind = CharField()  # nombre: same birth date and sex, similar name; curp: one character apart
    status = CharField(
        default="pendiente",
        constraints=[SQL(f"CHECK (status IN ({_in(CANDIDATE_STATUSES)}))")],
    )
    decided_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    decided_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("citizen_a", "citizen_b"), True),
            (("status", "score"), False),
        )


class CitizenMerge(BaseModel):
    """History of a merge: who survived, what the removed record held, what moved."""

    survivor = ForeignKeyField(Citizen, backref="merges", on_delete="RESTRICT")
    merged_citizen_id = IntegerField()
    merged_snapshot = JSONText()
    moved = JSONText(default=dict)
    merged_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)


class BeneficiaryCell(BaseModel):
    """Active beneficiaries by program, municipality, sex and birth year.

    A summary of enrollment joined to citizen, so the statistics pages read a
    few thousand rows instead of joining a million (portal/transparency.py
    keeps it current). ``municipality`` is "" when the record has none, so the
    unique key holds no NULL.
    """

    program = ForeignKeyField(Program, on_delete="CASCADE")
    municipality = CharField(max_length=5, default="")
    sex = CharField(max_length=1)
    birth_year = IntegerField()
    beneficiaries = IntegerField()

    class Meta:
        indexes = ((("program", "municipality", "sex", "birth_year"), True),)


class BeneficiaryMonth(BaseModel):
    """Active beneficiaries by program and the month they started."""

    program = ForeignKeyField(Program, on_delete="CASCADE")
    month = CharField(max_length=7)  # YYYY-MM
    beneficiaries = IntegerField()

    class Meta:
        indexes = ((("program", "month"), True),)


class StatsState(BaseModel):
    """One row: the enrollment table's fingerprint the summaries were built from."""

    fingerprint = CharField()
    refreshed_at = DateTimeField(default=utcnow)


PADRON_MODELS = [ImportBatch, ImportRejection, DuplicateCandidate, CitizenMerge]
STATS_MODELS = [BeneficiaryCell, BeneficiaryMonth, StatsState]

# Duplicate detection blocks people by birth date and sex; the index lets each
# block be read without scanning the table.
Citizen.add_index(Citizen.index(Citizen.birth_date, Citizen.sex, name="citizen_birth_date_sex"))
