"""Field registration offline (portal/field/): the records brigade devices
sent, keyed by their UUID, and the photos of those waiting for a staff member
to resolve a conflict.

Depends only on tables of 0001-0010 (staff_user, citizen, application)."""

from peewee import *


def up(migrator, db):
    def stub(name):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = name

        return type(name.title().replace("_", ""), (Model,), {"Meta": Meta})

    StaffUser, Citizen, Application = stub("staff_user"), stub("citizen"), stub("application")

    class FieldSubmission(Model):
        uuid = CharField(max_length=36, unique=True)
        staff = ForeignKeyField(StaffUser, on_delete="RESTRICT", index=False)
        device = CharField(max_length=64, default="")
        received_at = DateTimeField()
        resolved_at = DateTimeField(null=True)
        status = CharField(
            max_length=12,
            constraints=[SQL("CHECK (status IN ('aplicado', 'conflicto', 'descartado'))")],
        )
        conflict = CharField(max_length=12, default="")
        result = TextField()
        record = TextField(null=True)
        citizen = ForeignKeyField(Citizen, null=True, on_delete="SET NULL", index=False)
        application = ForeignKeyField(Application, null=True, on_delete="SET NULL", index=False)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "field_submission"

    class FieldFile(Model):
        submission = ForeignKeyField(FieldSubmission, on_delete="CASCADE", index=True)
        requirement_id = IntegerField()
        filename = CharField(max_length=200)
        data = BlobField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "field_file"

    db.create_tables([FieldSubmission, FieldFile])
    migrator.migrate(
        migrator.add_index(
            "field_submission",
            ("staff_id", "status", "id"),
            False,
            name="field_submission_staff_id_status_id",
        ),
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_table("field_file"), migrator.drop_table("field_submission"))
