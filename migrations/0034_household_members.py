"""The people of a citizen's household, as the questionnaire lists them (issue
18, item 2): age, sex, schooling, disability and relation, never a name or a
CURP; one row per person, unique per citizen and position."""

from peewee import *


def up(migrator, db):
    class Citizen(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "citizen"

    class HouseholdMember(Model):
        citizen = ForeignKeyField(Citizen, on_delete="CASCADE")
        position = IntegerField()
        relation = CharField(max_length=20)
        age = IntegerField()
        sex = CharField(max_length=1)
        student_level = CharField(max_length=20)
        disability = BooleanField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "household_member"
            indexes = ((("citizen", "position"), True),)

    db.create_tables([HouseholdMember])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("household_member"))
