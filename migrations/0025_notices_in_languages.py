"""Notices in the person's language (docs/languages.md): each notice keeps its kind
and its facts next to the Spanish text it was written with, and each person the
language they last chose. Rows written before have no kind and show as stored.

Depends on 0022_content_languages (0024 is other work's number) and touches only
the notice table of 0004 and the citizen table of 0001."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('notice', 'kind', CharField(default='')),
        migrator.add_column('notice', 'facts', TextField(default='{}')),
        migrator.add_column('citizen', 'language', CharField(max_length=8, default='es')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('citizen', 'language'),
        migrator.drop_column('notice', 'facts'),
        migrator.drop_column('notice', 'kind'),
    )
