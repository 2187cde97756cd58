"""Consents (issue 18): what a person agreed to, when, and which counter staff
member took it down; revoking dates the row. ``contacto``: keep the phone,
e-mail and address taken at the counter to send notices; ``avisos_programas``:
be told of programs the person may receive."""

from peewee import *


def up(migrator, db):
    class Citizen(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "citizen"

    class StaffUser(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "staff_user"

    class Consent(Model):
        citizen = ForeignKeyField(Citizen, on_delete="CASCADE", index=False)
        purpose = CharField(
            max_length=20,
            constraints=[SQL("CHECK (purpose IN ('contacto', 'avisos_programas'))")],
        )
        granted_at = DateTimeField()
        granted_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        revoked_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "consent"
            indexes = ((("citizen", "purpose"), False),)

    db.create_tables([Consent])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("consent"))
