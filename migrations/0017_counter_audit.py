"""Who saw a person's record: an index that lists the views of one record,
latest first, without reading the rest of the audit trail."""
from peewee import *

COLUMNS = ('object_type', 'object_id', 'action', 'created_at')


def up(migrator, db):
    migrator.migrate(migrator.add_index('audit_event', COLUMNS, False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('audit_event', 'audit_event_' + '_'.join(COLUMNS)))
