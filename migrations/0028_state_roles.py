"""The state's own staff roles: the coordinating secretariat (issue 17) and the
state counter that serves every agency's programs (issue 18). Like
``admin_estatal`` their accounts belong to no agency."""
from peewee import *

OLD_ROLES = (
    "CHECK (role IN ('revisor', 'entrega', 'supervisor', 'admin_dependencia', 'admin_estatal'))"
)
NEW_ROLES = (
    "CHECK (role IN ('revisor', 'entrega', 'supervisor', 'admin_dependencia', 'admin_estatal',"
    " 'secretaria', 'ventanilla_estatal'))"
)


def _set_role_check(db, old, new):
    if isinstance(db, SqliteDatabase):
        # As in 0010: SQLite's documented way to change a CHECK that leaves the
        # stored rows valid is to edit the table's schema text.
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
    _set_role_check(db, OLD_ROLES, NEW_ROLES)


def down(migrator, db):
    db.execute_sql("DELETE FROM staff_user WHERE role IN ('secretaria', 'ventanilla_estatal')")
    _set_role_check(db, NEW_ROLES, OLD_ROLES)
