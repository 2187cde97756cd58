"""Statistics summaries, and the open-data builds the public pages serve.

The summaries (:class:`BeneficiaryCell`, :class:`BeneficiaryMonth`) are kept
by portal/transparency/public.py; the data version (:class:`OpenDataChange`),
the builds (:class:`OpenDataBuild`) and the one-builder lease
(:class:`OpenDataLease`) by portal/transparency/builds.py.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    DateField,
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


class OpenDataChange(BaseModel):
    """A change to data the public pages show, not yet in a build.

    Writers insert one row in their own transaction (``changes.mark_changed``):
    an insert, so concurrent writers never wait for one another on a shared
    counter row. The builder deletes exactly the rows it has seen once what it
    built from them is in place. ``program_id`` names the program whose
    published roll changed (no foreign key: a row must never stop a program's
    deletion, and the writer's insert stays one statement). ``claimed`` is
    the build generation that took the row: set before that build reads the
    data, so a row committed later is left for the next build, and a row a
    dead builder claimed is taken again by the next one.
    """

    id: AutoField[int]
    kind = CharField(max_length=20)
    program_id = IntegerField(null=True)
    changed_at = DateTimeField(default=utcnow)
    claimed = IntegerField(null=True)


class OpenDataBuild(BaseModel):
    """The current build of one public output: the file the request serves.

    ``name`` is what the request asks for ("estadisticas.json",
    "beneficiarios.csv", "padron/<slug>.csv", ...); ``file`` is the built
    file's name in the open-data folder; ``etag`` is a digest of its bytes, so
    a rebuild that changes nothing keeps the validators clients hold.
    """

    name = CharField(max_length=150, primary_key=True)
    file = CharField(max_length=200)
    etag = CharField(max_length=64)
    size = BigIntegerField()
    version = IntegerField()
    built_at = DateTimeField(default=utcnow)
    built_on = DateField()


class OpenDataLease(BaseModel):
    """One row: who is building now and until when (never two builds at once).

    A lease row rather than a transaction held for the whole build: on SQLite
    that transaction would stop every writer for as long as the build takes.
    Taking it is one conditional update, the same on both engines; a builder
    that died lets it expire. ``generation`` counts the builds ever started.
    """

    name = CharField(max_length=20, primary_key=True)
    holder = CharField(max_length=64, null=True)
    until = DateTimeField(null=True)
    generation = IntegerField(default=0)


STATS_MODELS = [
    BeneficiaryCell,
    BeneficiaryMonth,
    StatsState,
    OpenDataChange,
    OpenDataBuild,
    OpenDataLease,
]
