"""Rate limits on what can be guessed or flooded, in one table by endpoint.

One Flask-Limiter per app, installed by :func:`init_app` after every area's
blueprint is registered: it wraps the view functions named in :data:`LIMITS`,
so no area's view file carries a decorator and the whole policy reads here.

Counts live in ``RATELIMIT_STORAGE_URL``: ``memory://`` in development (one
process), Redis in production, where every gunicorn worker must share one
budget (production refuses to start without it). If Redis stops answering,
each worker keeps counting in its own memory until it is back, so a dead
Redis neither opens the floodgates nor turns every request into a 500.

A refused request gets the Spanish page ``web/errors/too_many_requests.html``
saying when to try again, with ``Retry-After``. The client is
``request.remote_addr``: behind a reverse proxy ``TRUSTED_PROXIES`` (ProxyFix,
installed in create_app) makes it the address the proxy saw.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request
from flask_babel import ngettext
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import current_user

from portal.config import ConfigError, rate_limit_storage_problems
from portal.web.htmx import render

CLIENT = "cliente"  # the client's address
PERSON = "persona"  # the signed-in person (their address when nobody is signed in)
EVERYONE = "todos"  # one budget for everybody: a whole code space


@dataclass(frozen=True)
class Rule:
    """``limit`` (Flask-Limiter's notation) on ``endpoint``'s ``methods``, counted per ``by``.

    With ``only_refusals`` a request counts only when it was refused (a wrong
    code answers 422): guesses are limited, people who type their code right
    are not.
    """

    endpoint: str
    limit: str
    by: str = CLIENT
    methods: tuple[str, ...] = ("POST",)
    only_refusals: bool = False


LIMITS: tuple[Rule, ...] = (
    # Staff sign-in: on top of the growing waits per account and client
    # (portal/backoffice/staff.py), a flood from one address is cut here
    # before it costs a single scrypt.
    Rule("oficina_auth.login", "10 per minute; 100 per hour"),
    # Citizen sign-in: each start sends the browser to the digital ID.
    Rule("auth.start", "30 per minute; 300 per hour", methods=("GET",)),
    Rule("auth.go_to_provider", "30 per minute; 300 per hour"),
    # Resume codes: 29**8 codes; guesses limited per client and for everybody.
    Rule("questionnaire.resume", "10 per hour", only_refusals=True),
    Rule("questionnaire.resume", "200 per hour", by=EVERYONE, only_refusals=True),
    # Complaint follow-up: folio and a 31**10 code; guesses limited per client
    # and for everybody. Filing: per client, loose enough for an office's shared address.
    Rule("complaints.follow", "10 per hour", only_refusals=True),
    Rule("complaints.follow", "300 per hour", by=EVERYONE, only_refusals=True),
    Rule("complaints.new", "30 per hour; 200 per day"),
    # Questionnaire answers: one question per page, a person answers a few a minute.
    Rule("questionnaire.question", "60 per minute; 1000 per hour"),
    Rule("questionnaire.para_solicitar.question", "60 per minute; 1000 per hour", by=PERSON),
    # The household's people: added and removed one by one, like answers.
    Rule("questionnaire.household_page", "60 per minute; 1000 per hour"),
    Rule("questionnaire.remove_member", "60 per minute; 1000 per hour"),
    # Uploads and application starts, per signed-in person.
    Rule("applications.upload", "30 per minute; 300 per day", by=PERSON),
    Rule("recertification.upload", "30 per minute; 300 per day", by=PERSON),
    Rule("oficina_assisted.upload", "60 per minute; 1000 per day", by=PERSON),
    Rule("applications.apply", "10 per minute; 50 per day", by=PERSON),
    # A child's CURP typed by a guardian: a wrong one answers 422, so guesses
    # at whose CURP is registered are limited per person and per client.
    Rule("applications.apply_for_child", "10 per hour; 30 per day", by=PERSON, only_refusals=True),
    Rule("applications.apply_for_child", "30 per hour", only_refusals=True),
    Rule("oficina_assisted.apply", "60 per minute; 1000 per day", by=PERSON),
    # A child's CURP typed at the counter for the guardian served: per staff member.
    Rule("oficina_assisted.apply_for_child", "60 per minute; 1000 per day", by=PERSON),
    # Brigade sync: one record per request, a device sends a day's records at once.
    Rule("field.sync_record", "120 per minute; 3000 per day", by=PERSON),
    # The federal roll: each download reads a program's whole roll.
    Rule("padron.federal_download", "10 per minute; 100 per day", by=PERSON, methods=("GET",)),
)


def client_address() -> str:
    """The client's address (after ProxyFix); '' outside a request."""
    return (request.remote_addr or "") if request else ""


def _person() -> str:
    if current_user and current_user.is_authenticated:
        return str(current_user.get_id())
    return client_address() or "desconocido"


def _everyone() -> str:
    return EVERYONE


KEYS: dict[str, Callable[[], str]] = {
    CLIENT: lambda: client_address() or "desconocido",
    PERSON: _person,
    EVERYONE: _everyone,
}


def _refused(response: Response) -> bool:
    return response.status_code in (401, 422)


def storage_url(config: dict) -> str:
    """Where the counts live; production refuses a missing or per-process storage."""
    url = config.get("RATELIMIT_STORAGE_URL") or ""
    if config.get("PORTAL_ENV") == "production":
        found = rate_limit_storage_problems(config)
        if found:
            raise ConfigError(found[0])
    return url or "memory://"


def wait_text(seconds: int) -> str:
    """'45 segundos', '3 minutos', '2 horas': how long, in words a person reads."""
    if seconds < 60:
        return ngettext("%(num)d segundo", "%(num)d segundos", seconds)
    if seconds < 3600:
        minutes = math.ceil(seconds / 60)
        return ngettext("%(num)d minuto", "%(num)d minutos", minutes)
    hours = math.ceil(seconds / 3600)
    return ngettext("%(num)d hora", "%(num)d horas", hours)


def too_many_requests(seconds: int):
    """The 429 page: when to try again, in words and in ``Retry-After``."""
    seconds = max(1, seconds)
    body = render(
        "web/errors/too_many_requests.html",
        wait=wait_text(seconds),
        request_id=g.get("request_id", ""),
    )
    return body, 429, {"Retry-After": str(seconds)}


def init_app(app: Flask) -> Limiter:
    """Install the limiter and wrap every view named in :data:`LIMITS`.

    Call it after the blueprints are registered (the views must exist).
    """
    limiter = Limiter(
        key_func=KEYS[CLIENT],
        storage_uri=storage_url(app.config),
        # A Redis that stops answering costs a second, then each worker counts alone.
        storage_options={"socket_timeout": 1, "socket_connect_timeout": 1},
        strategy="sliding-window-counter",
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        key_prefix="vu",
    )
    limiter.init_app(app)
    # Flask-Limiter logs each refusal with its key, which is the client's
    # address or the person's id: personal data stays out of the logs.
    logging.getLogger("flask-limiter").setLevel(logging.WARNING)
    app.extensions["portal_limiter"] = limiter
    for endpoint in dict.fromkeys(rule.endpoint for rule in LIMITS):
        view: Callable[..., Any] | None = app.view_functions.get(endpoint)
        if view is None:
            raise RuntimeError(f"LIMITS names {endpoint!r}, which is no endpoint")
        for rule in (r for r in LIMITS if r.endpoint == endpoint):
            view = limiter.limit(
                rule.limit,
                key_func=KEYS[rule.by],
                methods=list(rule.methods),
                deduct_when=_refused if rule.only_refusals else None,
                override_defaults=False,
            )(view)
        app.view_functions[endpoint] = view

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        # No log line per refusal: under a flood it would be the flood, written
        # out (the access log has every 429 already).
        current = limiter.current_limit
        if current is None:
            seconds = 60
        else:
            # reset_at is a whole second rounded up: never promise a wait
            # longer than the window itself, nor one of zero.
            window = current.limit.get_expiry()
            seconds = max(1, min(window, math.ceil(current.reset_at - time.time())))
        return too_many_requests(seconds)

    return limiter
