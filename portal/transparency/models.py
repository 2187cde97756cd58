"""Statistics summaries kept up to date as enrollments change (see
portal/transparency/reports.py)."""

from __future__ import annotations

from peewee import (
    AutoField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from portal.catalog.models import Program
from portal.web.tables import BaseModel, utcnow


class BeneficiaryCell(BaseModel):
    """Active beneficiaries by program, municipality, sex and birth year.

    A summary of enrollment joined to citizen, so the statistics pages read a
    few thousand rows instead of joining a million (portal/transparency/public.py
    keeps it current). ``municipality`` is "" when the record has none, so the
    unique key holds no NULL.
    """

    id: AutoField[int]
    program = ForeignKeyField(Program, on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    municipality = CharField(max_length=5, default="")
    sex = CharField(max_length=1)
    birth_year = IntegerField()
    beneficiaries = IntegerField()

    class Meta:
        indexes = ((("program", "municipality", "sex", "birth_year"), True),)


class BeneficiaryMonth(BaseModel):
    """Active beneficiaries by program and the month they started."""

    id: AutoField[int]
    program = ForeignKeyField(Program, on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    month = CharField(max_length=7)  # YYYY-MM
    beneficiaries = IntegerField()

    class Meta:
        indexes = ((("program", "month"), True),)


class StatsState(BaseModel):
    """One row: the enrollment table's fingerprint the summaries were built from."""

    id: AutoField[int]
    fingerprint = CharField()
    refreshed_at = DateTimeField(default=utcnow)


STATS_MODELS = [BeneficiaryCell, BeneficiaryMonth, StatsState]
