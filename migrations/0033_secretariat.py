"""The coordinating secretariat (issue 17, items 5-7): reporting obligations per
agency, the submissions the secretariat validates and their items, and the
staff inbox with its e-mail outbox, and the message threads between agencies
and the secretariat with their read receipts (portal/secretariat/models.py).

Depends only on tables of 0001 (agency, program, staff_user)."""

from peewee import *

OBLIGATION_KINDS = "'avance_trimestral', 'actualizacion_padron', 'reglas_operacion'"
SUBMISSION_KINDS = "'program_version', 'roll', 'quarterly_report'"
SUBMISSION_STATUSES = "'enviada', 'en_revision', 'aceptada', 'devuelta'"
SIDES = "'secretaria', 'dependencia'"


def up(migrator, db):
    class Agency(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "agency"

    class Program(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "program"

    class StaffUser(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "staff_user"

    class ReportObligation(Model):
        agency = ForeignKeyField(Agency, on_delete="CASCADE")
        program = ForeignKeyField(Program, null=True, on_delete="CASCADE")
        kind = CharField(max_length=30, constraints=[SQL(f"CHECK (kind IN ({OBLIGATION_KINDS}))")])
        title = CharField(max_length=200)
        due_on = DateField(index=True)
        remind_days = IntegerField(constraints=[SQL("CHECK (remind_days >= 0)")])
        remind_on = DateField(index=True)
        reminded_at = DateTimeField(null=True)
        done_at = DateTimeField(null=True)
        done_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        created_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "report_obligation"

    class Submission(Model):
        kind = CharField(max_length=20, constraints=[SQL(f"CHECK (kind IN ({SUBMISSION_KINDS}))")])
        ref_id = IntegerField()
        agency = ForeignKeyField(Agency, on_delete="CASCADE")
        obligation = ForeignKeyField(ReportObligation, null=True, on_delete="SET NULL")
        title = CharField(max_length=200)
        status = CharField(
            max_length=20,
            default="enviada",
            constraints=[SQL(f"CHECK (status IN ({SUBMISSION_STATUSES}))")],
        )
        submitted_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        submitted_at = DateTimeField()
        decided_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        decided_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "submission"
            indexes = (
                (("status", "submitted_at"), False),
                (("agency", "submitted_at"), False),
                (("kind", "ref_id"), False),
            )

    class SubmissionItem(Model):
        submission = ForeignKeyField(Submission, on_delete="CASCADE")
        position = IntegerField()
        label = CharField(max_length=200)
        content = TextField()
        verdict = CharField(
            max_length=10,
            default="",
            constraints=[SQL("CHECK (verdict IN ('', 'aceptado', 'devuelto'))")],
        )
        comment = TextField(default="")

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "submission_item"

    class StaffNotice(Model):
        staff = ForeignKeyField(StaffUser, on_delete="CASCADE", index=False)
        kind = CharField(max_length=30)
        title = CharField(max_length=200)
        body = TextField()
        link = CharField(max_length=300, default="")
        created_at = DateTimeField()
        read_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "staff_notice"
            indexes = ((("staff", "created_at"), False),)

    class StaffOutbox(Model):
        notice = ForeignKeyField(StaffNotice, on_delete="CASCADE")
        status = CharField(
            max_length=10,
            default="pendiente",
            constraints=[SQL("CHECK (status IN ('pendiente', 'enviado', 'fallido'))")],
        )
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        last_error = CharField(default="")
        sent_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "staff_outbox"
            indexes = ((("status", "next_attempt_at"), False),)

    class Thread(Model):
        agency = ForeignKeyField(Agency, on_delete="CASCADE", index=False)
        topic = CharField(
            max_length=20,
            constraints=[SQL("CHECK (topic IN ('programa', 'obligacion', 'envio'))")],
        )
        topic_id = IntegerField()
        subject = CharField(max_length=200)
        created_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        last_message_at = DateTimeField(index=True)
        messages = IntegerField(default=0)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "thread"
            indexes = ((("agency", "last_message_at"), False),)

    class ThreadMessage(Model):
        thread = ForeignKeyField(Thread, on_delete="CASCADE", index=False)
        author = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        side = CharField(max_length=12, constraints=[SQL(f"CHECK (side IN ({SIDES}))")])
        body = TextField()
        attachment_key = CharField(default="")
        attachment_name = CharField(max_length=120, default="")
        attachment_type = CharField(max_length=40, default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "thread_message"
            indexes = ((("thread", "id"), False),)

    class ThreadRead(Model):
        thread = ForeignKeyField(Thread, on_delete="CASCADE", index=False)
        staff = ForeignKeyField(StaffUser, on_delete="CASCADE")
        side = CharField(max_length=12, constraints=[SQL(f"CHECK (side IN ({SIDES}))")])
        last_read = IntegerField()
        read_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "thread_read"
            indexes = ((("thread", "staff"), True),)

    db.create_tables(
        [
            ReportObligation,
            Submission,
            SubmissionItem,
            StaffNotice,
            StaffOutbox,
            Thread,
            ThreadMessage,
            ThreadRead,
        ]
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table("staff_outbox"),
        migrator.drop_table("staff_notice"),
        migrator.drop_table("submission_item"),
        migrator.drop_table("submission"),
        migrator.drop_table("report_obligation"),
    )
