"""Sign-in and profile: digital-ID identities keyed on (issuer, sub), and the
correction requests people make about their own record."""

from peewee import *


def up(migrator, db):
    class Citizen(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'citizen'

    class StaffUser(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'staff_user'

    class Identity(Model):
        issuer = CharField()
        subject = CharField()
        citizen = ForeignKeyField(Citizen, on_delete='CASCADE')
        created_at = DateTimeField()
        last_sign_in_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'identity'
            indexes = ((('issuer', 'subject'), True),)
    db.create_tables([Identity])

    class CorrectionRequest(Model):
        citizen = ForeignKeyField(Citizen, on_delete='CASCADE')
        field = CharField()
        requested_value = TextField()
        reason = TextField(default='')
        status = CharField(index=True, default='pendiente', constraints=[SQL("CHECK (status IN ('pendiente', 'atendida', 'rechazada'))")])
        created_at = DateTimeField()
        resolved_at = DateTimeField(null=True)
        resolved_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'correction_request'
    db.create_tables([CorrectionRequest])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('correction_request'))
    migrator.migrate(migrator.drop_table('identity'))
