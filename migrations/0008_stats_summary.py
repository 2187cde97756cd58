"""Statistics summaries: active beneficiaries by program, municipality, sex and
birth year, and by program and start month, with the fingerprint of the
enrollment table they were built from. Filled on first use (portal/transparency.py)."""
from peewee import *


def up(migrator, db):
    class Program(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'program'

    class BeneficiaryCell(Model):
        program = ForeignKeyField(Program, on_delete='CASCADE')
        municipality = CharField(max_length=5, default='')
        sex = CharField(max_length=1)
        birth_year = IntegerField()
        beneficiaries = IntegerField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'beneficiary_cell'
            indexes = ((('program', 'municipality', 'sex', 'birth_year'), True),)

    class BeneficiaryMonth(Model):
        program = ForeignKeyField(Program, on_delete='CASCADE')
        month = CharField(max_length=7)
        beneficiaries = IntegerField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'beneficiary_month'
            indexes = ((('program', 'month'), True),)

    class StatsState(Model):
        fingerprint = CharField()
        refreshed_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'stats_state'

    db.create_tables([BeneficiaryCell, BeneficiaryMonth, StatsState])
