"""Open data from a cached build: the changes not yet built (the data version
writers keep current), the current build of every public output, and the lease
that keeps builds one at a time (portal/transparency/builds.py)."""
from peewee import *


def up(migrator, db):
    class OpenDataChange(Model):
        kind = CharField(max_length=20)
        program_id = IntegerField(null=True)
        changed_at = DateTimeField()
        claimed = IntegerField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'open_data_change'

    class OpenDataBuild(Model):
        name = CharField(max_length=150, primary_key=True)
        file = CharField(max_length=200)
        etag = CharField(max_length=64)
        size = BigIntegerField()
        version = IntegerField()
        built_at = DateTimeField()
        built_on = DateField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'open_data_build'

    class OpenDataLease(Model):
        name = CharField(max_length=20, primary_key=True)
        holder = CharField(max_length=64, null=True)
        until = DateTimeField(null=True)
        generation = IntegerField(default=0)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'open_data_lease'

    db.create_tables([OpenDataChange, OpenDataBuild, OpenDataLease])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('open_data_lease'),
        migrator.drop_table('open_data_build'),
        migrator.drop_table('open_data_change'),
    )
