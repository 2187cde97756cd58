"""Consents (issue 18): what a person agreed to, when, and which counter staff
member took it down; revoking dates the row. ``contacto``: keep the phone,
e-mail and address taken at the counter to send notices; ``avisos_programas``:
be told of programs the person may receive. ``program_tip``: who was told
they may receive a program in a call, unique per (citizen, call), so never
two notices per person per call (portal/outreach)."""

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

    class Program(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "program"

    class Call(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "call"

    class ProgramTip(Model):
        citizen = ForeignKeyField(Citizen, on_delete="CASCADE", index=False)
        call = ForeignKeyField(Call, on_delete="CASCADE")
        program = ForeignKeyField(Program, on_delete="CASCADE")
        verdict = CharField(max_length=12)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "program_tip"
            indexes = ((("citizen", "call"), True),)

    db.create_tables([Consent, ProgramTip])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("program_tip"), migrator.drop_table("consent"))
