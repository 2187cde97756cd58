"""Database from DATABASE_URL, kept connections and transactions.

Connections outlive requests. On SQLite each thread keeps its own connection,
so its PRAGMAs are set once, not on every request; on PostgreSQL a pool
(``DATABASE_POOL_SIZE`` per process) hands a connection to each request and
takes it back at the end. A request that leaves a transaction open (it should
never happen) has its connection closed rather than handed on. A process forked
from one that held connections (gunicorn with ``preload_app``, multiprocessing)
forgets them without closing them: they belong to the parent.

SQLite runs in WAL mode with foreign keys on and a busy timeout. A transaction
that reads and then writes must take the write lock up front (``BEGIN
IMMEDIATE``): a deferred transaction that upgrades to a write fails with
"database is locked" straight away, whatever the busy timeout. ``write()`` is
the one way views and domain code open such a transaction, on either engine.
On PostgreSQL the rows read for a later write must be locked: ``locked(query)``
adds ``FOR UPDATE`` there and nothing on SQLite, where the database is locked.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from peewee import Database, SqliteDatabase
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase

from portal.web.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
    "cache_size": -32_000,
    "temp_store": "memory",
}


POOL_SIZE = 10
# A request waits this long for a free pooled connection before failing.
POOL_WAIT_SECONDS = 10
# Pooled connections idle longer than this are closed and replaced.
POOL_STALE_SECONDS = 300


class ConnectionPool(PooledPostgresqlDatabase):
    """peewee's pool, which also takes back connections whose thread has died.

    A thread that ends without closing its connection (a script, a test, a
    crash) would otherwise hold a place in the pool for ever, and the process
    would end up waiting for connections nobody will give back.
    """

    def __init__(self, *args, **kwargs):
        self._owners: dict[int, threading.Thread] = {}
        super().__init__(*args, **kwargs)

    def _connect(self):
        with self._pool_lock:
            for key, owner in list(self._owners.items()):
                if not owner.is_alive():
                    orphan = self._in_use.pop(key, None)
                    del self._owners[key]
                    if orphan is not None:
                        self._close_raw(orphan.connection)
        conn = super()._connect()
        with self._pool_lock:
            self._owners[self.conn_key(conn)] = threading.current_thread()
        return conn

    def _close(self, conn, close_conn=False):
        with self._pool_lock:
            self._owners.pop(self.conn_key(conn), None)
        super()._close(conn, close_conn)

    def dispose(self):
        super().dispose()
        with self._pool_lock:
            self._connections = []
            self._in_use = {}
            self._owners = {}


def database_from_url(url: str, pool_size: int = POOL_SIZE) -> Database:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :])
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread off: connections are per thread anyway (peewee keeps
        # one per thread), and the e2e server serves from worker threads.
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    if parsed.scheme in {"postgres", "postgresql"}:
        return ConnectionPool(
            unquote(parsed.path.lstrip("/")),
            max_connections=pool_size,
            timeout=POOL_WAIT_SECONDS,
            stale_timeout=POOL_STALE_SECONDS,
            user=unquote(parsed.username or "") or None,
            password=unquote(parsed.password or "") or None,
            host=parsed.hostname,
            port=parsed.port,
        )
    raise ValueError(
        f"DATABASE_URL no reconocida: use sqlite:/// o postgresql:// ({parsed.scheme})"
    )


def bind(url: str, pool_size: int = POOL_SIZE) -> Database:
    previous = db.obj
    database = database_from_url(url, pool_size)
    if previous is not None:
        _close_everything(previous)
    db.initialize(database)
    _opened_in[id(database)] = os.getpid()
    return database


_opened_in: dict[int, int] = {}


def _close_everything(database: Database) -> None:
    """Close what ``database`` holds before another takes its place (tests)."""
    if isinstance(database, PooledPostgresqlDatabase):
        database.close_all()
    elif not database.is_closed():
        database.close()
    _opened_in.pop(id(database), None)


def _forget_inherited(database: Database) -> None:
    """In a forked child: drop the parent's connections without closing them.

    Closing would end the parent's sessions (PostgreSQL's terminate message) or
    touch a SQLite handle another process is using.
    """
    database.dispose()


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


def write():
    """A transaction that may read, then write, without lock upgrades."""
    if is_sqlite():
        return db.atomic("IMMEDIATE")
    return db.atomic()


def locked(query):
    """``query`` with its rows locked until the transaction ends (PostgreSQL)."""
    return query if is_sqlite() else query.for_update()


def open_connection() -> None:
    database = db.obj
    pid = os.getpid()
    if _opened_in.get(id(database)) != pid:
        _forget_inherited(database)
        _opened_in[id(database)] = pid
    db.connect(reuse_if_open=True)


def close_connection(exc: BaseException | None = None) -> None:
    """End of a request: hand the connection back, keep it, or drop it."""
    if db.is_closed():
        return
    database = db.obj
    if db.in_transaction() or in_open_transaction():
        # Never hand on a connection with a transaction still open.
        if isinstance(database, PooledPostgresqlDatabase):
            database.manual_close()
        else:
            database.close()
    elif isinstance(database, PooledPostgresqlDatabase):
        database.close()  # back to the pool
    # SQLite: the thread keeps its connection, PRAGMAs and page cache.


def in_open_transaction() -> bool:
    """Whether the driver's connection has a transaction open (peewee's or not)."""
    if db.is_closed():
        return False
    connection = db.connection()
    if is_sqlite():
        return bool(connection.in_transaction)
    return connection.info.transaction_status != 0  # psycopg: 0 is idle


def upgrade() -> list[str]:
    """Apply pending migrations; returns the names applied."""
    with db.connection_context():
        return Runner(db.obj, str(MIGRATIONS)).up()


def init_app(app) -> None:
    bind(app.config["DATABASE_URL"], app.config.get("DATABASE_POOL_SIZE", POOL_SIZE))
    app.before_request(open_connection)
    app.teardown_request(close_connection)
