"""The data layer: SQLite pragmas, write transactions, connection hygiene."""

from __future__ import annotations

import threading

import pytest

from portal.models import Agency
from portal.web import database
from portal.web.extensions import db
from tests.conftest import POSTGRES_URL
from tests.factories import make_agency


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite pragmas")
def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(app):
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_concurrent_read_then_write_transactions_never_lock_out(app):
    agency = make_agency(name="0")
    errors: list[BaseException] = []
    rounds, threads = 15, 8

    def worker():
        try:
            for _ in range(rounds):
                with database.write():
                    current = database.locked(Agency.select().where(Agency.id == agency.id)).get()
                    Agency.update(name=str(int(current.name) + 1)).where(
                        Agency.id == agency.id
                    ).execute()
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            db.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    assert Agency.get_by_id(agency.id).name == str(rounds * threads)


def test_each_request_closes_its_connection(app, client):
    db.close()
    client.get("/healthz")
    assert db.is_closed()


def test_database_url_selects_the_engine():
    assert type(database.database_from_url("sqlite:////tmp/x.db")).__name__ == "SqliteDatabase"
    pg = database.database_from_url("postgresql://u:p%40ss@db.example.org:5433/portal")
    assert type(pg).__name__ == "PostgresqlDatabase"
    assert pg.database == "portal" and pg.connect_params["password"] == "p@ss"
    with pytest.raises(ValueError):
        database.database_from_url("mysql://x")
