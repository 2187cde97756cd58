"""Public transparency pages: statistics and open data, no personal data.

Every page and file here is read from the last build (portal/transparency/builds.py):
a look-up by primary key and a file, whatever the size of the registry.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, request, send_file
from flask_login import current_user

from portal.catalog.views import long_date
from portal.transparency import builds, tasks
from portal.transparency import public as transparency
from portal.web.exports import best_encoding, encoded_path
from portal.web.formatting import wall_clock
from portal.web.htmx import render
from portal.web.security import public_cache

bp = Blueprint("transparency", __name__)
CACHE_SECONDS = 600
DOWNLOAD_SECONDS = 60  # then the browser asks again, and a 304 costs nothing
RETRY_SECONDS = 60


def public_count(count: int, suppressed: bool = True) -> str:
    """A count as a page shows it: «<5» for 1 to 4 on public pages, else 1,234."""
    shown = transparency.suppress(count) if suppressed else count
    return shown if isinstance(shown, str) else f"{shown:,}"


def bar_count(count: int, suppressed: bool = True) -> int:
    return transparency.bar_count(count) if suppressed else count


def small_count(count: int) -> bool:
    return transparency.is_small(count)


def data_time(moment: dt.datetime) -> str:
    """When a build was made, as the pages say it: "2 de diciembre de 2026, 10:40"."""
    local = wall_clock(moment)
    return f"{long_date(local.date())}, {local:%H:%M}"


def _preparing() -> Response:
    """No build yet (a fresh installation): say so, and let nobody cache it."""
    response = current_app.make_response((render("transparency/preparing.html"), 503))
    response.headers["Retry-After"] = str(RETRY_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _snapshot() -> builds.Snapshot | None:
    last = builds.snapshot()
    if last is None:
        tasks.request_first_build()
        last = builds.snapshot()
    return last


def _public(response: Response, seconds: int) -> Response:
    """Let browsers and proxies keep it: for anonymous visitors only (see public_cache)."""
    if not current_user.is_authenticated:
        response.headers["Cache-Control"] = f"public, max-age={seconds}"
        response.vary.add("Cookie")
    return response


def _serve(name: str, download_name: str) -> Response:
    """One built file, with its ETag and Last-Modified (304 when the client has it)."""
    build = builds.current(name)
    if build is None and builds.current(builds.STATISTICS) is None:
        tasks.request_first_build()
        build = builds.current(name)
        if build is None and builds.current(builds.STATISTICS) is None:
            return _preparing()
    if build is None:
        abort(404)  # built, and this file is not among what is published
    path = builds.path_of(build)
    if not path.exists():  # replaced by a build between the look-up and now
        build = builds.current(name) or abort(404)
        path = builds.path_of(build)
    is_csv = name.endswith(".csv")
    # The copy compressed at build time, when the client takes it: sent as it
    # is (flask-compress leaves a response with a Content-Encoding alone).
    encoding = best_encoding(path, request.accept_encodings)
    response = send_file(
        encoded_path(path, encoding) if encoding else path,
        mimetype="text/csv" if is_csv else "application/json",
        as_attachment=is_csv,
        download_name=download_name,
        conditional=True,
        etag=f"{build.etag}-{encoding}" if encoding else build.etag,
        last_modified=build.built_at,
        max_age=None,
    )
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    return _public(response, DOWNLOAD_SECONDS)


@bp.get("/estadisticas")
@public_cache(CACHE_SECONDS)
def statistics():
    # Rendered once per PAGE_CACHE_SECONDS from the last build (its 35 charts
    # took ~45 ms of CPU); "en preparación" (503) is never kept.
    last = _snapshot()
    if last is None:
        return _preparing()
    return render("transparency/statistics.html", stats=last.stats, suppressed=True,
                  office=False, built_at=data_time(last.built_at), budget=last.budget)  # fmt: skip


@bp.get("/estadisticas/<dimension>.csv")
def statistics_csv(dimension: str):
    if dimension not in builds.DIMENSIONS:
        abort(404)
    return _serve(builds.dimension_name(dimension), f"beneficiarios-por-{dimension}.csv")


@bp.get("/datos-abiertos")
@public_cache(CACHE_SECONDS)
def open_data():
    last = _snapshot()
    if last is None:
        return _preparing()
    return render("transparency/open_data.html", programs=last.published,
                  built_at=data_time(last.built_at))  # fmt: skip


@bp.get("/datos-abiertos/diccionario")
@public_cache(CACHE_SECONDS)
def dictionary():
    return render("transparency/dictionary.html", minor_name=transparency.MINOR_NAME)


@bp.get("/datos-abiertos/programas.<any(csv, json):fmt>")
def catalog(fmt: str):
    return _serve(f"{builds.CATALOG}.{fmt}", f"programas.{fmt}")


@bp.get("/datos-abiertos/beneficiarios.<any(csv, json):fmt>")
def beneficiaries(fmt: str):
    return _serve(f"{builds.BENEFICIARIES}.{fmt}", f"beneficiarios.{fmt}")


@bp.get("/datos-abiertos/padron/<slug>.<any(csv, json):fmt>")
def roll(slug: str, fmt: str):
    return _serve(builds.roll_name(slug, fmt), f"padron-{slug}.{fmt}")
