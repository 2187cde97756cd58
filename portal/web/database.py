"""Database from DATABASE_URL, per-request connections and transactions.

SQLite runs in WAL mode with foreign keys on and a busy timeout. A transaction
that reads and then writes must take the write lock up front (``BEGIN
IMMEDIATE``): a deferred transaction that upgrades to a write fails with
"database is locked" straight away, whatever the busy timeout. ``write()`` is
the one way views and domain code open such a transaction, on either engine.
On PostgreSQL the rows read for a later write must be locked: ``locked(query)``
adds ``FOR UPDATE`` there and nothing on SQLite, where the database is locked.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from peewee import Database, PostgresqlDatabase, SqliteDatabase
from playhouse.migrations import Runner

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


def database_from_url(url: str) -> Database:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :])
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread off: connections are per thread anyway (peewee keeps
        # one per thread), and the e2e server serves from worker threads.
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    if parsed.scheme in {"postgres", "postgresql"}:
        return PostgresqlDatabase(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username or "") or None,
            password=unquote(parsed.password or "") or None,
            host=parsed.hostname,
            port=parsed.port,
        )
    raise ValueError(
        f"DATABASE_URL no reconocida: use sqlite:/// o postgresql:// ({parsed.scheme})"
    )


def bind(url: str) -> Database:
    database = database_from_url(url)
    db.initialize(database)
    return database


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
    db.connect(reuse_if_open=True)


def close_connection(exc: BaseException | None = None) -> None:
    if not db.is_closed():
        db.close()


def upgrade() -> list[str]:
    """Apply pending migrations; returns the names applied."""
    with db.connection_context():
        return Runner(db.obj, str(MIGRATIONS)).up()


def init_app(app) -> None:
    bind(app.config["DATABASE_URL"])
    app.before_request(open_connection)
    app.teardown_request(close_connection)
