"""Delivery credentials (the QR codes) and deliveries, recorded once each."""
from peewee import *


def up(migrator, db):
    # The tables referenced, frozen down to what a foreign key needs.
    class Application(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'application'

    class StaffUser(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'staff_user'

    class DeliveryPoint(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'delivery_point'

    class Credential(Model):
        application = ForeignKeyField(Application, on_delete='CASCADE')
        credential_id = CharField(unique=True, max_length=16)
        issued_on = DateField()
        expires_on = DateField(null=True)
        issued_at = DateTimeField()
        issued_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        revoked_at = DateTimeField(null=True)
        superseded_at = DateTimeField(null=True)
        superseded_by = ForeignKeyField('self', null=True, on_delete='SET NULL')
        reason = TextField(default='')
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'credential'
    db.create_tables([Credential])
    # At most one current (neither revoked nor superseded) credential per application.
    db.execute_sql(
        "CREATE UNIQUE INDEX credential_one_current_per_application "
        "ON credential (application_id) "
        "WHERE revoked_at IS NULL AND superseded_at IS NULL"
    )

    class Delivery(Model):
        application = ForeignKeyField(Application, unique=True, on_delete='RESTRICT')
        credential = ForeignKeyField(Credential, null=True, on_delete='SET NULL')
        operator = ForeignKeyField(StaffUser, on_delete='RESTRICT')
        point = ForeignKeyField(DeliveryPoint, on_delete='RESTRICT')
        delivered_at = DateTimeField(index=True)
        id_type = CharField(max_length=20)
        id_last4 = CharField(max_length=4)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'delivery'
    db.create_tables([Delivery])
