"""The facts the eligibility rules read of each citizen, in a narrow table
(issue 17, item 2: the live rule preview under 2 s on a million people): one
row per citizen with the record's municipality, birth date and sex and the
typed questionnaire answers the conditions use (portal/citizens/facts.py).

Filled here from the rows already there, in chunks of the primary key, by
one INSERT ... SELECT per chunk that reads the profile as the preview always
read it (a value of its field's JSON type, else NULL). The SQL is a frozen
copy of portal/citizens/facts.py's at this migration, so that a later change
there does not change what this migration did. Then the index the preview
walks: led by the municipality it groups by, holding every other column.
"""

from peewee import *

CHUNK = 100_000
NUMBERS = ("household_size", "household_income_monthly")
TEXTS = ("student_level", "employment")
BOOLEANS = ("disability", "indigenous", "pregnant")
AGES = "children_ages"
COLUMNS = (
    "citizen_id", "municipality", "lives_in", "birth_date", "sex", *NUMBERS, *TEXTS,
    *BOOLEANS, "children", "youngest_child", "eldest_child",
)


def _sqlite_select():
    def kind(name):
        return f"json_type(profile, '$.{name}')"

    def value(name):
        return f"json_extract(profile, '$.{name}')"

    def ages(aggregate):
        return (
            f"CASE WHEN {kind(AGES)} = 'array' THEN (SELECT {aggregate} FROM "  # noqa: S608
            f"json_each(profile, '$.{AGES}') WHERE type IN ('integer', 'real')) END"
        )

    values = [
        "id", "municipality_id",
        f"COALESCE(municipality_id, CASE WHEN {kind('municipality')} = 'text' "
        f"THEN {value('municipality')} END)",
        "birth_date", "sex",
        *(f"CASE WHEN {kind(n)} IN ('integer', 'real') THEN {value(n)} END" for n in NUMBERS),
        *(f"CASE WHEN {kind(n)} = 'text' THEN {value(n)} END" for n in TEXTS),
        *(f"CASE {kind(n)} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END" for n in BOOLEANS),
        ages("COUNT(*)"), ages("MIN(value)"), ages("MAX(value)"),
    ]
    return f"SELECT {', '.join(values)} FROM citizen WHERE id BETWEEN ? AND ?"  # noqa: S608


def _postgres_select():
    def typed(name, json_type, cast):
        return f"CASE WHEN jsonb_typeof(p->'{name}') = '{json_type}' THEN (p->>'{name}'){cast} END"

    def ages(aggregate):
        return (
            f"CASE WHEN jsonb_typeof(p->'{AGES}') = 'array' THEN (SELECT {aggregate} "  # noqa: S608
            f"FROM jsonb_array_elements(p->'{AGES}') AS e(v) WHERE jsonb_typeof(e.v) = 'number') END"
        )

    values = [
        "id", "m", f"COALESCE(m, {typed('municipality', 'string', '')})", "b", "s",
        *(typed(n, "number", "::float8") for n in NUMBERS),
        *(typed(n, "string", "") for n in TEXTS),
        *(typed(n, "boolean", "::boolean") for n in BOOLEANS),
        ages("COUNT(*)"),
        ages("MIN((e.v #>> '{}')::float8)"),
        ages("MAX((e.v #>> '{}')::float8)"),
    ]
    return (
        f"SELECT {', '.join(values)} FROM (SELECT id, municipality_id AS m, "  # noqa: S608
        "birth_date AS b, sex AS s, profile::jsonb AS p FROM citizen "
        "WHERE id BETWEEN %s AND %s OFFSET 0) AS c"
    )


def _backfill(db):
    select = _sqlite_select() if isinstance(db, SqliteDatabase) else _postgres_select()
    insert = f"INSERT INTO citizen_facts ({', '.join(COLUMNS)}) {select}"
    last = db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM citizen").fetchone()[0]
    for first in range(1, last + 1, CHUNK):
        with db.atomic():
            db.execute_sql(insert, (first, first + CHUNK - 1))


def up(migrator, db):
    class Citizen(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "citizen"

    class CitizenFacts(Model):
        citizen = ForeignKeyField(Citizen, primary_key=True, on_delete="CASCADE")
        municipality = CharField(max_length=5, null=True)
        lives_in = TextField(null=True)
        birth_date = DateField()
        sex = CharField(max_length=1)
        household_size = DoubleField(null=True)
        household_income_monthly = DoubleField(null=True)
        student_level = TextField(null=True)
        employment = TextField(null=True)
        disability = BooleanField(null=True)
        indigenous = BooleanField(null=True)
        pregnant = BooleanField(null=True)
        children = IntegerField(null=True)
        youngest_child = DoubleField(null=True)
        eldest_child = DoubleField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "citizen_facts"

    db.create_tables([CitizenFacts])
    _backfill(db)
    # Built once the rows are in (faster than growing it row by row).
    columns = ", ".join(COLUMNS[1:])
    db.execute_sql(f"CREATE INDEX citizen_facts_by_municipality ON citizen_facts ({columns})")


def down(migrator, db):
    migrator.migrate(migrator.drop_table("citizen_facts"))
