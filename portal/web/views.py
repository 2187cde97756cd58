"""Home, language choice and health check."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, request, url_for
from peewee import DatabaseError

from portal.web.extensions import db
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
    response = redirect(target, code=303)
    set_language_cookie(response, lang)
    return response


@bp.get("/healthz")
def healthz():
    try:
        db.execute_sql("SELECT 1")
    except DatabaseError:
        return jsonify(status="error", database="sin conexión"), 503
    return jsonify(status="ok", database="ok")
