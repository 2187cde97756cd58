"""Complaints and reports (quejas y denuncias, portal/complaints/) and their
public counts by program and status.

Depends only on tables of 0001-0010 (agency, program, citizen, staff_user)."""

from peewee import *


def up(migrator, db):
    def stub(name):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = name

        return type(name.title().replace("_", ""), (Model,), {"Meta": Meta})

    Agency, Program, Citizen, StaffUser = (
        stub("agency"),
        stub("program"),
        stub("citizen"),
        stub("staff_user"),
    )

    class Complaint(Model):
        folio = CharField(max_length=40, unique=True)
        kind = CharField(max_length=10, constraints=[SQL("CHECK (kind IN ('queja', 'denuncia'))")])
        subject = CharField(
            max_length=10,
            constraints=[SQL("CHECK (subject IN ('programa', 'oficina', 'servidor', 'entrega'))")],
        )
        program = ForeignKeyField(Program, null=True, on_delete="RESTRICT")
        agency = ForeignKeyField(Agency, null=True, on_delete="RESTRICT")
        citizen = ForeignKeyField(Citizen, null=True, on_delete="SET NULL", index=True)
        code_hash = CharField(max_length=64, default="")
        contact = CharField(max_length=200, default="")
        description = TextField()
        happened_on = DateField(null=True)
        place = CharField(max_length=200, default="")
        attachment_key = CharField(default="")
        attachment_filename = CharField(default="")
        filed_at = DateTimeField()
        due_on = DateField()
        status = CharField(
            max_length=12,
            default="recibida",
            constraints=[
                SQL("CHECK (status IN ('recibida', 'asignada', 'turnada', 'respondida'))")
            ],
        )
        assigned_to = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        response = TextField(default="")
        responded_at = DateTimeField(null=True)
        responded_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        escalated_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "complaint"

    class ComplaintTally(Model):
        program_key = IntegerField()
        status = CharField(max_length=12)
        count = IntegerField(default=0)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "complaint_tally"

    db.create_tables([Complaint, ComplaintTally])
    migrator.migrate(
        migrator.add_index(
            "complaint",
            ("agency_id", "status", "due_on", "id"),
            False,
            name="complaint_agency_id_status_due_on_id",
        ),
        migrator.add_index(
            "complaint", ("status", "due_on", "id"), False, name="complaint_status_due_on_id"
        ),
        migrator.add_index(
            "complaint_tally",
            ("program_key", "status"),
            True,
            name="complaint_tally_program_key_status",
        ),
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_table("complaint_tally"), migrator.drop_table("complaint"))
