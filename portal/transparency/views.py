"""Public transparency pages: statistics and open data, no personal data."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort

from portal.models import Program
from portal.transparency import public as transparency
from portal.web.exports import csv_lines
from portal.web.htmx import render
from portal.web.security import public_cache

bp = Blueprint("transparency", __name__)
CACHE_SECONDS = 600


def public_count(count: int, suppressed: bool = True) -> str:
    """A count as a page shows it: «<5» for 1 to 4 on public pages, else 1,234."""
    shown = transparency.suppress(count) if suppressed else count
    return shown if isinstance(shown, str) else f"{shown:,}"


def bar_count(count: int, suppressed: bool = True) -> int:
    return transparency.bar_count(count) if suppressed else count


def small_count(count: int) -> bool:
    return transparency.is_small(count)


def _download(rows, columns, name: str, fmt: str) -> Response:
    if fmt == "json":
        body = json.dumps(list(rows), ensure_ascii=False, default=str)
        return Response(body, mimetype="application/json")
    lines = csv_lines(columns, ([row[c] for c in columns] for row in rows))
    return Response(
        lines,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@bp.get("/estadisticas")
@public_cache(CACHE_SECONDS)
def statistics():
    stats = transparency.compute_stats()
    return render("transparency/statistics.html", stats=stats, suppressed=True, office=False)


@bp.get("/estadisticas/<dimension>.csv")
@public_cache(CACHE_SECONDS)
def statistics_csv(dimension: str):
    if dimension not in ("programa", "dependencia", "municipio", "sexo", "grupo_edad"):
        abort(404)
    stats = transparency.compute_stats()
    rows = [
        {dimension: k, "beneficiarios": transparency.suppress(n)} for k, n in stats.by(dimension)
    ]
    return _download(rows, (dimension, "beneficiarios"), f"beneficiarios-por-{dimension}", "csv")


@bp.get("/datos-abiertos")
@public_cache(CACHE_SECONDS)
def open_data():
    return render("transparency/open_data.html", programs=transparency.published_programs())


@bp.get("/datos-abiertos/diccionario")
@public_cache(CACHE_SECONDS)
def dictionary():
    return render("transparency/dictionary.html", minor_name=transparency.MINOR_NAME)


@bp.get("/datos-abiertos/programas.<any(csv, json):fmt>")
@public_cache(CACHE_SECONDS)
def catalog(fmt: str):
    return _download(transparency.catalog_rows(), transparency.CATALOG_COLUMNS, "programas", fmt)


@bp.get("/datos-abiertos/beneficiarios.<any(csv, json):fmt>")
@public_cache(CACHE_SECONDS)
def beneficiaries(fmt: str):
    rows = transparency.public_table(transparency.compute_stats())
    return _download(rows, transparency.STATS_COLUMNS, "beneficiarios", fmt)


@bp.get("/datos-abiertos/padron/<slug>.<any(csv, json):fmt>")
@public_cache(CACHE_SECONDS)
def roll(slug: str, fmt: str):
    program = Program.get_or_none(Program.slug == slug) or abort(404)
    rows = list(transparency.published_roll(program))
    return _download(rows, transparency.PUBLISHED_ROLL_COLUMNS, f"padron-{slug}", fmt)
