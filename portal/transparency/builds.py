"""Statistics and open data from a cached, current build.

Why a build, and why kept current by the writes: the statistics page and the
open-data files summarize the whole registry (a million enrollments and
more). Computing them on a request, or even checking on a request whether
they are stale by scanning enrollments, costs time that grows with the
registry and starves every other page. So the request only reads the last
build: one primary-key look-up of :class:`OpenDataBuild` and a file on disk
(the statistics snapshot is parsed once per process and kept). Everything
that grows with the registry happens in the queue (portal/transparency/tasks.py).

What makes a build current: every writer that changes what the public sees
marks it in its own transaction (``changes.mark_changed``: an application's
status, an enrollment started or ended, a roll imported). The queue checks the
marks every minute and rebuilds only what they name (the rolls of the
programs that changed); a new day also rebuilds (ages, minors and the calls
open today depend on the date), and a full rebuild every night picks up what
no mark names (a citizen's record edited on its own). So the public data are
at most about a minute plus a build behind a change, and every page says when
they were built ("Datos al 2 de diciembre de 2026, 10:40").

The alternative, a periodic rebuild with no marks, would rebuild every roll
every time whether anything changed or not (minutes of work at ten million
people) or leave the data an hour old; the marks cost one insert per write.

Never two builds at once: :class:`OpenDataLease` is taken by one conditional
update (both engines); a second builder finds it taken and does nothing. A
builder that dies lets the lease expire; the marks it had claimed are claimed
again by the next build.

When there is no build yet (a fresh installation), the pages answer "en
preparación" (503 with ``Retry-After``) and ask the queue for a build; they
never build on the request.

Every file is written in constant memory (``exports.stream_rows`` and the
chunked writers), to a temporary file renamed into place, and served with
``send_file`` and an ETag (a digest of the bytes) and Last-Modified, so that N
parallel downloads cost one build and a client holding the file gets a 304.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app

from portal.catalog.models import Agency, Call, Municipality, Program
from portal.planning import public as planning
from portal.transparency import changes
from portal.transparency import public as transparency
from portal.transparency.models import OpenDataBuild, OpenDataChange, OpenDataLease
from portal.web.database import write
from portal.web.exports import (
    csv_lines,
    ensure_encoded_copies,
    json_chunks,
    remove_with_copies,
    write_atomically,
    write_encoded_copies,
)
from portal.web.tables import tuples, utcnow

LEASE = "open-data"
LEASE_SECONDS = 600
STATISTICS = "estadisticas.json"
BENEFICIARIES = "beneficiarios"
CATALOG = "programas"
DIMENSIONS = ("programa", "dependencia", "municipio", "sexo", "grupo_edad")
FORMATS = ("csv", "json")


def roll_name(slug: str, fmt: str) -> str:
    return f"padron/{slug}.{fmt}"


def dimension_name(dimension: str) -> str:
    return f"estadisticas/{dimension}.csv"


def folder() -> Path:
    """Where the built files live (``OPEN_DATA_PATH``, else the instance folder's
    ``datos-abiertos``). Several web hosts share it like the documents' storage."""
    configured = current_app.config.get("OPEN_DATA_PATH")
    return Path(configured or Path(current_app.config["INSTANCE_PATH"]) / "datos-abiertos")


# -- the lease ---------------------------------------------------------------


class LeaseLost(RuntimeError):
    """The build outlived its lease and another builder took it over."""


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:64]


def take_lease(holder: str, seconds: int = LEASE_SECONDS) -> int | None:
    """The new build generation if ``holder`` now holds the lease, else None."""
    now = utcnow()
    with write():
        OpenDataLease.insert(name=LEASE, generation=0).on_conflict_ignore().execute()
        taken = (
            OpenDataLease.update(
                holder=holder,
                until=now + dt.timedelta(seconds=seconds),
                generation=OpenDataLease.generation + 1,
            )
            .where(
                (OpenDataLease.name == LEASE)
                & (OpenDataLease.holder.is_null() | (OpenDataLease.until < now))
            )
            .execute()
        )
        if taken != 1:
            return None
        return OpenDataLease.get_by_id(LEASE).generation


def renew_lease(holder: str, seconds: int = LEASE_SECONDS) -> None:
    with write():
        renewed = (
            OpenDataLease.update(until=utcnow() + dt.timedelta(seconds=seconds))
            .where((OpenDataLease.name == LEASE) & (OpenDataLease.holder == holder))
            .execute()
        )
    if renewed != 1:
        raise LeaseLost(holder)


def release_lease(holder: str) -> None:
    with write():
        OpenDataLease.update(holder=None, until=None).where(
            (OpenDataLease.name == LEASE) & (OpenDataLease.holder == holder)
        ).execute()


# -- the marks -----------------------------------------------------------------


@dataclass
class Claimed:
    """What the marks a build claimed name."""

    kinds: set[str] = field(default_factory=set)
    programs: set[int] = field(default_factory=set)
    every_roll: bool = False


def claim_changes(generation: int) -> Claimed:
    """Claim every committed mark not claimed by a live build.

    Only committed rows are updated (an insert still in flight is invisible
    and stays for the next build), and the claim commits before the build
    reads the data, so whatever the claimed marks stand for is in the build.
    """
    with write():
        OpenDataChange.update(claimed=generation).where(
            OpenDataChange.claimed.is_null() | (OpenDataChange.claimed < generation)
        ).execute()
    claimed = Claimed()
    rows = (
        OpenDataChange.select(OpenDataChange.kind, OpenDataChange.program_id)
        .where(OpenDataChange.claimed == generation)
        .distinct()
    )
    for kind, program_id in tuples(rows):
        claimed.kinds.add(kind)
        if kind == changes.BENEFICIARIES:
            if program_id is None:
                claimed.every_roll = True
            else:
                claimed.programs.add(program_id)
    return claimed


def _forget_changes(generation: int) -> None:
    with write():
        OpenDataChange.delete().where(OpenDataChange.claimed == generation).execute()


def pending_changes() -> bool:
    """Are there marks no build has taken yet? (A look at a small table.)"""
    return OpenDataChange.select().where(OpenDataChange.claimed.is_null()).exists()


def catalog_fingerprint() -> str:
    """A digest of what the outputs show from the catalog: programs, agencies,
    calls (quotas) and municipalities. Small tables (thousands of rows, not
    millions), so the minute's check reads them whole."""
    digest = hashlib.sha256()
    for query in (
        Program.select(Program.id, Program.updated_at, Program.active).order_by(Program.id),
        Agency.select(Agency.id, Agency.name).order_by(Agency.id),
        Call.select(Call.id, Call.program, Call.opens, Call.closes, Call.quota).order_by(Call.id),
        Municipality.select(Municipality.code, Municipality.name).order_by(Municipality.code),
    ):
        for row in tuples(query):
            digest.update(repr(row).encode())
        digest.update(b"|")
    return digest.hexdigest()[:32]


# -- reading the last build ----------------------------------------------------


def current(name: str) -> OpenDataBuild | None:
    """The current build of one output: one look-up by primary key."""
    return OpenDataBuild.get_or_none(OpenDataBuild.name == name)


def path_of(build: OpenDataBuild) -> Path:
    return folder() / build.file


@dataclass
class Snapshot:
    """The statistics as last built, with what the public pages list."""

    stats: transparency.Stats
    built_at: dt.datetime
    built_on: dt.date
    published: list[tuple[str, str]]  # (slug, name) of every program with a published roll
    catalog: str
    budget: list[dict[str, Any]] = field(default_factory=list)  # portal/planning/public.py


_snapshots: dict[str, Snapshot] = {}
_snapshots_lock = threading.Lock()


def snapshot() -> Snapshot | None:
    """The last statistics build, parsed once per process and file."""
    build = current(STATISTICS)
    if build is None:
        return None
    path = path_of(build)
    key = str(path)
    with _snapshots_lock:
        cached = _snapshots.get(key)
    if cached is not None:
        return cached
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None  # replaced between the look-up and the read: the next request finds it
    loaded = _snapshot_from(data)
    with _snapshots_lock:
        _snapshots.clear()
        _snapshots[key] = loaded
    return loaded


def _snapshot_data(stats: transparency.Stats, built_at: dt.datetime, today: dt.date,
                   published: list[tuple[str, str]], catalog: str) -> dict[str, Any]:  # fmt: skip
    return {
        "built_at": built_at.isoformat(),
        "built_on": today.isoformat(),
        "catalog": catalog,
        "published": published,
        "programs": [[pid, name, agency] for pid, (name, agency) in stats.programs.items()],
        "municipalities": stats.municipalities,
        "cells": [[*key, n] for key, n in stats.cells.items()],
        "enrolled_by_month": dict(stats.enrolled_by_month),
        "applications": [[*key, n] for key, n in stats.applications.items()],
        "applications_by_month": dict(stats.applications_by_month),
        "quotas": [[pid, quota] for pid, quota in stats.quotas.items()],
        "budget": planning.budget_rows(today),
    }


def _snapshot_from(data: dict[str, Any]) -> Snapshot:
    stats = transparency.Stats(
        programs={pid: (name, agency) for pid, name, agency in data["programs"]},
        municipalities=data["municipalities"],
        cells=Counter({(p, m, s, g): n for p, m, s, g, n in data["cells"]}),
        enrolled_by_month=Counter(data["enrolled_by_month"]),
        applications=Counter({(p, m, s): n for p, m, s, n in data["applications"]}),
        applications_by_month=Counter(data["applications_by_month"]),
        quotas={pid: quota for pid, quota in data["quotas"]},
    )
    return Snapshot(
        stats=stats,
        built_at=dt.datetime.fromisoformat(data["built_at"]),
        built_on=dt.date.fromisoformat(data["built_on"]),
        published=[(slug, name) for slug, name in data["published"]],
        catalog=data["catalog"],
        budget=data.get("budget", []),
    )


# -- building ------------------------------------------------------------------


@dataclass
class Report:
    """What one build did: outputs whose bytes changed, kept and removed."""

    generation: int
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def needs_build(today: dt.date | None = None) -> bool:
    """Marks waiting, a new day, a changed catalog or no build at all (cheap)."""
    today = today or dt.date.today()
    last = snapshot()
    return (
        last is None
        or last.built_on != today
        or pending_changes()
        or last.catalog != catalog_fingerprint()
    )


def build(*, force: bool = False, today: dt.date | None = None) -> Report | None:
    """Rebuild what changed; None when another build holds the lease.

    ``force`` rebuilds the summaries from scratch and every output (the
    nightly run, and ``estadisticas refresh``).
    """
    holder = _holder()
    generation = take_lease(holder)
    if generation is None:
        return None
    try:
        today = today or dt.date.today()
        if not force and not needs_build(today):
            # Another build finished between the caller's look and this lease
            # (parallel first requests): nothing is left to do.
            return Report(generation)
        report = _build(generation, holder, force=force, today=today)
        _forget_changes(generation)
        return report
    finally:
        release_lease(holder)


def _build(generation: int, holder: str, *, force: bool, today: dt.date) -> Report:
    report = Report(generation)
    claimed = claim_changes(generation)
    last = snapshot()
    catalog = catalog_fingerprint()
    new_day = last is None or last.built_on != today
    catalog_changed = last is None or last.catalog != catalog
    everything = force or new_day or catalog_changed or claimed.every_roll
    if force:
        transparency.refresh_summary()
    stats = transparency.compute_stats(today)  # brings the summaries up to date first
    published = transparency.published_programs()

    def output(name: str, chunks: Iterable[str]) -> None:
        renew_lease(holder)
        written = _write_output(name, chunks, generation, today)
        (report.written if written else report.unchanged).append(name)

    if everything or not _catalog_present():
        for fmt in FORMATS:
            output(f"{CATALOG}.{fmt}", _rows_as(fmt, transparency.CATALOG_COLUMNS,
                                                transparency.catalog_rows()))  # fmt: skip
    table = transparency.public_table(stats)
    for fmt in FORMATS:
        output(f"{BENEFICIARIES}.{fmt}", _rows_as(fmt, transparency.STATS_COLUMNS, table))
    for dimension in DIMENSIONS:
        rows = ((k, transparency.suppress(n)) for k, n in stats.by(dimension))
        output(dimension_name(dimension), csv_lines((dimension, "beneficiarios"), rows))
    for program in published:
        if everything or program.id in claimed.programs or not _present(program.slug):
            for fmt in FORMATS:
                rows = transparency.published_roll(program, today)
                output(roll_name(program.slug, fmt),
                       _rows_as(fmt, transparency.PUBLISHED_ROLL_COLUMNS, rows))  # fmt: skip
    report.removed = _remove_unpublished({p.slug for p in published})
    # The snapshot last: once it names this build, the files it lists exist.
    pairs = [(p.slug, p.name) for p in published]
    data = _snapshot_data(stats, utcnow(), today, pairs, catalog)
    output(STATISTICS, [json.dumps(data, ensure_ascii=False, default=str)])
    return report


def _rows_as(fmt: str, columns: tuple[str, ...], rows: Iterable[dict]) -> Iterator[str]:
    if fmt == "json":
        return json_chunks(rows)
    return csv_lines(columns, ([row[c] for c in columns] for row in rows))


def _present(slug: str) -> bool:
    return all(current(roll_name(slug, fmt)) is not None for fmt in FORMATS)


def _catalog_present() -> bool:
    return all(current(f"{CATALOG}.{fmt}") is not None for fmt in FORMATS)


def _file_name(name: str, generation: int) -> str:
    stem, _, ext = name.rpartition(".")
    return f"{stem.replace('/', '-')}-{generation}.{ext}"


def _write_output(name: str, chunks: Iterable[str], generation: int, today: dt.date) -> bool:
    """Write one output; True when its bytes changed (a new file and ETag)."""
    target = folder() / _file_name(name, generation)
    digest, size = write_atomically(target, chunks)
    etag = digest[:32]
    before = current(name)
    if before is not None and before.etag == etag and (folder() / before.file).exists():
        target.unlink()
        ensure_encoded_copies(folder() / before.file)  # files built before there were copies
        with write():
            OpenDataBuild.update(built_on=today).where(OpenDataBuild.name == name).execute()
        return False
    # Compressed once here, not per download; before the row points at the file.
    write_encoded_copies(target)
    with write():
        OpenDataBuild.insert(
            name=name, file=target.name, etag=etag, size=size, version=generation,
            built_at=utcnow(), built_on=today,
        ).on_conflict(
            conflict_target=[OpenDataBuild.name],
            preserve=[OpenDataBuild.file, OpenDataBuild.etag, OpenDataBuild.size,
                      OpenDataBuild.version, OpenDataBuild.built_at, OpenDataBuild.built_on],
        ).execute()  # fmt: skip
    if before is not None and before.file != target.name:
        remove_with_copies(folder() / before.file)
    return True


def _remove_unpublished(slugs: set[str]) -> list[str]:
    """Drop the rolls of programs nobody receives any more."""
    removed = []
    for build_row in OpenDataBuild.select().where(OpenDataBuild.name.startswith("padron/")):
        slug = build_row.name[len("padron/") :].rpartition(".")[0]
        if slug not in slugs:
            with write():
                OpenDataBuild.delete().where(OpenDataBuild.name == build_row.name).execute()
            remove_with_copies(folder() / build_row.file)
            removed.append(build_row.name)
    return removed
