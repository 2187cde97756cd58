"""SMS over SMPP (docs/sms.md): the segments handed to the SMSC with their
delivery receipts, the per-number daily counters, and an index on the
citizen's phone so that an SMS received finds its sender by number."""
from peewee import *


def up(migrator, db):
    class Outbox(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'outbox'

    class SmsPart(Model):
        outbox = ForeignKeyField(Outbox, null=True, on_delete='CASCADE')
        message_id = CharField(max_length=65, unique=True)
        part = IntegerField(default=1)
        parts = IntegerField(default=1)
        encoding = CharField(max_length=4)
        state = CharField(
            default='ENVIADO',
            constraints=[SQL(
                "CHECK (state IN ('ENVIADO', 'ENROUTE', 'DELIVRD', 'EXPIRED', 'DELETED',"
                " 'UNDELIV', 'ACCEPTD', 'UNKNOWN', 'REJECTD'))"
            )],
        )
        error_code = CharField(max_length=8, default='')
        submitted_at = DateTimeField()
        receipt_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'sms_part'

    class SmsCounter(Model):
        key = CharField(max_length=64)
        kind = CharField(constraints=[SQL("CHECK (kind IN ('enviado', 'consulta'))")])
        day = DateField(index=True)
        count = IntegerField(default=0)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'sms_counter'
            indexes = ((('key', 'kind', 'day'), True),)

    db.create_tables([SmsPart, SmsCounter])
    migrator.migrate(migrator.add_index('citizen', ('phone',), False))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('citizen', 'citizen_phone'),
        migrator.drop_table('sms_counter'),
        migrator.drop_table('sms_part'),
    )
