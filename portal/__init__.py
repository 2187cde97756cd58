"""Ventanilla Única: the application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.applications import tasks as outbox_tasks
from portal.citizens import oidc
from portal.config import ROOT, check, from_env, protect_data_files
from portal.delivery import tasks as delivery_tasks
from portal.outreach import tasks as outreach_tasks
from portal.rolls import tasks as roll_tasks
from portal.secretariat import tasks as secretariat_tasks
from portal.sms import tasks as sms_tasks  # noqa: F401  (registers its periodic task)
from portal.web import assets, formatting, limits, logs, pagecache, queue, security, templating
from portal.web import database as db
from portal.web.extensions import babel, compress, csrf, htmx_ext, login_manager
from portal.web.htmx import add_vary
from portal.web.i18n import select_locale
from portal.web.params import BoundedIntConverter
from portal.web.sessions import DatabaseSessionInterface


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        static_folder=None,
        template_folder=str(ROOT / "templates"),
    )
    app.config.update(from_env())
    app.config.update(
        SESSION_COOKIE_NAME="vu_sesion",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="es",
        BABEL_DEFAULT_TIMEZONE=formatting.STATE_ZONE.key,
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "portal" / "translations"),
        COMPRESS_MIMETYPES=[
            "text/html",
            "text/css",
            "text/csv",
            "application/javascript",
            "text/javascript",
            "application/json",
            "image/svg+xml",
        ],
        COMPRESS_ALGORITHM=["br", "gzip"],
        # Below one TCP segment compression saves no round trip, only CPU.
        COMPRESS_MIN_SIZE=1400,
    )
    app.url_map.converters["int"] = BoundedIntConverter
    if config:
        app.config.update(config)
    production = app.config["PORTAL_ENV"] == "production"
    if production:
        # The __Host- prefix pins the cookie to this host, path / and HTTPS.
        app.config.update(SESSION_COOKIE_NAME="__Host-vu_sesion", SESSION_COOKIE_SECURE=True)
    app.config["MAX_CONTENT_LENGTH"] = (app.config["MAX_UPLOAD_MB"] + 1) * 1024 * 1024
    check(app.config)
    protect_data_files(app.config)
    app.instance_path = app.config["INSTANCE_PATH"]
    if proxies := app.config["TRUSTED_PROXIES"]:
        # The client's address and scheme as the last ``proxies`` proxies saw them
        # (Flask's documented way to wrap its WSGI app, which mypy sees as a method).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    logs.init_app(app)
    pagecache.init_app(app)  # first: its after-request function runs last
    db.init_app(app)
    app.session_interface = DatabaseSessionInterface()
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    compress.init_app(app)
    htmx_ext.init_app(app)
    login_manager.init_app(app)
    assets.init_app(app)
    oidc.init_app(app)
    queue.init_app(app)
    outbox_tasks.init_app(app)
    delivery_tasks.init_app(app)
    roll_tasks.init_app(app)
    secretariat_tasks.init_app(app)
    outreach_tasks.init_app(app)

    app.before_request(security.assign_request_id)
    app.before_request(security.refuse_oversized_body)
    app.after_request(security.set_headers)
    app.after_request(add_vary)

    from portal.web import auth  # noqa: F401  (registers the user loader)
    from portal.web.commands import register_commands
    from portal.web.shell import register_blueprints

    register_blueprints(app)
    register_commands(app)
    templating.init_app(app)
    limits.init_app(app)  # after the blueprints: it wraps the views it limits

    return app
