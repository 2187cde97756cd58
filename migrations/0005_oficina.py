"""Back office: in-person identity checks recorded in assisted mode."""
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

    class IdentityCheck(Model):
        citizen = ForeignKeyField(Citizen, on_delete='CASCADE')
        staff = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        id_type = CharField(max_length=20)
        id_number = CharField(max_length=40)
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'identity_check'
    db.create_tables([IdentityCheck])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('identity_check'))
