"""End-to-end tests: the portal served from a thread, Debian's Chromium, axe-core.

Never ``playwright install``: the browser is Debian's ``chromium`` package. axe
is injected with ``page.evaluate`` because the CSP blocks injected script tags.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from portal import create_app
from portal.web import database
from portal.web.extensions import db
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


def portal_app(folder: Path, **config: Any) -> Flask:
    """The portal as the browser tests run it, on a migrated SQLite file in ``folder``."""
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "e2e-secret-key-that-is-long-enough-0123456789",
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "docs"),
            **config,
        }
    )
    database.upgrade()
    return app


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` from a thread for the duration of the block; yields its address."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def portal_of_its_own(folder: Path, **config: Any) -> Iterator[tuple[Flask, str]]:
    """A portal on an empty database of its own, served for the block. Creating
    it binds the shared database proxy and points the shared queue at its own
    storage (or runs it immediately); both are handed back afterwards, so the
    tests that follow in this process find the session's portal as it was."""
    from portal.web.queue import huey

    previous = db.obj
    queue = (huey.immediate, huey.storage_class, huey.storage_kwargs, huey.storage)
    app = portal_app(folder, **config)
    try:
        with serving(app) as address:
            yield app, address
    finally:
        db.close()
        if previous is not None:
            db.initialize(previous)
        huey.storage_class, huey.storage_kwargs = queue[1], queue[2]
        huey.immediate = queue[0]  # huey's setter makes an in-memory storage when True
        huey.storage = queue[3]


@contextmanager
def queue_worker(app: Flask, task_classes: tuple[type, ...]) -> Iterator[None]:
    """The queue's consumer for ``task_classes``, as a thread of this process
    (huey's thread workers do the same in ``huey_consumer``), for the block.

    Other areas' tasks are put back on the queue untouched when the block ends.
    """
    from portal.web.queue import huey

    stop = threading.Event()
    others = []

    def work() -> None:
        with app.app_context():
            while not stop.is_set():
                task = huey.dequeue()
                if task is None:
                    stop.wait(0.05)
                elif isinstance(task, task_classes):
                    huey.execute(task)
                    db.close()
                else:
                    others.append(task)

    worker = threading.Thread(target=work, name="e2e-queue", daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join(timeout=60)
        for task in others:
            huey.enqueue(task)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The portal on a migrated SQLite file, seeded by the demo-data command."""
    folder = tmp_path_factory.mktemp("e2e")
    app = portal_app(folder, QUEUE_URL=f"sqlite:///{folder / 'cola.db'}")
    # A smaller town than the default: the journeys need the catalog, the staff,
    # the personas and full queues, not 20,000 people.
    result = app.test_cli_runner().invoke(args=["demo-data", "--citizens", "4000"])
    assert result.exit_code == 0, result.output
    db.close()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    with serving(live_app) as address:
        yield address


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server


def assert_accessible(page) -> None:
    """Run axe on the current page; fail with the violations listed."""
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)
