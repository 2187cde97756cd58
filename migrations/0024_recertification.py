"""Re-certification: a program may ask its beneficiaries to present a proof
again every N months (``program.recertification``); each enrollment's due
dates are rows of ``recertification``, unique per enrollment and due date, so
the daily task and an acceptance racing never create one twice. An
enrollment whose proof is late past the grace days is suspended:

* ``application.status`` may be ``suspendida`` (the CHECK constraint grows);
* ``application_one_live_per_call`` counts a suspended application as live:
  it keeps its place, and the person cannot apply to the same call again.
"""

from peewee import *

OLD_STATUSES = (
    "CHECK (status IN ('borrador', 'enviada', 'en_revision', 'requiere_correccion', "
    "'aprobada', 'entregada', 'rechazada', 'cancelada', 'en_espera'))"
)
NEW_STATUSES = (
    "CHECK (status IN ('borrador', 'enviada', 'en_revision', 'requiere_correccion', "
    "'aprobada', 'entregada', 'rechazada', 'cancelada', 'en_espera', 'suspendida'))"
)
OLD_LIVE = "('enviada', 'en_revision', 'requiere_correccion', 'aprobada', 'entregada', 'en_espera')"
NEW_LIVE = (
    "('enviada', 'en_revision', 'requiere_correccion', 'aprobada', 'entregada', "
    "'suspendida', 'en_espera')"
)


def _set_status_check(db, old, new):
    if isinstance(db, SqliteDatabase):
        # As in 0020_waiting_list.py: SQLite cannot alter a CHECK constraint;
        # the stored rows stay valid, so the table's schema text is edited.
        version = db.execute_sql("PRAGMA schema_version").fetchone()[0]
        db.execute_sql("PRAGMA writable_schema = ON")
        changed = db.execute_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'application' AND instr(sql, ?) > 0",
            (old, new, old),
        ).rowcount
        db.execute_sql(f"PRAGMA schema_version = {version + 1}")
        db.execute_sql("PRAGMA writable_schema = OFF")
        if changed != 1:
            raise RuntimeError("application's status CHECK is not the one this migration knows")
    else:
        db.execute_sql("ALTER TABLE application DROP CONSTRAINT IF EXISTS application_status_check")
        db.execute_sql(f"ALTER TABLE application ADD CONSTRAINT application_status_check {new}")


def _live_index(db, statuses):
    db.execute_sql("DROP INDEX IF EXISTS application_one_live_per_call")
    db.execute_sql(
        "CREATE UNIQUE INDEX application_one_live_per_call "
        f"ON application (citizen_id, program_id, call_id) WHERE status IN {statuses}"
    )


def up(migrator, db):
    class Application(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "application"

    class Enrollment(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "enrollment"

    class Document(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "document"

    class StaffUser(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "staff_user"

    class Recertification(Model):
        enrollment = ForeignKeyField(Enrollment, index=False, on_delete="CASCADE")
        application = ForeignKeyField(Application, on_delete="CASCADE")
        due_on = DateField(index=True)
        status = CharField(
            max_length=12,
            default="pendiente",
            constraints=[
                SQL("CHECK (status IN ('pendiente', 'por_revisar', 'corregir', 'aceptada'))")
            ],
        )
        document = ForeignKeyField(Document, null=True, on_delete="SET NULL")
        reason = TextField(default="")
        reviewed_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        reviewed_at = DateTimeField(null=True)
        reminded_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "recertification"
            indexes = ((("enrollment", "due_on"), True),)

    migrator.migrate(
        migrator.add_column("program", "recertification", TextField(default="{}")),
    )
    _set_status_check(db, OLD_STATUSES, NEW_STATUSES)
    _live_index(db, NEW_LIVE)
    db.create_tables([Recertification])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("recertification"))
    _live_index(db, OLD_LIVE)
    _set_status_check(db, NEW_STATUSES, OLD_STATUSES)
    migrator.migrate(migrator.drop_column("program", "recertification"))
