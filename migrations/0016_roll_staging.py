"""Roll imports beside other writes, and uploaded rolls encrypted at rest: a
batch names its encrypted file (the blob key, "" once the import ended) and
records a sign of life with every chunk it writes (its rows are written in
short transactions, staged until one final step publishes them)."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('import_batch', 'stored_file', CharField(default='')),
        migrator.add_column('import_batch', 'heartbeat_at', DateTimeField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('import_batch', 'heartbeat_at'),
        migrator.drop_column('import_batch', 'stored_file'),
    )
