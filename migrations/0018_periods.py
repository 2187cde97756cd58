"""Benefits over time: a program's payment schedule, and one delivery per
application and benefit period (the unique pair replaces the unique
application, so period 2 can be delivered after period 1, and each only once)."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('program', 'benefit_schedule', TextField(default='{}')),
        migrator.drop_index('delivery', 'delivery_application_id'),
        migrator.add_column('delivery', 'period', IntegerField(default=1)),
        migrator.add_column('delivery', 'amount', IntegerField(null=True)),
        migrator.add_index('delivery', ('application_id', 'period'), True),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('delivery', 'delivery_application_id_period'),
        migrator.drop_column('delivery', 'amount'),
        migrator.drop_column('delivery', 'period'),
        migrator.add_index('delivery', ('application_id',), True),
        migrator.drop_column('program', 'benefit_schedule'),
    )
