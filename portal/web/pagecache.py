"""Public pages rendered once, then served from memory for a few seconds.

A page a view marks public (``security.public_cache``) shows no personal data
to an anonymous visitor, so every anonymous visitor gets the same bytes for the
same address, language and kiosk marker. When a call opens, thousands of people
load the same program page; rendering it for each of them is work repeated for
nothing. Each process keeps the pages it rendered for ``PAGE_CACHE_SECONDS``
(at most the time browsers are told they may keep them), in a bounded LRU.

A page is served from memory, or kept, only when nothing about the visitor
takes part: a GET, nobody signed in, an empty session before and after the
view (a flash message, a CSRF token or questionnaire answers make it the
visitor's own page), no cookie set, status 200. The key holds the full path
with its query, every cookie but the session's (language, kiosk marker), the
htmx headers (which pick a fragment instead of the page) and Accept-Encoding:
what is kept is the response as sent, compressed, so a page served from memory
is neither rendered nor compressed again (``keep`` runs after every other
after-request function).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, has_app_context, request, session
from flask_login import current_user

from portal.web.extensions import db

MAX_PAGES = 512


class PageCache:
    """A bounded, thread-safe LRU of rendered pages with an expiry each."""

    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
        self._pages: OrderedDict[tuple, tuple[float, int, list, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Response | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            expires, status, headers, body = found
            if expires < time.monotonic():
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
        return Response(body, status=status, headers=headers)

    def put(self, key: tuple, seconds: float, response: Response) -> None:
        entry = (
            time.monotonic() + seconds,
            response.status_code,
            [(k, v) for k, v in response.headers.items() if k != "X-Request-Id"],
            response.get_data(),
        )
        with self._lock:
            self._pages[key] = entry
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


def cache() -> PageCache:
    return current_app.extensions.setdefault("page_cache", PageCache())


def _key() -> tuple | None:
    if request.method != "GET" or session or current_user.is_authenticated:
        return None
    session_cookie = current_app.config["SESSION_COOKIE_NAME"]
    cookies = tuple(sorted((k, v) for k, v in request.cookies.items() if k != session_cookie))
    htmx = tuple(sorted((k, v) for k, v in request.headers.items() if k.lower().startswith("hx-")))
    encoding = request.headers.get("Accept-Encoding", "")
    return (request.full_path, cookies, htmx, encoding)


def _keepable(response: Response) -> bool:
    return (
        response.status_code == 200
        and not response.is_streamed
        and "Set-Cookie" not in response.headers
        and not session
        and not getattr(session, "modified", False)
    )


def serve(view: Callable[..., Any], seconds: int, args: tuple, kwargs: dict) -> Response:
    """The page from memory when it may be, else the view's page (kept by ``keep``)."""
    ttl = min(seconds, current_app.config.get("PAGE_CACHE_SECONDS", 0))
    key = _key() if ttl > 0 else None
    if key is not None:
        found = cache().get(key)
        if found is not None:
            return found
        g.page_cache_key = (key, ttl)
    return current_app.make_response(view(*args, **kwargs))


def keep(response: Response) -> Response:
    """After-request: keep the finished page when ``serve`` asked and it may be."""
    wanted = g.pop("page_cache_key", None)
    if wanted is not None and _keepable(response):
        key, ttl = wanted
        cache().put(key, ttl, response)
    return response


class KeptForSeconds:
    """A value every page reads, read again at most once per ``PAGE_CACHE_SECONDS``
    per process and database (the electoral blackout periods, the languages the
    catalog is translated into). What this process changes it forgets at once
    (:meth:`forget`); other processes see the change within the seconds a
    cached public page may be old. With ``PAGE_CACHE_SECONDS=0`` (tests, the
    pages' own cost in the benches) ``read`` runs every time."""

    def __init__(self, read: Callable[..., Any]) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._value: Any = None
        self._read_at = 0.0

    def get(self, *key: Any) -> Any:
        seconds = current_app.config.get("PAGE_CACHE_SECONDS", 0) if has_app_context() else 0
        if seconds <= 0:
            return self._read(*key)
        full = (id(db.obj), *key)
        now = time.monotonic()
        with self._lock:
            if self._key == full and now - self._read_at < seconds:
                return self._value
        value = self._read(*key)
        with self._lock:
            self._key, self._value, self._read_at = full, value, now
        return value

    def forget(self) -> None:
        with self._lock:
            self._key = None


def init_app(app) -> None:
    # Registered before flask-compress and the header functions, so it runs
    # after them (Flask runs after-request functions in reverse order).
    app.after_request(keep)
