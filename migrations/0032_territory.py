"""Territory (issue 19): the state's INEGI localities and SEPOMEX postal
settlements, the citizen's locality code from that catalog, and how many rows
of a roll import had an address the catalogs did not recognise.

The catalogs start empty; ``flask territorio cargar`` fills them (docs/territory.md)."""
from peewee import *


def up(migrator, db):
    class Municipality(Model):
        code = CharField(max_length=5, primary_key=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'municipality'

    class Locality(Model):
        code = CharField(max_length=9, primary_key=True)
        municipality = ForeignKeyField(Municipality, on_delete='CASCADE', index=True)
        name = CharField()
        lat = FloatField(null=True)
        lon = FloatField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'locality'

    class PostalSettlement(Model):
        postal_code = CharField(max_length=5, index=True)
        settlement_type = CharField()
        settlement_name = CharField()
        municipality = ForeignKeyField(Municipality, on_delete='CASCADE', index=False)
        locality = ForeignKeyField(Locality, null=True, on_delete='SET NULL', index=False)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'postal_settlement'
            indexes = ((('postal_code', 'settlement_type', 'settlement_name'), True),)

    db.create_tables([Locality, PostalSettlement])
    migrator.migrate(
        migrator.add_column('citizen', 'locality_code', CharField(max_length=9, default='')),
        migrator.add_column('import_batch', 'addresses_unmatched', IntegerField(default=0)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('import_batch', 'addresses_unmatched'),
        migrator.drop_column('citizen', 'locality_code'),
    )
    db.execute_sql('DROP TABLE IF EXISTS postal_settlement')
    db.execute_sql('DROP TABLE IF EXISTS locality')
