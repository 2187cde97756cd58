"""Integrity on every path: the supervisor role, audited approval overrides,
the reason an enrollment ended, and who helped whom at the counter."""
from peewee import *

OLD_ROLES = "CHECK (role IN ('revisor', 'entrega', 'admin_dependencia', 'admin_estatal'))"
NEW_ROLES = (
    "CHECK (role IN ('revisor', 'entrega', 'supervisor', 'admin_dependencia', 'admin_estatal'))"
)


def _set_role_check(db, old, new):
    if isinstance(db, SqliteDatabase):
        # SQLite cannot alter a CHECK constraint; its documented way for a change
        # that leaves the stored rows valid is to edit the table's schema text.
        version = db.execute_sql("PRAGMA schema_version").fetchone()[0]
        db.execute_sql("PRAGMA writable_schema = ON")
        db.execute_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'staff_user'",
            (old, new),
        )
        db.execute_sql(f"PRAGMA schema_version = {version + 1}")
        db.execute_sql("PRAGMA writable_schema = OFF")
    else:
        db.execute_sql("ALTER TABLE staff_user DROP CONSTRAINT IF EXISTS staff_user_role_check")
        db.execute_sql(f"ALTER TABLE staff_user ADD CONSTRAINT staff_user_role_check {new}")


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

    class Application(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'application'

    class Assistance(Model):
        citizen = ForeignKeyField(Citizen, on_delete='CASCADE')
        staff = ForeignKeyField(StaffUser, on_delete='CASCADE')
        act = CharField(max_length=20)
        application = ForeignKeyField(Application, null=True, on_delete='CASCADE')
        created_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'assistance'
            indexes = ((('citizen', 'staff', 'act', 'application'), True),)

    _set_role_check(db, OLD_ROLES, NEW_ROLES)
    migrator.migrate(
        migrator.add_column(
            'application', 'override_by_id',
            ForeignKeyField(StaffUser, field=StaffUser.id, null=True, on_delete='SET NULL'),
        ),
        migrator.add_column('application', 'override_reason', TextField(default='')),
        migrator.add_column('enrollment', 'end_reason', TextField(default='')),
    )
    db.create_tables([Assistance])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('assistance'),
        migrator.drop_column('enrollment', 'end_reason'),
        migrator.drop_column('application', 'override_reason'),
        migrator.drop_column('application', 'override_by_id'),
    )
    _set_role_check(db, NEW_ROLES, OLD_ROLES)
