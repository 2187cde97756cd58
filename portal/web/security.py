"""Response headers that every page carries, and request ids for the logs."""

from __future__ import annotations

import secrets
from functools import lru_cache, wraps

from flask import abort, current_app, g, request
from flask_login import current_user

from portal.web import pagecache

# No data: images: a data: URL is an image (or an SVG) whose bytes no one
# checked, written into the page; QR codes and previews are served as files.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action {form_action}",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy(config) -> str:
    """The policy; forms may post to the digital-ID provider (its sign-out
    confirmation), and in production only over https://."""
    return _policy(config["OIDC_ISSUER"], config["PORTAL_ENV"])


@lru_cache(maxsize=16)
def _policy(issuer: str, environment: str) -> str:
    # Every response carries it: worked out once per issuer and environment.
    form_action = "'self'"
    if issuer.startswith("https://") or environment != "production":
        form_action += f" {issuer}"
    return CSP.format(form_action=form_action)


def assign_request_id() -> None:
    incoming = request.headers.get("X-Request-Id", "")
    ok = 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum()
    g.request_id = incoming if ok else secrets.token_hex(8)


def refuse_oversized_body() -> None:
    """413 from the declared length, before a byte of the body is read."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        abort(413)


def set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(current_app.config))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers["X-Request-Id"] = g.get("request_id", "")
    if current_app.config["PORTAL_ENV"] == "production":
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Pages may show personal data and kiosks are shared: nothing is kept
    # unless a view says its page is public (see public_cache).
    if response.mimetype == "text/html" and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response


def public_cache(seconds: int):
    """Let browsers keep a page that holds no personal data.

    Only for anonymous visitors: a signed-in person's pages show their name.
    The same pages are kept in memory for a few seconds (``web.pagecache``).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            response = pagecache.serve(view, seconds, args, kwargs)
            # Only a page as it should be is public: an error or "en
            # preparación" (503) keeps its own no-store.
            if not current_user.is_authenticated and response.status_code == 200:
                response.headers["Cache-Control"] = f"public, max-age={seconds}"
                response.vary.add("Cookie")
            return response

        return wrapped

    return decorator
