"""The guided program editor (issue 17):

* ``program.examples``: example people and the verdict each must get, as JSON,
  a list of ``{name, profile, verdict, on}`` (schema.Example.to_dict());
* ``program_version`` becomes a draft or a published version: ``status``
  (``borrador``, ``en_revision``, ``publicada``, ``devuelta``; the versions
  already stored were published), ``based_on`` (the published version a draft
  was edited from), who reviewed it, when, and the note sent back.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("program", "examples", TextField(default="[]")),
        migrator.add_column("program_version", "status", CharField(max_length=12, default="publicada")),
        migrator.add_column("program_version", "based_on", IntegerField(default=0)),
        migrator.add_column("program_version", "reviewed_by", CharField(default="")),
        migrator.add_column("program_version", "reviewed_at", DateTimeField(null=True)),
        migrator.add_column("program_version", "review_note", TextField(default="")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("program_version", "review_note"),
        migrator.drop_column("program_version", "reviewed_at"),
        migrator.drop_column("program_version", "reviewed_by"),
        migrator.drop_column("program_version", "based_on"),
        migrator.drop_column("program_version", "status"),
        migrator.drop_column("program", "examples"),
    )
