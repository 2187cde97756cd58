"""The credential as its holder sees it, and the published key.

The holder sees the QR at ``/mis-solicitudes/<folio>/credencial``, printable
for people without a phone, with a PNG download; so does the parent or
guardian who applied for a child (portal/applications/guardian.py); the application page can
include ``delivery/_credential.html``. ``/.well-known/credenciales.json`` is
the JWK set delivery points check signatures with, even offline.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, jsonify
from flask_login import current_user

from portal.applications import guardian as guardians
from portal.config import ConfigError
from portal.delivery import credentials
from portal.delivery import handover as delivery
from portal.messages import gettext as _
from portal.models import Application, Credential
from portal.vocabulary import ApplicationStatus as S
from portal.web.auth import citizen_required
from portal.web.htmx import render
from portal.web.security import public_cache

bp = Blueprint("credential", __name__)


def private_key():
    return current_app.extensions["credential_private_key"]


def public_key():
    return private_key().public_key()


def credential_qr(application: Application) -> dict | None:
    """The QR code of an application's current credential, for templates.

    Without one, ``{"revoked": True}`` when its last credential was revoked (the
    person is told to ask for a new one), else None (being issued).
    """
    credential = delivery.current_credential(application)
    if credential is None:
        last = (
            Credential.select(Credential.revoked_at)
            .where(Credential.application == application.id)
            .order_by(Credential.id.desc())
            .first()
        )
        return {"revoked": True, "svg": None} if last and last.revoked_at else None
    url = credentials.credential_url(
        delivery.token_for(credential, private_key(), application),
        current_app.config["PORTAL_BASE_URL"],
    )
    return {
        "credential": credential,
        "svg": credentials.qr_svg(url, title=_("Código QR de la credencial de entrega")),
        "version": credentials.qr_version(url),
    }


@bp.get("/.well-known/credenciales.json")
@public_cache(3600)
def public_keys():
    """The JWK set a delivery point uses to check QR codes without a connection."""
    return jsonify(keys=[credentials.public_key_jwk(public_key())])


def _own_application(folio: str) -> Application:
    """The holder's application, or the child's one the guardian made; else 404."""
    application = guardians.followed_by(current_user.id).where(Application.folio == folio).first()
    if application is None:
        abort(404)
    return application


@bp.get("/mis-solicitudes/<folio>/credencial")
@citizen_required
def mine(folio: str):
    application = _own_application(folio)
    return render("delivery/credential.html", application=application)


@bp.get("/mis-solicitudes/<folio>/credencial.png")
@citizen_required
def mine_png(folio: str):
    application = _own_application(folio)
    credential = delivery.current_credential(application)
    if credential is None or application.status != S.APROBADA:
        abort(404)
    url = credentials.credential_url(
        delivery.token_for(credential, private_key(), application),
        current_app.config["PORTAL_BASE_URL"],
    )
    return Response(
        credentials.qr_png(url),
        mimetype="image/png",
        headers={
            "Content-Disposition": f'attachment; filename="credencial-{application.folio}.png"',
            "Cache-Control": "no-store",
        },
    )


def init_app(app: Flask) -> None:
    try:
        key = delivery.signing_key(
            app.config["CREDENTIAL_PRIVATE_KEY"],
            app.config["INSTANCE_PATH"],
            production=app.config["PORTAL_ENV"] == "production",
        )
    except (delivery.DeliveryError, credentials.CredentialKeyError) as error:
        raise ConfigError(f"CREDENTIAL_PRIVATE_KEY: {error}") from None
    app.extensions["credential_private_key"] = key
    app.register_blueprint(bp)
