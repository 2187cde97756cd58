"""Content in other languages: each program's translations (docs/languages.md).

Depends on 0019_rights (it applies after it; 0020 and 0021 are other work's
numbers) and touches only the program table of 0003: one JSON column holding
the program's texts by language, ``{}`` when it has none."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('program', 'i18n', TextField(default='{}')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('program', 'i18n'),
    )
