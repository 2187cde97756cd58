"""Error pages in plain Spanish, never a stack trace."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.web.htmx import render
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
        _l("Envíe un archivo más pequeño. Una foto del documento suele bastar."),
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
        hint=detail or hint,
        request_id=g.get("request_id", ""),
    )
    return body, code


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
