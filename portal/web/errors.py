"""Error pages in plain Spanish, never a stack trace."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.messages import _l
from portal.messages import gettext as _
from portal.web.htmx import render
from portal.web.redirects import safe_next
from portal.web.sessions import read_only_error

MESSAGES = {
    400: (
        _l("No pudimos entender lo que envió"),
        _l("Revise los datos e inténtelo de nuevo."),
    ),
    403: (
        _l("No tiene permiso para ver esta página"),
        _l("Si cree que es un error, vuelva al inicio o pida ayuda en una oficina."),
    ),
    404: (
        _l("No encontramos esta página"),
        _l("Revise la dirección o vuelva al inicio."),
    ),
    405: (
        _l("Esta acción no se puede hacer así"),
        _l("Vuelva a la página anterior y use los botones del formulario."),
    ),
    409: (
        _l("Alguien más cambió esto al mismo tiempo"),
        _l("Vuelva a cargar la página para ver la versión más reciente."),
    ),
    413: (
        _l("El archivo es demasiado grande"),
        _l(
            "El máximo es de %(mb)s MB. Envíe un archivo más pequeño; una foto del documento "
            "suele bastar."
        ),
    ),
    429: (
        _l("Demasiados intentos"),
        _l("Espere unos minutos e inténtelo de nuevo."),
    ),
    500: (
        _l("Algo falló de nuestro lado"),
        _l("No se perdió lo que ya había guardado. Inténtelo de nuevo en unos minutos."),
    ),
    503: (
        _l("Por ahora solo se puede consultar"),
        _l(
            "El portal no puede guardar cambios en este momento. Lo que ya guardó sigue ahí; "
            "inténtelo de nuevo más tarde."
        ),
    ),
}


def error_page(code: int, detail: str | None = None):
    title, hint = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    body = render(
        "web/errors/error.html",
        code=code,
        title=title,
        hint=detail or _filled(code, hint),
        request_id=g.get("request_id", ""),
        back=referring_page() if code == 413 else "",
    )
    return body, code


def _filled(code: int, hint: str) -> str:
    if code == 413:  # the one hint with a value: the limit
        return str(hint) % {"mb": current_app.config["MAX_UPLOAD_MB"]}
    return str(hint)


def _from_this_site(url: str) -> bool:
    return bool(url) and urlsplit(url).netloc == request.host


def referring_page() -> str:
    """The page of this site the request came from (its path), or ""."""
    referrer = request.referrer or ""
    if not _from_this_site(referrer):
        return ""
    parts = urlsplit(referrer)
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def _posted_from_this_site() -> bool:
    """A browser says where a form was posted from (``Origin``,
    ``Sec-Fetch-Site``); a request that says another site gets no page."""
    origin = request.headers.get("Origin", "")
    if origin and not _from_this_site(origin):
        return False
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


def keep_place_on_413(
    bp: Blueprint, endpoint: str, page: Callable[..., ResponseReturnValue]
) -> None:
    """A file over the limit answered with the page it was sent from.

    The body is refused unread (``security.refuse_oversized_body`` or the
    form parser), so the upload view never runs: the CSRF token was not
    seen and nothing was written. For a signed-in person posting to
    ``endpoint`` from this site, ``page`` is called with the URL's values and
    returns the page with the message at the document; it makes the view's
    own checks (who may see it), and any refusal it raises gives the plain
    413 page, as does every other request of ``bp``.
    """

    @bp.errorhandler(413)
    def too_large(error: HTTPException):
        if request.endpoint == endpoint and current_user.is_authenticated:
            if _posted_from_this_site():
                try:
                    return page(**(request.view_args or {}))
                except HTTPException as refused:
                    current_app.logger.warning(
                        "acceso rechazado tras un 413: %s %s endpoint=%s usuario=%s",
                        refused.code,
                        request.path,
                        request.endpoint,
                        current_user.get_id(),
                    )
        return error_page(413)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(
            400,
            _(
                "El formulario caducó o no es válido. Vuelva a la página anterior, recárguela e intente otra vez."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code in (401, 403, 404):
            # Refusals are logged (who and where, never the object's personal data)
            # so probing for other people's folios shows up in the logs.
            current_app.logger.warning(
                "acceso rechazado: %s %s %s endpoint=%s usuario=%s",
                error.code,
                request.method,
                request.path,
                request.endpoint,
                getattr(current_user, "get_id", lambda: "anonimo")(),
            )
        response = error_page(error.code or 500)
        allowed = getattr(error, "valid_methods", None)
        if error.code == 405 and allowed:
            return response[0], 405, {"Allow": ", ".join(allowed)}
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if current_app.testing and not current_app.config.get("TEST_ERROR_PAGES"):
            raise error
        if read_only_error(error):
            current_app.logger.error("escritura rechazada: la base de datos es de solo lectura")
            return error_page(503)
        current_app.logger.exception("error no controlado: %s", type(error).__name__)
        return error_page(500)
