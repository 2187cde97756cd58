"""Places taken by the database, one draft per person and call.

* ``call.places_taken``: the places of the call held by its applications (a
  live status: sent, in review, to correct, approved, delivered). A submission
  takes one with ``UPDATE call SET places_taken = places_taken + 1 WHERE id = ?
  AND (quota IS NULL OR places_taken < quota)`` in its own transaction, so a
  quota cannot be exceeded; every move out of a live status gives it back.
  Filled here from the live applications.
* ``application_one_draft_per_call``: at most one draft per person and call.
  Drafts repeated before this index (parallel posts of the start form) are
  cancelled, keeping the one with the most documents (then the oldest), with
  an event on the person's timeline.
"""
import datetime as dt

from peewee import *

LIVE = "('enviada', 'en_revision', 'requiere_correccion', 'aprobada', 'entregada')"
REPEATED = "Borrador repetido de la misma convocatoria: se conserva el otro borrador."


def _repeated_drafts(db):
    rows = db.execute_sql(
        "SELECT a.id, a.citizen_id, a.call_id, "
        '(SELECT COUNT(*) FROM document d WHERE d.application_id = a.id AND d."current") '
        "FROM application a WHERE a.status = 'borrador'"
    ).fetchall()
    kept, repeated = {}, []
    for app_id, citizen_id, call_id, _documents in sorted(rows, key=lambda r: (-r[3], r[0])):
        if (citizen_id, call_id) in kept:
            repeated.append(app_id)
        else:
            kept[(citizen_id, call_id)] = app_id
    return repeated


def up(migrator, db):
    migrator.migrate(
        migrator.add_column(
            'call',
            'places_taken',
            IntegerField(default=0, constraints=[SQL('CHECK (places_taken >= 0)')]),
        ),
    )
    db.execute_sql(
        'UPDATE "call" SET places_taken = (SELECT COUNT(*) FROM application a '  # noqa: S608 - constant statuses
        f'WHERE a.call_id = "call".id AND a.status IN {LIVE})'
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for app_id in _repeated_drafts(db):
        db.execute_sql(
            "UPDATE application SET status = 'cancelada', version = version + 1, "
            "updated_at = %s WHERE id = %s".replace('%s', db.param),
            (now, app_id),
        )
        db.execute_sql(
            "INSERT INTO application_event (application_id, from_status, to_status, "  # noqa: S608 - placeholders only
            "actor_kind, assisted, reason, created_at) VALUES "
            f"({db.param}, 'borrador', 'cancelada', 'sistema', {db.param}, {db.param}, "
            f"{db.param})",
            (app_id, False, REPEATED, now),
        )
    db.execute_sql(
        "CREATE UNIQUE INDEX application_one_draft_per_call "
        "ON application (citizen_id, call_id) WHERE status = 'borrador'"
    )


def down(migrator, db):
    db.execute_sql("DROP INDEX IF EXISTS application_one_draft_per_call")
    migrator.migrate(migrator.drop_column('call', 'places_taken'))
