"""The open-data builds on the background queue (portal/web/queue.py).

Every minute the queue looks whether anything the public pages show changed
(marks left by the writers, a new day, an edited catalog: a few small reads)
and rebuilds only then; every night it rebuilds everything from scratch, which
also picks up changes no writer marks (a citizen's record edited on its own).
A page with no build yet asks for one with :func:`request_first_build`.
See portal/transparency/builds.py for the design.
"""

from __future__ import annotations

import logging
import time

from huey import crontab
from peewee import OperationalError

from portal.transparency import builds
from portal.web.extensions import db
from portal.web.queue import huey, in_app

log = logging.getLogger(__name__)
FIRST_BUILD_EVERY = 30.0  # seconds between a process's requests for a first build
_first_build_asked = 0.0


def _rebuild(force: bool) -> dict[str, int] | None:
    db.connect(reuse_if_open=True)
    if not force and not builds.needs_build():
        return {"written": 0, "unchanged": 0, "removed": 0}
    try:
        report = builds.build(force=force)
    except OperationalError as exc:  # the database busy (a roll import): the next minute retries
        log.warning("open-data build put off: %s", exc)
        return None
    if report is None:
        return None  # another build holds the lease
    log.info(
        "open-data build %s: %s written, %s unchanged, %s removed",
        report.generation, len(report.written), len(report.unchanged), len(report.removed),
    )  # fmt: skip
    return {
        "written": len(report.written),
        "unchanged": len(report.unchanged),
        "removed": len(report.removed),
    }


@huey.task()
def rebuild_open_data(force: bool = False) -> dict[str, int] | None:
    return in_app(lambda: _rebuild(force))


@huey.periodic_task(crontab(minute="*"))
def rebuild_open_data_when_changed() -> dict[str, int] | None:
    return in_app(lambda: _rebuild(False))


@huey.periodic_task(crontab(hour="3", minute="20"))
def rebuild_open_data_every_night() -> dict[str, int] | None:
    return in_app(lambda: _rebuild(True))


def request_first_build() -> None:
    """Ask the queue for a build, at most once every ``FIRST_BUILD_EVERY`` seconds
    per process (immediate mode, in tests, builds right here)."""
    global _first_build_asked
    now = time.monotonic()
    if not huey.immediate and now - _first_build_asked < FIRST_BUILD_EVERY:
        return
    _first_build_asked = now
    rebuild_open_data()
