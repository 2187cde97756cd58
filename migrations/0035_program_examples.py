"""Programs carry example people and the verdict each must get (issue 17, item 3):
``program.examples`` holds them as JSON, a list of ``{name, profile, verdict, on}``
(schema.Example.to_dict()); ``[]`` for a program without examples."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("program", "examples", TextField(default="[]")))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("program", "examples"))
