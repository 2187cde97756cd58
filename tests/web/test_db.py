"""The data layer: SQLite pragmas, write transactions, connection hygiene."""

from __future__ import annotations

import threading

import pytest
from peewee import PostgresqlDatabase
from playhouse.pool import PooledDatabase

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


def _count_connects(monkeypatch) -> list[int]:
    """Count the driver connections opened (not the ones a pool hands out again)."""
    opened: list[int] = []
    if isinstance(db.obj, PooledDatabase):
        db.obj.close_idle()  # start from an empty pool
        connect = PostgresqlDatabase._connect

        def counting_raw(self):
            opened.append(1)
            return connect(self)

        monkeypatch.setattr(PostgresqlDatabase, "_connect", counting_raw)
        return opened
    connect = db.obj._connect

    def counting():
        opened.append(1)
        return connect()

    monkeypatch.setattr(db.obj, "_connect", counting)
    return opened


def test_requests_reuse_a_connection_instead_of_opening_one_each(app, client, monkeypatch):
    db.close()
    opened = _count_connects(monkeypatch)
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    # One connection (and on SQLite one round of PRAGMAs) for five requests.
    assert len(opened) == 1


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite keeps a connection per thread")
def test_sqlite_connection_stays_with_its_thread_and_keeps_its_pragmas(app, client):
    client.get("/healthz")
    assert not db.is_closed()
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000


@pytest.mark.skipif(not POSTGRES_URL, reason="the pool is PostgreSQL's")
def test_postgresql_request_gives_its_connection_back_to_the_pool(app, client):
    db.close()
    client.get("/healthz")
    assert db.is_closed()  # handed back at the end of the request...
    assert len(db.obj._connections) == 1  # ...and kept idle in the pool
    assert db.obj._in_use == {}


@pytest.mark.skipif(not POSTGRES_URL, reason="the pool is PostgreSQL's")
def test_the_pool_takes_back_the_connection_of_a_thread_that_died(app):
    db.close()
    db.obj.close_idle()

    def forgets_to_close():
        db.execute_sql("SELECT 1")

    for _ in range(3):
        thread = threading.Thread(target=forgets_to_close)
        thread.start()
        thread.join()
    db.execute_sql("SELECT 1")
    # Only this thread's connection is held: the dead threads' were closed.
    assert len(db.obj._in_use) == 1


def test_a_connection_left_in_a_transaction_is_never_handed_on(app, monkeypatch):
    db.close()
    opened = _count_connects(monkeypatch)
    database.open_connection()
    db.execute_sql("BEGIN")
    db.execute_sql("SELECT 1")
    database.close_connection()
    database.open_connection()
    assert len(opened) == 2  # the first one was dropped, not reused
    assert not database.in_open_transaction()
    database.close_connection()


def test_a_forked_process_forgets_its_parents_connections(app, monkeypatch):
    database.open_connection()
    parents = db.connection()
    # As in a child after fork(): the connection was opened by another process.
    monkeypatch.setitem(database._opened_in, id(db.obj), -1)
    closed: list[object] = []
    monkeypatch.setattr(db.obj, "_close", closed.append)
    database.open_connection()
    assert db.connection() is not parents
    assert closed == []  # never closed: it is the parent's
    monkeypatch.undo()
    database.close_connection()


def test_database_url_selects_the_engine():
    assert type(database.database_from_url("sqlite:////tmp/x.db")).__name__ == "SqliteDatabase"
    pg = database.database_from_url("postgresql://u:p%40ss@db.example.org:5433/portal")
    assert isinstance(pg, database.ConnectionPool) and pg._max_connections == 10
    assert pg.database == "portal" and pg.connect_params["password"] == "p@ss"
    with pytest.raises(ValueError):
        database.database_from_url("mysql://x")
