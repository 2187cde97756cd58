"""Roll upload preview (issue 17, item 8): a web upload waits as
``vista_previa`` with the dry run's findings in ``preview`` until an admin
commits it (``pendiente``: the import runs) or discards it (``descartado``)."""
from peewee import *

OLD = "CHECK (status IN ('pendiente', 'en_proceso', 'terminado', 'fallido'))"
NEW = (
    "CHECK (status IN ('pendiente', 'en_proceso', 'terminado', 'fallido', 'vista_previa',"
    " 'descartado'))"
)


def _set_status_check(db, old, new):
    if isinstance(db, SqliteDatabase):
        # As in 0010: SQLite's documented way to change a CHECK that leaves the
        # stored rows valid is to edit the table's schema text.
        version = db.execute_sql("PRAGMA schema_version").fetchone()[0]
        db.execute_sql("PRAGMA writable_schema = ON")
        db.execute_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'import_batch'",
            (old, new),
        )
        db.execute_sql(f"PRAGMA schema_version = {version + 1}")
        db.execute_sql("PRAGMA writable_schema = OFF")
    else:
        db.execute_sql("ALTER TABLE import_batch DROP CONSTRAINT IF EXISTS import_batch_status_check")
        db.execute_sql(f"ALTER TABLE import_batch ADD CONSTRAINT import_batch_status_check {new}")


def up(migrator, db):
    migrator.migrate(migrator.add_column("import_batch", "preview", TextField(null=True)))
    _set_status_check(db, OLD, NEW)


def down(migrator, db):
    db.execute_sql(
        "UPDATE import_batch SET status = 'fallido' WHERE status IN ('vista_previa', 'descartado')"
    )
    _set_status_check(db, NEW, OLD)
    migrator.migrate(migrator.drop_column("import_batch", "preview"))
