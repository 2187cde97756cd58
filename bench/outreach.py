"""Proactive eligibility: screening N people who agreed to be told, on the queue's path.

A fresh SQLite registry of N synthetic residents (portal.demo.data's bulk
path), every one with questionnaire answers (portal.demo.synthetic
``draw_profile``) and a consent to be told in force: the worst case, where the
whole registry is screened. The demo catalog is loaded; then the chunks run
one after another exactly as the queue runs them (``screening.screen_chunk``,
the task's body), notices and outbox rows included: first for one call (a call
opening), then for all the other calls open today at once (a catalog
published). Prints people read, people told, seconds, people per second, the
longest chunk, and the load average before and after.

    .venv/bin/python bench/outreach.py [N] [FOLDER]

N defaults to 100,000; FOLDER (default: a temporary folder under /tmp) holds
the database, deleted at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.catalog import schema as catalog_files  # noqa: E402
from portal.catalog.store import load_catalog  # noqa: E402
from portal.demo import data as demo  # noqa: E402
from portal.demo.synthetic import draw_profile, generate_citizens  # noqa: E402
from portal.models import Call, Citizen, Program  # noqa: E402
from portal.outreach import screening  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402

CHUNK = 10_000  # rows per transaction while loading


def _load(n: int) -> float:
    """The registry, answers and consents; the seconds it took."""
    began = time.perf_counter()
    today = dt.date.today()
    rng = random.Random(2026)
    people = list(generate_citizens(n, seed=2026))
    demo.bulk_insert_registry(people)
    profile = Citizen.profile
    for start in range(0, len(people), CHUNK):
        part = people[start : start + CHUNK]
        with db.atomic():
            db.cursor().executemany(
                "UPDATE citizen SET profile = ? WHERE curp = ?",
                [(profile.db_value(draw_profile(p, rng, today)), p["curp"]) for p in part],
            )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    with db.atomic():
        db.execute_sql(
            "INSERT INTO consent (citizen_id, purpose, granted_at) "
            "SELECT id, 'avisos_programas', ? FROM citizen ORDER BY id",
            (now,),
        )
    return time.perf_counter() - began


def _screen(call_ids: list[int]) -> dict:
    """The chunks, one after another, as the queue's task runs them."""
    read = told = chunks = 0
    longest = 0.0
    after: int | None = 0
    began = time.perf_counter()
    while after is not None:
        started = time.perf_counter()
        done = screening.screen_chunk(call_ids, after)
        longest = max(longest, time.perf_counter() - started)
        read, told, chunks, after = read + done.read, told + done.told, chunks + 1, done.after
    seconds = time.perf_counter() - began
    return {"read": read, "told": told, "chunks": chunks, "seconds": seconds, "longest": longest}


def run(n: int, folder: Path) -> None:
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'registro.db'}",
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": secrets.token_hex(32),
            "QUEUE_IMMEDIATE": False,  # publishing the catalog queues, nothing runs here
        }
    )
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        demo.load_municipalities()
        load_catalog(catalog_files.load_catalog(demo.DATA / "catalogo-demo.yaml"))
        loaded = _load(n)
        print(f"registro: {n:,} personas con respuestas y consentimiento en {loaded:.0f} s")
        today = dt.date.today()
        calls = list(
            Call.select(Call, Program)
            .join(Program)
            .where(Program.active & (Call.opens <= today) & (Call.closes >= today))
            .order_by(Program.name)
        )
        load_before = os.getloadavg()
        one = _screen([calls[0].id])
        print(
            f"una convocatoria ({calls[0].program.name}): {one['read']:,} personas, "
            f"{one['told']:,} avisos en {one['seconds']:.1f} s "
            f"({one['read'] / one['seconds']:,.0f} personas/s); "
            f"trozo más largo {one['longest']:.2f} s"
        )
        rest = _screen([call.id for call in calls[1:]])
        print(
            f"las otras {len(calls) - 1} convocatorias juntas (un catálogo publicado): "
            f"{rest['read']:,} personas, {rest['told']:,} avisos en {rest['seconds']:.1f} s "
            f"({rest['read'] / rest['seconds']:,.0f} personas/s); "
            f"trozo más largo {rest['longest']:.2f} s"
        )
        print(f"carga (1, 5, 15 min): antes {load_before}, después {os.getloadavg()}")
        db.close()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="outreach-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        run(n, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
