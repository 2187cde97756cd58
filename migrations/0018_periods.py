"""Benefits over time: a program's payment schedule, one delivery per
application and benefit period (the unique pair replaces the unique
application, so period 2 can be delivered after period 1, and each only once),
and the delivery calendar (a date and place per period and municipality turn)."""
from peewee import *


def up(migrator, db):
    class Program(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'program'

    class DeliveryPoint(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'delivery_point'

    class StaffUser(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'staff_user'

    class DeliveryDate(Model):
        program = ForeignKeyField(Program, on_delete='CASCADE')
        period = IntegerField()
        municipality = CharField(max_length=5, default='')
        day = DateField()
        hours = CharField(max_length=60, default='')
        point = ForeignKeyField(DeliveryPoint, on_delete='RESTRICT')
        entered_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        reminded_at = DateTimeField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'delivery_date'
            indexes = ((('program', 'period', 'municipality'), True),)

    db.create_tables([DeliveryDate])
    migrator.migrate(
        migrator.add_column('program', 'benefit_schedule', TextField(default='{}')),
        migrator.drop_index('delivery', 'delivery_application_id'),
        migrator.add_column('delivery', 'period', IntegerField(default=1)),
        migrator.add_column('delivery', 'amount', IntegerField(null=True)),
        migrator.add_index('delivery', ('application_id', 'period'), True),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('delivery_date'),
        migrator.drop_index('delivery', 'delivery_application_id_period'),
        migrator.drop_column('delivery', 'amount'),
        migrator.drop_column('delivery', 'period'),
        migrator.add_index('delivery', ('application_id',), True),
        migrator.drop_column('program', 'benefit_schedule'),
    )
