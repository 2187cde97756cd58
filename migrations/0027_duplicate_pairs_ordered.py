"""Probable duplicates found on the queue (issue 17, item 9): a pair names its
lower citizen id first, enforced by the database, so that with the unique
index on (citizen_a_id, citizen_b_id) the same two people are one row
whichever of them was checked. Rows written otherwise before are put in order
first (a pair listed both ways keeps its older row)."""
from peewee import *

CHECK = "CONSTRAINT duplicate_candidate_ordered CHECK (citizen_a_id < citizen_b_id)"


def _order_existing(db):
    db.execute_sql("DELETE FROM duplicate_candidate WHERE citizen_a_id = citizen_b_id")
    db.execute_sql(
        "DELETE FROM duplicate_candidate WHERE citizen_a_id > citizen_b_id AND EXISTS ("
        "SELECT 1 FROM duplicate_candidate o WHERE o.citizen_a_id = duplicate_candidate.citizen_b_id "
        "AND o.citizen_b_id = duplicate_candidate.citizen_a_id)"
    )
    db.execute_sql(
        "UPDATE duplicate_candidate SET citizen_a_id = citizen_b_id, citizen_b_id = citizen_a_id "
        "WHERE citizen_a_id > citizen_b_id"
    )


def up(migrator, db):
    with db.atomic():
        _order_existing(db)
        if isinstance(db, SqliteDatabase):
            # SQLite cannot add a constraint to a table; as in 0010, the table's
            # schema text gets it (the rows above already satisfy it).
            version = db.execute_sql("PRAGMA schema_version").fetchone()[0]
            db.execute_sql("PRAGMA writable_schema = ON")
            db.execute_sql(
                "UPDATE sqlite_master SET sql = substr(sql, 1, length(sql) - 1) || ?"
                " WHERE type = 'table' AND name = 'duplicate_candidate'"
                " AND sql NOT LIKE '%duplicate_candidate_ordered%'",
                (f", {CHECK})",),
            )
            db.execute_sql(f"PRAGMA schema_version = {version + 1}")
            db.execute_sql("PRAGMA writable_schema = OFF")
        else:
            db.execute_sql(f"ALTER TABLE duplicate_candidate ADD {CHECK}")


def down(migrator, db):
    if isinstance(db, SqliteDatabase):
        version = db.execute_sql("PRAGMA schema_version").fetchone()[0]
        db.execute_sql("PRAGMA writable_schema = ON")
        db.execute_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, '')"
            " WHERE type = 'table' AND name = 'duplicate_candidate'",
            (f", {CHECK}",),
        )
        db.execute_sql(f"PRAGMA schema_version = {version + 1}")
        db.execute_sql("PRAGMA writable_schema = OFF")
    else:
        db.execute_sql("ALTER TABLE duplicate_candidate DROP CONSTRAINT duplicate_candidate_ordered")
