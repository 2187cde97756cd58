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

from portal import create_app
from portal.models import ALL_MODELS
from portal.web import database
from portal.web.extensions import db

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
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


def pytest_collection_modifyitems(config, items):
    if POSTGRES_URL:
        # The PostgreSQL pass runs every test that touches a database.
        for item in items:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    if POSTGRES_URL:
        database.bind(POSTGRES_URL)
        database.upgrade()
        return POSTGRES_URL
    path = tmp_path_factory.mktemp("template") / "portal.db"
    database.bind(f"sqlite:///{path}")
    database.upgrade()
    db.close()
    return str(path)


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
