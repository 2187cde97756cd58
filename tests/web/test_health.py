"""A read-only data folder: pages that only read keep working, /healthz says what failed.

Tests may run as root, where ``chmod`` does not stop writes. The database is
therefore made read-only with SQLite's ``PRAGMA query_only`` (what a read-only
file or ``mode=ro`` refuse too: the write lock), and the storage folder
unwritable by putting it under a regular file; ``chmod`` is used as well when
the tests do not run as root.
"""

from __future__ import annotations

import os

import pytest

from portal.transparency import builds
from portal.web import database, health
from portal.web.extensions import db
from tests.factories import make_citizen


@pytest.fixture
def fresh_probes(app):
    app.config["HEALTH_PROBE_SECONDS"] = 0
    health._cache.clear()
    yield
    health._cache.clear()


@pytest.fixture
def read_only_database(app, fresh_probes):
    # The public figures and downloads a read-only portal serves are the last
    # build's (portal/transparency/builds.py): made while it could still write.
    builds.build(force=True)
    if not database.is_sqlite():
        # New sessions start read-only: empty the pool so every request opens one.
        name = db.obj.database
        db.execute_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        db.obj.close_all()
        yield
        db.obj.close_all()
        db.connect()
        db.execute_sql("SET default_transaction_read_only = off")
        db.execute_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')
        return
    db.close()
    pragmas = db.obj._pragmas
    db.obj._pragmas = [*pragmas, ("query_only", 1)]
    yield
    db.close()
    db.obj._pragmas = pragmas
    db.connect(reuse_if_open=True)


def test_healthz_is_ok(client, fresh_probes):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "storage": "ok",
        "queue": "ok",
    }


def test_read_only_database_keeps_public_pages_and_healthz_says_so(client, read_only_database):
    for path in [
        "/",
        "/programas",
        "/privacidad",
        "/entrar",
        "/cuestionario",
        "/datos-abiertos",
    ]:
        assert client.get(path).status_code in (200, 302, 303), path
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.get_json()["database"] == "no se puede escribir"
    assert response.get_json()["storage"] == "ok"


def test_a_write_on_a_read_only_database_is_a_503_page(app, client, login, read_only_database):
    app.config["TEST_ERROR_PAGES"] = True
    response = client.get("/auth/callback?error=invalid_request&iss=http%3A%2F%2F127.0.0.1%3A9")
    assert response.status_code == 503
    assert "solo se puede consultar" in response.get_data(as_text=True)


def test_unwritable_storage_is_named(app, client, tmp_path, fresh_probes):
    blocker = tmp_path / "no-es-carpeta"
    blocker.write_text("")
    app.config["STORAGE_PATH"] = str(blocker / "documentos")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["storage"] == "no se puede escribir"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod")
def test_read_only_storage_folder_by_chmod(app, client, tmp_path, fresh_probes):
    folder = tmp_path / "documentos"
    folder.mkdir()
    folder.chmod(0o500)
    app.config["STORAGE_PATH"] = str(folder)
    try:
        assert client.get("/healthz").get_json()["storage"] == "no se puede escribir"
    finally:
        folder.chmod(0o700)


def test_unreachable_queue_is_named(client, fresh_probes, monkeypatch):
    class Broken:
        def queue_size(self):
            raise ConnectionError("redis down")

    monkeypatch.setattr(health.huey, "immediate", False)
    monkeypatch.setattr(health.huey, "storage", Broken())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["queue"] == "sin conexión"


def test_probes_are_kept_for_a_while(app, client):
    health._cache.clear()
    app.config["HEALTH_PROBE_SECONDS"] = 60
    client.get("/healthz")
    app.config["STORAGE_PATH"] = "/proc/no-se-puede"
    assert client.get("/healthz").status_code == 200
    health._cache.clear()


def test_signed_in_citizen_can_still_read_with_a_read_only_database(client, login, app):
    citizen = make_citizen()
    login(citizen)
    app.config["HEALTH_PROBE_SECONDS"] = 0
    if not database.is_sqlite():
        pytest.skip("the read-only fixture above covers PostgreSQL")
    db.close()
    pragmas = db.obj._pragmas
    db.obj._pragmas = [*pragmas, ("query_only", 1)]
    try:
        assert client.get("/mis-datos").status_code in (200, 303)
    finally:
        db.close()
        db.obj._pragmas = pragmas
        db.connect(reuse_if_open=True)
