"""How fast the registry is bulk-loaded (portal.demo.data.bulk_insert_registry).

Two fresh databases on the same engine, in the same run: N synthetic people
loaded by the bulk path ``demo-data`` uses beyond the questionnaire pool
(executemany on SQLite, COPY on PostgreSQL), and the same N through the
baseline, ``Citizen.insert_many`` in chunks of 2,000 (the path it replaces).
Prints rows per second, the ratio, the load average, the database size and the
projection to 10,000,000.

    .venv/bin/python bench/load_registry.py [N] [DATABASE_URL]

Without DATABASE_URL, SQLite in a temporary folder; a PostgreSQL URL names a
server where the bench may create and drop databases ``bench_registry_*``.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.demo import data as demo  # noqa: E402
from portal.demo.synthetic import generate_citizens  # noqa: E402
from portal.models import Citizen  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402


def _database(base: str | None, name: str, folder: Path) -> str:
    if not base:
        return f"sqlite:///{folder / name}.db"
    import psycopg

    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(urlparse(base)._replace(path=f"/{name}"))


def _size(url: str) -> float:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
    row = db.execute_sql("SELECT pg_database_size(current_database())").fetchone()
    return row[0] / 2**20


def run(label: str, url: str, n: int, folder: Path, load) -> float:
    app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": secrets.token_hex(32)}
    )
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        demo.load_municipalities()
        before = os.getloadavg()[0]
        began = time.perf_counter()
        inserted = load(generate_citizens(n, seed=2026))
        elapsed = time.perf_counter() - began
        assert inserted == n == Citizen.select().count(), (inserted, n)
        size = _size(url)
        db.close()
    print(
        f"| {label} | {n:,} | {elapsed:.1f} | {n / elapsed:,.0f} | {size:,.0f} MB | "
        f"{before:.1f} → {os.getloadavg()[0]:.1f} |",
        flush=True,
    )
    return elapsed


def main(n: int = 200_000, base: str | None = None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    engine = "PostgreSQL" if base else "SQLite"
    print(f"{engine}, {os.cpu_count()} CPU")
    print(
        "| path | people | s | rows/s | database | load 1 min |\n| --- | ---: | ---: | ---: | ---: | --- |"
    )
    bulk = run(
        "bulk (demo-data)",
        _database(base, "bench_registry_bulk", folder),
        n,
        folder,
        demo.bulk_insert_registry,
    )
    baseline = run(
        "insert_many baseline",
        _database(base, "bench_registry_base", folder),
        n,
        folder,
        lambda people: demo._insert_new(((p, None) for p in people), set()),
    )
    print(f"ratio baseline/bulk time: {baseline / bulk:.2f}")
    print(f"10,000,000 people at the bulk rate: {bulk / n * 10_000_000 / 60:.1f} min (projection)")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 200_000,
        sys.argv[2] if len(sys.argv) > 2 else None,
    )
