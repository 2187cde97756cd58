"""Delivery points are updated in place: their order in the program's list, and
whether they are still in use (a point removed after deliveries were recorded
there is kept, inactive, for those deliveries)."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('delivery_point', 'position', IntegerField(default=0)),
        migrator.add_column('delivery_point', 'active', BooleanField(default=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('delivery_point', 'active'),
        migrator.drop_column('delivery_point', 'position'),
    )
