"""Planning: budgets per program and fiscal year, goals and indicators (MIR), and
the figures the writes keep for the progress report (portal/models/planning.py).

Depends only on tables of 0001-0019 (program, staff_user), so it applies after
0019_rights whatever 0020 holds. The figures start empty: existing enrollments
and deliveries are counted in by ``flask planeacion recalcular`` (docs/planning.md)."""
from peewee import *


def up(migrator, db):
    class Program(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'program'

    class StaffUser(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'staff_user'

    class Budget(Model):
        program = ForeignKeyField(Program, index=False, on_delete='CASCADE')
        year = IntegerField()
        approved = BigIntegerField(constraints=[SQL('CHECK (approved >= 0)')])
        modified = BigIntegerField(null=True, constraints=[SQL('CHECK (modified >= 0)')])
        updated_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        updated_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'budget'
            indexes = ((('program', 'year'), True),)

    class PlanTally(Model):
        program = ForeignKeyField(Program, index=False, on_delete='CASCADE')
        year = IntegerField()
        quarter = IntegerField()
        municipality = CharField(max_length=5, default='')
        committed = BigIntegerField(default=0)
        spent = BigIntegerField(default=0)
        served = IntegerField(default=0)
        deliveries = IntegerField(default=0)
        on_time = IntegerField(default=0)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'plan_tally'
            indexes = ((('program', 'year', 'quarter', 'municipality'), True),)

    class DecisionTally(Model):
        program = ForeignKeyField(Program, index=False, on_delete='CASCADE')
        year = IntegerField()
        quarter = IntegerField()
        days = IntegerField()
        decisions = IntegerField(default=0)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'decision_tally'
            indexes = ((('program', 'year', 'quarter', 'days'), True),)

    class Goal(Model):
        program = ForeignKeyField(Program, index=False, on_delete='CASCADE')
        year = IntegerField()
        municipality = CharField(max_length=5, default='')
        people = IntegerField(constraints=[SQL('CHECK (people > 0)')])
        updated_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        updated_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'goal'
            indexes = ((('program', 'year', 'municipality'), True),)

    class Indicator(Model):
        program = ForeignKeyField(Program, index=False, on_delete='CASCADE')
        year = IntegerField()
        name = CharField(max_length=200)
        formula = CharField(
            max_length=30,
            constraints=[SQL(
                "CHECK (formula IN ('cobertura', 'puntualidad', "
                "'costo_por_beneficiario', 'decididas_en_plazo'))"
            )],
        )
        frequency = CharField(
            max_length=20,
            constraints=[SQL("CHECK (frequency IN ('trimestral', 'semestral', 'anual'))")],
        )
        days = IntegerField(null=True)
        baseline = DoubleField(null=True)
        target = DoubleField()
        created_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'indicator'
            indexes = ((('program', 'year', 'name'), True),)

    db.create_tables([Budget, PlanTally, DecisionTally, Goal, Indicator])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('indicator'),
        migrator.drop_table('goal'),
        migrator.drop_table('decision_tally'),
        migrator.drop_table('plan_tally'),
        migrator.drop_table('budget'),
    )
