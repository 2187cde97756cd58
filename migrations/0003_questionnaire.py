"""Catalog and questionnaire: codes to resume the questionnaire later."""
from peewee import *


def up(migrator, db):
    class ResumeCode(Model):
        code = CharField(unique=True, max_length=12)
        answers = TextField()
        asked = TextField()
        created_at = DateTimeField()
        expires_at = DateTimeField(index=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'resume_code'
    db.create_tables([ResumeCode])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('resume_code'))
