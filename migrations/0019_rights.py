"""Law, language and trust: electoral blackout periods and ARCO requests.

Depends only on tables of 0001-0010 (municipality, staff_user, citizen), so it
applies after 0018 whatever 0018 holds."""
from peewee import *


def up(migrator, db):
    class Municipality(Model):
        code = CharField(max_length=5, primary_key=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'municipality'

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

    class BlackoutPeriod(Model):
        election = CharField(max_length=200)
        municipality = ForeignKeyField(Municipality, null=True, on_delete='RESTRICT')
        starts = DateField()
        ends = DateField(index=True, constraints=[SQL('CHECK (ends >= starts)')])
        created_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        withdrawn_at = DateTimeField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'blackout_period'

    class ArcoRequest(Model):
        folio = CharField(max_length=40, unique=True)
        kind = CharField(
            max_length=20,
            constraints=[SQL(
                "CHECK (kind IN ('acceso', 'rectificacion', 'cancelacion', 'oposicion'))"
            )],
        )
        citizen = ForeignKeyField(Citizen, null=True, on_delete='SET NULL', index=True)
        curp = CharField(max_length=18)
        channel = CharField(
            max_length=20, constraints=[SQL("CHECK (channel IN ('portal', 'ventanilla'))")]
        )
        description = TextField()
        id_type = CharField(max_length=20, default='')
        id_number = CharField(max_length=40, default='')
        filed_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        filed_at = DateTimeField()
        due_on = DateField()
        status = CharField(
            max_length=20,
            default='recibida',
            constraints=[SQL("CHECK (status IN ('recibida', 'respondida'))")],
        )
        outcome = CharField(
            max_length=20,
            default='',
            constraints=[SQL("CHECK (outcome IN ('', 'procedente', 'improcedente'))")],
        )
        response = TextField(default='')
        response_key = CharField(default='')
        response_filename = CharField(default='')
        responded_at = DateTimeField(null=True)
        responded_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'arco_request'

    db.create_tables([BlackoutPeriod, ArcoRequest])
    migrator.migrate(
        migrator.add_index('arco_request', ('status', 'due_on', 'id'), False),
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_table('arco_request'), migrator.drop_table('blackout_period'))
