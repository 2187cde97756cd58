"""Waiting lists: a submission that finds its call full waits for a place.

* ``application.status`` may be ``en_espera`` (the CHECK constraint grows);
* ``application_one_live_per_call`` counts a waiting application as live, so a
  person waits at most once per call and never waits while holding a place;
* ``application.waiting_number`` and the partial unique index
  ``application_waiting_list`` (call, number) WHERE waiting: the list's order,
  a person's position counted on it;
* ``call.places_waiting`` (how many wait, CHECK >= 0) and
  ``call.waiting_issued`` (numbers handed out), kept by the workflow in the
  transactions that move applications.
"""
from peewee import *

OLD_STATUSES = (
    "CHECK (status IN ('borrador', 'enviada', 'en_revision', 'requiere_correccion', "
    "'aprobada', 'entregada', 'rechazada', 'cancelada'))"
)
NEW_STATUSES = (
    "CHECK (status IN ('borrador', 'enviada', 'en_revision', 'requiere_correccion', "
    "'aprobada', 'entregada', 'rechazada', 'cancelada', 'en_espera'))"
)
OLD_LIVE = "('enviada', 'en_revision', 'requiere_correccion', 'aprobada', 'entregada')"
NEW_LIVE = "('enviada', 'en_revision', 'requiere_correccion', 'aprobada', 'entregada', 'en_espera')"


def _set_status_check(db, old, new):
    if isinstance(db, SqliteDatabase):
        # As in 0010_integrity.py: SQLite cannot alter a CHECK constraint; the
        # stored rows stay valid, so the table's schema text is edited.
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
    migrator.migrate(
        migrator.add_column('application', 'waiting_number', IntegerField(null=True)),
        migrator.add_column(
            'call',
            'places_waiting',
            IntegerField(default=0, constraints=[SQL('CHECK (places_waiting >= 0)')]),
        ),
        migrator.add_column('call', 'waiting_issued', IntegerField(default=0)),
    )
    _set_status_check(db, OLD_STATUSES, NEW_STATUSES)
    _live_index(db, NEW_LIVE)
    db.execute_sql(
        "CREATE UNIQUE INDEX application_waiting_list "
        "ON application (call_id, waiting_number) WHERE status = 'en_espera'"
    )


def down(migrator, db):
    db.execute_sql("DROP INDEX IF EXISTS application_waiting_list")
    _live_index(db, OLD_LIVE)
    _set_status_check(db, NEW_STATUSES, OLD_STATUSES)
    migrator.migrate(
        migrator.drop_column('call', 'waiting_issued'),
        migrator.drop_column('call', 'places_waiting'),
        migrator.drop_column('application', 'waiting_number'),
    )
