"""Home, language choice and health check."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, request, url_for

from portal.web import health, i18n
from portal.web.htmx import render
from portal.web.i18n import LANGUAGES, set_language_cookie
from portal.web.redirects import safe_next
from portal.web.security import public_cache

bp = Blueprint("public", __name__)


@bp.get("/")
@public_cache(300)
def home():
    return render("web/home.html")


@bp.get("/idioma/<lang>")
def language(lang: str):
    """Remember the language in a plain cookie: no session, pages stay cacheable."""
    if lang not in LANGUAGES:
        abort(404)
    target = safe_next(request.args.get("next"), url_for("public.home"))
    for hook in i18n.on_language_chosen:
        hook(lang)
    response = redirect(target, code=303)
    set_language_cookie(response, lang)
    return response


@bp.get("/healthz")
def healthz():
    """JSON for load balancers: 200 when all is well, 503 naming what failed."""
    healthy, parts = health.report()
    return jsonify(status="ok" if healthy else "error", **parts), 200 if healthy else 503
