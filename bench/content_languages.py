"""Benchmark: what content in other languages costs the catalog pages.

Builds a throwaway SQLite database with the demo catalog plus copies of its
programs (each with its English texts) up to ``programs`` programs, then, in
the same run and alternating (A B A B, so the machine's load moves both alike):

* a bare Flask page of the same app (the reference);
* ``/programas`` and ``/programas/<slug>`` in Spanish and in English (the
  ratio English / Spanish is what translations cost a request);
* building one language's localized programs from the compiled catalog (what
  the first English request after a catalog change pays, once per process).

Prints the queries one request runs in each language (they must be the same,
whatever the number of programs) and the load average.

    .venv/bin/python bench/content_languages.py [programs] [seconds]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from portal import create_app  # noqa: E402
from portal.catalog import content  # noqa: E402
from portal.catalog.schema import load_catalog as read_catalog  # noqa: E402
from portal.catalog.schema import parse_catalog  # noqa: E402
from portal.catalog.store import engine_catalog, load_catalog  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402
from portal.web.i18n import LANGUAGE_COOKIE  # noqa: E402

DEMO = Path(__file__).resolve().parent.parent / "portal" / "catalog" / "data" / "catalogo-demo.yaml"


def catalog_of(size: int):
    demo = read_catalog(DEMO).to_dict()
    programs = list(demo["programs"])
    base = demo["programs"]
    for i in range(max(size - len(base), 0)):
        original = base[i % len(base)]
        copy = {**original, "slug": f"{original['slug']}-{i}", "name": f"{original['name']} {i}"}
        english = dict(original["i18n"]["en"])
        english["name"] = f"{english['name']} {i}"
        copy["i18n"] = {"en": english}
        copy.pop("exclusion_group", None)
        programs.append(copy)
    return parse_catalog(yaml.safe_dump({**demo, "programs": programs}, allow_unicode=True))


def measure(work, seconds: float) -> list[float]:
    latencies = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        work()
        latencies.append(time.perf_counter() - start)
    return latencies


def summary(latencies: list[float]) -> tuple[float, float, float]:
    ms = sorted(x * 1000 for x in latencies)
    return len(ms) / (sum(ms) / 1000), statistics.median(ms), ms[int(len(ms) * 0.95)]


def main(size: int = 500, seconds: float = 3.0) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-content-"))
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "docs"),
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "PAGE_CACHE_SECONDS": 0,  # render every request: the cost under test
        }
    )
    app.add_url_rule("/bench-bare", "bench_bare", lambda: "ok")
    spanish, english = app.test_client(), app.test_client()
    english.set_cookie(LANGUAGE_COOKIE, "en")
    with app.app_context():
        database.upgrade()
        load_catalog(catalog_of(size))
        compiled = engine_catalog()
        print(f"catalog: {len(compiled.programs):,} programs, each with its English texts")
        start = time.perf_counter()
        localized = [content.localize(p, "en") for p in compiled.programs]
        built = time.perf_counter() - start
        print(
            f"localizing the catalog into English: {built * 1000:.1f} ms "
            f"({built / len(localized) * 1e6:.1f} µs a program), once per catalog change"
        )
        pages = ["/programas", "/programas/tarjeta-contigo"]
        for client, name in ((spanish, "es"), (english, "en")):
            for url in pages:
                client.get(url)  # the first request compiles and localizes
                seen: list[str] = []
                db.obj.query_hooks.append(lambda event, seen=seen: seen.append(event.sql))
                assert client.get(url).status_code == 200
                db.obj.query_hooks.pop()
                print(f"queries of {url} in {name}: {len(seen)}")
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        results: dict[str, list[float]] = {}
        rounds = [("bare", spanish, "/bench-bare")]
        for url in pages:
            rounds += [(f"{url} es", spanish, url), (f"{url} en", english, url)]
        for _ in range(2):  # A B A B
            for label, client, url in rounds:
                results.setdefault(label, []).extend(
                    measure(lambda client=client, url=url: client.get(url), seconds / 2)
                )
        bare_rate = summary(results["bare"])[0]
        for label, latencies in results.items():
            rate, p50, p95 = summary(latencies)
            print(
                f"{label}: {rate:,.0f}/s, p50 {p50:.2f} ms, p95 {p95:.2f} ms "
                f"({len(latencies)} requests, {rate / bare_rate:.3f} of the bare page)"
            )
        for url in pages:
            es, en = summary(results[f"{url} es"])[0], summary(results[f"{url} en"])[0]
            print(f"{url}: English / Spanish = {en / es:.3f}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        db.close()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]), *(float(a) for a in sys.argv[2:3]))
