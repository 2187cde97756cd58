"""A parent or guardian applies for a child of their household (issue 18,
item 2): the application is the child's (``citizen``), and ``guardian`` and
``guardian_relation`` say who applied for them and how they are related. The
guardian follows it, so "Mis solicitudes" looks applications up by guardian
too (add_column indexes the foreign key)."""

from peewee import *


def up(migrator, db):
    class Citizen(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "citizen"

    guardian = ForeignKeyField(Citizen, null=True, on_delete="RESTRICT", field=Citizen.id)
    migrator.migrate(
        migrator.add_column("application", "guardian_id", guardian),
        migrator.add_column(
            "application", "guardian_relation", CharField(max_length=20, default="")
        ),
    )


def down(migrator, db):
    migrator.migrate(
        # add_column made it; SQLite refuses to drop a column an index names.
        migrator.drop_index("application", "application_guardian_id"),
        migrator.drop_column("application", "guardian_relation"),
        migrator.drop_column("application", "guardian_id"),
    )
