"""Rolls (import batches and their rejected rows), probable duplicates and
merges; an index on citizen birth date and sex for duplicate blocking."""
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

    class Citizen(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'citizen'

    class ImportBatch(Model):
        program = ForeignKeyField(Program, on_delete='RESTRICT')
        filename = CharField()
        sha256 = CharField(max_length=64)
        status = CharField(default='pendiente', constraints=[SQL(
            "CHECK (status IN ('pendiente', 'en_proceso', 'terminado', 'fallido'))")])
        total_rows = IntegerField(default=0)
        accepted = IntegerField(default=0)
        rejected = IntegerField(default=0)
        new_citizens = IntegerField(default=0)
        processed = IntegerField(default=0)
        error = TextField(default='')
        created_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'import_batch'
            indexes = ((('program', 'sha256'), True),)

    class ImportRejection(Model):
        batch = ForeignKeyField(ImportBatch, on_delete='CASCADE')
        row_number = IntegerField()
        curp = CharField(default='')
        name = CharField(default='')
        reasons = TextField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'import_rejection'
            indexes = ((('batch', 'row_number'), True),)

    class DuplicateCandidate(Model):
        citizen_a = ForeignKeyField(Citizen, on_delete='CASCADE')
        citizen_b = ForeignKeyField(Citizen, on_delete='CASCADE')
        score = FloatField()
        kind = CharField()
        status = CharField(default='pendiente', constraints=[SQL(
            "CHECK (status IN ('pendiente', 'fusionado', 'descartado'))")])
        decided_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        decided_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'duplicate_candidate'
            indexes = (
                (('citizen_a', 'citizen_b'), True),
                (('status', 'score'), False),
            )

    class CitizenMerge(Model):
        survivor = ForeignKeyField(Citizen, on_delete='RESTRICT')
        merged_citizen_id = IntegerField()
        merged_snapshot = TextField()
        moved = TextField()
        merged_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'citizen_merge'

    db.create_tables([ImportBatch, ImportRejection, DuplicateCandidate, CitizenMerge])
    db.execute_sql("CREATE INDEX citizen_birth_date_sex ON citizen (birth_date, sex)")
