"""Staff sign-in throttled by account and client with growing waits, instead of
an account lock any stranger could trigger: the counters move to their own
table, keyed by digests, and the staff account loses its lock columns."""
from peewee import *


def up(migrator, db):
    class SignInThrottle(Model):
        key = CharField(max_length=64, unique=True)
        scope = CharField(max_length=10)
        account = CharField(max_length=64, default='', index=True)
        failures = IntegerField(default=0)
        wait_until = DateTimeField(null=True)
        known = BooleanField(default=False)
        updated_at = DateTimeField(index=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'sign_in_throttle'

    db.create_tables([SignInThrottle])
    migrator.migrate(
        migrator.drop_column('staff_user', 'failed_logins'),
        migrator.drop_column('staff_user', 'locked_until'),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.add_column('staff_user', 'failed_logins', IntegerField(default=0)),
        migrator.add_column('staff_user', 'locked_until', DateTimeField(null=True)),
        migrator.drop_table('sign_in_throttle'),
    )
