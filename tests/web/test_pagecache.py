"""Public pages kept in memory for a few seconds, and only where no visitor shows."""

from __future__ import annotations

import pytest
from flask import template_rendered

from portal.web import pagecache
from tests.conftest import sign_in_as
from tests.factories import make_citizen


@pytest.fixture
def cached(app):
    app.config["PAGE_CACHE_SECONDS"] = 10
    pagecache.cache().clear()
    return app


@pytest.fixture
def renders(cached):
    seen: list[str] = []

    def record(sender, template, context, **extra):
        seen.append(template.name)

    template_rendered.connect(record, cached)
    yield seen
    template_rendered.disconnect(record, cached)


def test_an_anonymous_public_page_is_rendered_once_then_served_from_memory(cached, client, renders):
    first = client.get("/", headers={"Accept-Encoding": "gzip"})
    second = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == second.status_code == 200
    assert renders.count("web/home.html") == 1
    assert second.data == first.data  # the same compressed bytes
    assert second.headers["Content-Encoding"] == "gzip"
    # Headers of the request itself are fresh; the page's own are kept.
    assert second.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert second.headers["Cache-Control"] == "public, max-age=300"


def test_each_encoding_language_and_query_has_its_own_copy(cached, client, renders):
    client.get("/", headers={"Accept-Encoding": "gzip"})
    client.get("/", headers={"Accept-Encoding": "br"})
    client.get("/?x=1")
    client.set_cookie("idioma", "en")
    english = client.get("/")
    assert renders.count("web/home.html") == 4
    assert 'lang="en"' in english.text


def test_htmx_fragments_are_kept_apart_from_pages(cached, client):
    page = client.get("/programas")
    fragment = client.get("/programas", headers={"HX-Request": "true"})
    again = client.get("/programas")
    assert "<html" in page.text and "<html" in again.text
    assert "<html" not in fragment.text


def test_a_signed_in_person_never_gets_the_anonymous_copy(cached, client, renders):
    client.get("/")
    person = make_citizen()
    sign_in_as(client, person)
    page = client.get("/")
    assert renders.count("web/home.html") == 2
    assert page.headers["Cache-Control"] == "no-store"


def test_a_visitor_with_something_in_the_session_gets_their_own_page(cached, client, renders):
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Sus respuestas se guardaron.")]
    shown = client.get("/")
    assert "Sus respuestas se guardaron." in shown.text
    fresh = client.application.test_client()
    assert "Sus respuestas se guardaron." not in fresh.get("/").text
    assert renders.count("web/home.html") == 2  # neither came from, nor went into, memory


def test_copies_expire(cached, client, renders, monkeypatch):
    client.get("/")
    now = pagecache.time.monotonic()
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now + 11)
    client.get("/")
    assert renders.count("web/home.html") == 2


def test_turned_off_by_config(app, client, renders):
    app.config["PAGE_CACHE_SECONDS"] = 0
    client.get("/")
    client.get("/")
    assert renders.count("web/home.html") == 2


def test_memory_is_bounded_by_the_number_of_pages():
    cache = pagecache.PageCache(size=3)
    from flask import Response

    for n in range(10):
        cache.put(("/", n), 10, Response(b"x"))
    assert len(cache) == 3
    assert cache.get(("/", 9)) is not None and cache.get(("/", 0)) is None


def test_a_kept_value_is_read_once_per_page_cache_time_and_database(app, monkeypatch):
    clock = [500.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: clock[0])
    reads = []
    kept = pagecache.KeptForSeconds(lambda *key: reads.append(key) or len(reads))
    app.config["PAGE_CACHE_SECONDS"] = 0  # off: read every time
    assert [kept.get("a"), kept.get("a")] == [1, 2]
    app.config["PAGE_CACHE_SECONDS"] = 10
    assert [kept.get("a"), kept.get("a")] == [3, 3]
    assert kept.get("b") == 4  # another key is another read
    clock[0] += 11
    assert kept.get("b") == 5  # older than the page cache's seconds
    kept.forget()
    assert kept.get("b") == 6
    assert reads == [("a",), ("a",), ("a",), ("b",), ("b",), ("b",)]


def test_the_footer_asks_the_catalog_once_per_page_cache_time(app, client, monkeypatch):
    """Whether the catalog changed (the languages its programs are translated
    into) is asked once per PAGE_CACHE_SECONDS, not on every page."""
    from portal.catalog import content, store

    app.config["PAGE_CACHE_SECONDS"] = 10
    content._offered.forget()
    asked = []
    real = store._fingerprint
    monkeypatch.setattr(store, "_fingerprint", lambda: asked.append(1) or real())
    for _ in range(3):  # a page with a form: never served from the page cache
        page = client.get("/cuestionario/pregunta/household_size")
        assert page.status_code == 200 and b"English" in page.data
    assert len(asked) == 1
    content._offered.forget()
