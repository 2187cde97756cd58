"""The models and the numbered migrations describe the same schema."""

from __future__ import annotations

from peewee import SqliteDatabase
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

from portal.models import ALL_MODELS
from portal.web import database
from portal.web.extensions import db


def _columns(database_, table):
    return {
        (c.name, c.data_type.split("(")[0].lower(), c.null) for c in database_.get_columns(table)
    }


def _indexes(database_, table):
    return {
        (i.name, tuple(i.columns), i.unique)
        for i in database_.get_indexes(table)
        if not i.name.startswith("sqlite_autoindex") and not i.name.endswith("_pkey")
    }


def test_models_and_migrations_do_not_drift(app):
    diff = diff_models(db.obj, ALL_MODELS)
    assert not diff, f"models and migrations differ; add a migration for:\n{diff}"


def test_migrations_build_the_same_columns_and_indexes_as_the_models(tmp_path):
    migrated = SqliteDatabase(str(tmp_path / "migrated.db"))
    Runner(migrated, str(database.MIGRATIONS)).up()
    declared = SqliteDatabase(str(tmp_path / "declared.db"))
    with declared.bind_ctx(ALL_MODELS):
        declared.create_tables(ALL_MODELS)
    for model in ALL_MODELS:
        table = model._meta.table_name
        assert _columns(migrated, table) == _columns(declared, table), table
        assert _indexes(migrated, table) == _indexes(declared, table), table


def test_upgrade_is_idempotent(app):
    assert database.upgrade() == []
