"""The reviewer's queue and the audit trail read by position on indexes.

The queue is read oldest first per status, or per municipality, program and
status when a municipality is chosen; the audit trail newest first per staff member and per action; each
page continues after the last row shown, so it reads about one page of index
entries however many applications and entries there are. Both engines.
(Per program and status the queue reads the index application already has,
on program, status and submitted_at.)"""
from peewee import *

QUEUE_INDEXES = (
    ("application", ("status", "submitted_at", "id")),
    ("application", ("municipality", "program_id", "status", "submitted_at", "id")),
    ("audit_event", ("actor_kind", "actor_id", "id")),
    ("audit_event", ("action", "id")),
)


def up(migrator, db):
    migrator.migrate(
        *(migrator.add_index(table, columns, False) for table, columns in QUEUE_INDEXES)
    )


def down(migrator, db):
    migrator.migrate(
        *(
            migrator.drop_index(table, "_".join((table,) + columns))
            for table, columns in QUEUE_INDEXES
        )
    )
