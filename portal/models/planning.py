"""The tables of planning (portal/planning/): budgets, goals and indicators (MIR),
and the figures the writes keep current for the progress report.

:class:`Budget`, :class:`Goal` and :class:`Indicator` are what staff set.
:class:`PlanTally` and :class:`DecisionTally` are sums kept by the writes that
change them (approval, delivery, end of an enrollment, a decision, a roll
published: portal/planning/tally.py), so that the budget figures and the
progress report read a few rows per program and year whatever the size of the
registry.
"""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BigIntegerField,
    CharField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
)

from portal.backoffice.models import StaffUser
from portal.catalog.models import Program
from portal.web.tables import BaseModel, utcnow

# The indicators the data can compute (portal/planning/goals.py says how).
FORMULAS = ("cobertura", "puntualidad", "costo_por_beneficiario", "decididas_en_plazo")
FREQUENCIES = ("trimestral", "semestral", "anual")


class Budget(BaseModel):
    """A program's budget for one fiscal year, in whole pesos: the approved one
    and, once changed during the year, the modified one (the one in force)."""

    id: AutoField[int]
    # Indexed by the unique (program, year) pair below.
    program = ForeignKeyField(Program, index=False, on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    year = IntegerField()
    approved = BigIntegerField(constraints=[SQL("CHECK (approved >= 0)")])
    modified = BigIntegerField(null=True, constraints=[SQL("CHECK (modified >= 0)")])
    updated_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    updated_by_id: ForeignKeyField[int | None]
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("program", "year"), True),)

    @property
    def in_force(self) -> int:
        return self.modified if self.modified is not None else self.approved


class PlanTally(BaseModel):
    """What a program's benefit periods of one year and quarter cost and reached,
    by the municipality of the people: kept by portal/planning/tally.py.

    A period belongs to the fiscal year and quarter its first day falls in.
    ``committed``: pesos still due for those periods to active enrollments;
    ``spent``: pesos delivered or paid for them; ``served``: people whose first
    delivery of the year was of a period of this quarter; ``deliveries`` and
    ``on_time`` (delivered by the period's last day) measure punctuality.
    """

    id: AutoField[int]
    program = ForeignKeyField(Program, index=False, on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    year = IntegerField()
    quarter = IntegerField()
    municipality = CharField(max_length=5, default="")
    committed = BigIntegerField(default=0)
    spent = BigIntegerField(default=0)
    served = IntegerField(default=0)
    deliveries = IntegerField(default=0)
    on_time = IntegerField(default=0)

    class Meta:
        indexes = ((("program", "year", "quarter", "municipality"), True),)


class DecisionTally(BaseModel):
    """Applications of a program decided (approved or rejected) in one quarter,
    by the whole days they took from submission (``days`` stops at MAX_DAYS)."""

    id: AutoField[int]
    program = ForeignKeyField(Program, index=False, on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    year = IntegerField()
    quarter = IntegerField()
    days = IntegerField()
    decisions = IntegerField(default=0)

    class Meta:
        indexes = ((("program", "year", "quarter", "days"), True),)


class Goal(BaseModel):
    """People a program means to reach in a year: the whole program
    (``municipality`` empty) or one municipality (an INEGI code)."""

    id: AutoField[int]
    program = ForeignKeyField(Program, index=False, on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    year = IntegerField()
    municipality = CharField(max_length=5, default="")
    people = IntegerField(constraints=[SQL("CHECK (people > 0)")])
    updated_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    updated_by_id: ForeignKeyField[int | None]
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("program", "year", "municipality"), True),)


class Indicator(BaseModel):
    """An indicator of the program's results matrix (MIR) for one year."""

    id: AutoField[int]
    program = ForeignKeyField(Program, index=False, on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    year = IntegerField()
    name = CharField(max_length=200)
    formula = CharField(
        max_length=30,
        constraints=[
            SQL(
                "CHECK (formula IN ('cobertura', 'puntualidad', "
                "'costo_por_beneficiario', 'decididas_en_plazo'))"
            )
        ],
    )
    frequency = CharField(
        max_length=20,
        constraints=[SQL("CHECK (frequency IN ('trimestral', 'semestral', 'anual'))")],
    )
    # For "decididas_en_plazo": the N of "decided within N days".
    days = IntegerField(null=True)
    baseline = DoubleField(null=True)
    target = DoubleField()
    created_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    created_by_id: ForeignKeyField[int | None]
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("program", "year", "name"), True),)


PLANNING_MODELS = [Budget, PlanTally, DecisionTally, Goal, Indicator]
