"""Applications and notices: the inbox and the outbox that e-mails and texts it."""
from peewee import *


def up(migrator, db):
    class Citizen(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'citizen'

    class Application(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'application'

    class Notice(Model):
        citizen = ForeignKeyField(Citizen, on_delete='CASCADE')
        application = ForeignKeyField(Application, null=True, on_delete='CASCADE')
        status = CharField(default='')
        title = CharField()
        body = TextField()
        link = CharField(default='')
        created_at = DateTimeField()
        read_at = DateTimeField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'notice'
            indexes = ((('citizen', 'created_at'), False),)
    db.create_tables([Notice])

    class Outbox(Model):
        notice = ForeignKeyField(Notice, on_delete='CASCADE')
        channel = CharField(constraints=[SQL("CHECK (channel IN ('email', 'sms'))")])
        status = CharField(default='pendiente', constraints=[SQL("CHECK (status IN ('pendiente', 'enviado', 'fallido'))")])
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        last_error = CharField(default='')
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'outbox'
            indexes = ((('status', 'next_attempt_at'), False),)
    db.create_tables([Outbox])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('outbox'))
    migrator.migrate(migrator.drop_table('notice'))
