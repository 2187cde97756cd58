"""Fixtures: an app on a fresh database per test, clients, signed-in helpers.

The app fixture's context serves the test's own setup and checks (factories,
domain calls, queries). Each request of the test client runs in an app context
of its own, as in production, so nothing a request leaves on ``g`` (flask-login's
cached user, say) reaches the next request or the test.

SQLite by default: the migrations run once into a template file that each test
copies. With TEST_DATABASE_URL set (``make test`` does it for its PostgreSQL
pass), the migrations run once on that server and each test starts from
truncated tables.
"""

from __future__ import annotations

import contextvars
import os
import shutil

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from werkzeug.routing.rules import Rule

from portal import create_app
from portal.models import ALL_MODELS
from portal.web import database
from portal.web.extensions import db


def _database_of_this_worker(url: str) -> str:
    """The PostgreSQL database this pytest process owns.

    Each of pytest-xdist's workers truncates the tables before every test, so
    each gets a database of its own on the same server, named after it.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    return f"{url.rsplit('/', 1)[0]}/portal_test_{worker}"


SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")
POSTGRES_URL = _database_of_this_worker(SERVER_URL)
# The review tests' agency, program and reviewer; a module's own fixtures of
# those names take precedence.
pytest_plugins = ["tests.oficina_fixtures"]

BASE_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    "OIDC_ISSUER": "http://127.0.0.1:9",
    # Tests change data and look again at once; tests/web/test_pagecache.py
    # turns the cache of public pages on.
    "PAGE_CACHE_SECONDS": 0,
    # Race tests run up to 32 threads at once, each holding a connection.
    "DATABASE_POOL_SIZE": 50,
}


_compile_builder = Rule._compile_builder
_builders: dict = {}


def _compile_builder_once(self, append_unknown=True):
    """Werkzeug's URL builder for a rule, compiled once per shape of rule.

    Werkzeug writes and compiles a Python function for every rule of every app
    it maps; the suite builds thousands of apps with the same rules, and that
    compiling was most of each test's set-up. The function depends only on
    the rule's parsed parts and defaults (it reads its converters through the
    rule it is bound to), so one compiled for the same parts serves every app.
    """
    converters = tuple((name, type(c).__name__) for name, c in self._converters.items())
    defaults = repr(sorted((self.defaults or {}).items()))
    key = (self.rule, tuple(self._trace), converters, defaults, append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(self, append_unknown)
    return builder


Rule._compile_builder = _compile_builder_once


def pytest_collection_modifyitems(config, items):
    if not POSTGRES_URL:
        return
    # The PostgreSQL pass runs every test that touches a database (through
    # the template database, which every app fixture starts from); the rest
    # ran on SQLite already and would run the same again.
    kept, left = [], []
    for item in items:
        uses_database = "template_database" in getattr(item, "fixturenames", ())
        (kept if uses_database else left).append(item)
        if uses_database:
            item.add_marker(pytest.mark.postgres)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    if POSTGRES_URL:
        if POSTGRES_URL != SERVER_URL:
            _create_database(SERVER_URL, POSTGRES_URL.rsplit("/", 1)[1])
        database.bind(POSTGRES_URL)
        database.upgrade()
        return POSTGRES_URL
    path = tmp_path_factory.mktemp("template") / "portal.db"
    database.bind(f"sqlite:///{path}")
    database.upgrade()
    db.close()
    return str(path)


def _create_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def _truncate_all() -> None:
    tables = ", ".join(f'"{m._meta.table_name}"' for m in ALL_MODELS)
    db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


class ClientInOwnContext(FlaskClient):
    """A test client whose every request gets an app context of its own."""

    def open(self, *args, **kwargs):
        # Buffered, so that a streamed body is read (and its context closed)
        # inside the request's own context too.
        kwargs.setdefault("buffered", True)
        return contextvars.copy_context().run(self._open_alone, *args, **kwargs)

    def _open_alone(self, *args, **kwargs):
        _cv_app.set(None)  # only inside this copied context: the request pushes its own
        return super().open(*args, **kwargs)


def fresh_app(template_database, folder):
    """A portal on an empty, migrated database of its own, inside its app context."""
    config = dict(BASE_CONFIG, INSTANCE_PATH=str(folder), STORAGE_PATH=str(folder / "docs"))
    if POSTGRES_URL:
        config["DATABASE_URL"] = POSTGRES_URL
    else:
        copy = folder / "portal.db"
        shutil.copy(template_database, copy)
        config["DATABASE_URL"] = f"sqlite:///{copy}"
    app = create_app(config)
    app.test_client_class = ClientInOwnContext
    db.connect(reuse_if_open=True)
    if POSTGRES_URL:
        _truncate_all()
    with app.app_context():
        yield app
    if not db.is_closed():
        db.close()


@pytest.fixture
def app(template_database, tmp_path):
    yield from fresh_app(template_database, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


def sign_in_as(client, user) -> None:
    """Put a signed-in session in the client's cookie jar, as sign-in would."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def login(client):
    def _login(user):
        sign_in_as(client, user)
        return client

    return _login
