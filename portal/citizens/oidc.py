"""The state's digital ID as an OpenID Connect relying party (Authlib).

What Authlib does for us: discovery, the authorization request with ``state``,
``nonce`` and PKCE S256, the code exchange with client authentication
(``client_secret_basic`` or ``private_key_jwt``), the JWKS fetch and, on an
unknown ``kid``, one forced refetch before giving up.

What we add, because Authlib's defaults are not enough:

* an algorithm allowlist (RS256, ES256, PS256): the provider's own metadata
  decides nothing else, so ``none`` and HMAC with a public key never pass;
* explicit ``claims_options`` for ``iss`` and ``aud``: without them Authlib
  accepts a token whose ``aud`` names another client when ``azp`` names ours;
* 60 seconds of clock skew instead of Authlib's 120;
* the callback's ``iss`` parameter (RFC 9207, against mix-up attacks) must name
  our issuer when present, and must be present when the provider's metadata
  says it sends it (``authorization_response_iss_parameter_supported``);
* sign-out without any claim in a URL: the end-session request carries
  ``client_id`` and ``post_logout_redirect_uri``, never ``id_token_hint``
  (an ID token holds the CURP, names, birth date and e-mail, which would end
  up in browser history and the provider's logs), and the portal keeps no
  raw ID token at all.

Every failure becomes a :class:`SignInFailed` with a stable ``cause`` for the
logs (never a token or a CURP) and a plain-Spanish message for the person.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import requests
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from flask import Flask, current_app
from joserfc.errors import JoseError

from portal.citizens import curp as curp_rules
from portal.messages import _l

ALLOWED_ALGORITHMS = ("RS256", "ES256", "PS256")
# OAuth error codes are short ASCII words (RFC 6749 §4.1.2.1); anything else in
# ``error`` is not logged or audited as given.
_ERROR_CODE = re.compile(r"[a-z_]{1,40}\Z")
LEEWAY_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SignInFailed(Exception):
    """Sign-in did not complete. ``cause`` goes to the logs; ``message`` to the person."""

    cause: str
    message: object  # str or a lazy translation


@dataclass(frozen=True)
class DigitalIdentity:
    """What the digital ID vouches for, read from a validated ID token."""

    issuer: str
    subject: str
    curp: str
    given_names: str
    first_surname: str
    second_surname: str
    birth_date: dt.date | None
    sex: str | None
    email: str


PROVIDER_DOWN = _l(
    "El servicio de Llave Digital no responde en este momento. Intente de nuevo en unos minutos."
)
INVALID_RESPONSE = _l(
    "No pudimos comprobar su identidad con la Llave Digital. Por seguridad no abrimos su sesión; intente de nuevo."
)
EXPIRED_ATTEMPT = _l(
    "El intento de entrada caducó o ya se usó. Empiece de nuevo desde el botón «Entrar»."
)
CANCELLED = _l("Canceló la entrada con la Llave Digital. Puede intentarlo de nuevo cuando quiera.")


class DigitalIdApp(FlaskOAuth2App):
    """Authlib's Flask client with our allowlist over the provider's algorithms."""

    def load_server_metadata(self):
        metadata = super().load_server_metadata()
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        metadata["id_token_signing_alg_values_supported"] = [
            alg for alg in offered if alg in ALLOWED_ALGORITHMS
        ]
        return metadata


class PortalOAuth(OAuth):
    oauth2_client_cls = DigitalIdApp


def init_app(app: Flask) -> None:
    config = app.config
    oauth = PortalOAuth(app)
    method = config["OIDC_TOKEN_AUTH_METHOD"]
    client_secret = config["OIDC_CLIENT_SECRET"]
    auth_methods = None
    if method == "private_key_jwt":
        # Authlib signs the client assertion with the "secret", which for this
        # method is the portal's private key (PEM or JWK).
        client_secret = Path(config["OIDC_PRIVATE_KEY_FILE"]).read_text(encoding="utf-8")
        auth_methods = [PrivateKeyJWT(alg="RS256")]
    oauth.register(
        "digital_id",
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=client_secret,
        server_metadata_url=f"{config['OIDC_ISSUER']}/.well-known/openid-configuration",
        client_auth_methods=auth_methods,
        client_kwargs={
            "scope": config["OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": method,
            "default_timeout": HTTP_TIMEOUT_SECONDS,
        },
    )
    app.extensions["digital_id"] = oauth.digital_id


def client() -> DigitalIdApp:
    return current_app.extensions["digital_id"]


def authorize_redirect(kiosk: bool = False):
    """Redirect to the provider; state, nonce and the PKCE verifier stay in the session.

    A kiosk asks the provider to show its login form every time: the previous
    person's single sign-on session at the provider must never sign in the next.
    """
    extra = {"prompt": "login"} if kiosk else {}
    try:
        return client().authorize_redirect(
            current_app.config["OIDC_REDIRECT_URI"], nonce=_nonce(), **extra
        )
    except (requests.RequestException, ValueError) as exc:
        raise SignInFailed("provider_unreachable", PROVIDER_DOWN) from exc


def _nonce() -> str:
    return generate_token(32)


def finish_sign_in(args) -> DigitalIdentity:
    """Check the callback, exchange the code and validate the ID token."""
    _check_issuer_parameter(args.get("iss"))
    if args.get("error"):
        if args["error"] == "access_denied":
            raise SignInFailed("cancelled", CANCELLED)
        code = args["error"] if _ERROR_CODE.match(args["error"]) else "unrecognised"
        raise SignInFailed(f"provider_error:{code}", INVALID_RESPONSE)
    if not args.get("state"):
        raise SignInFailed("state_missing", EXPIRED_ATTEMPT)
    config = current_app.config
    claims_options = {
        "iss": {"essential": True, "value": config["OIDC_ISSUER"]},
        "aud": {"essential": True, "value": config["OIDC_CLIENT_ID"]},
    }
    try:
        token = client().authorize_access_token(
            claims_options=claims_options, leeway=LEEWAY_SECONDS
        )
    except MismatchingStateError as exc:
        raise SignInFailed("state_mismatch", EXPIRED_ATTEMPT) from exc
    except OAuthError as exc:
        # invalid_grant: the code was used already or has expired.
        raise SignInFailed(f"token_endpoint:{exc.error}", EXPIRED_ATTEMPT) from exc
    except requests.RequestException as exc:
        raise SignInFailed("provider_unreachable", PROVIDER_DOWN) from exc
    except JoseError as exc:
        raise SignInFailed(f"id_token:{type(exc).__name__}", INVALID_RESPONSE) from exc
    except ValueError as exc:
        # joserfc refuses a disallowed algorithm or a malformed token this way.
        raise SignInFailed(f"id_token:{type(exc).__name__}", INVALID_RESPONSE) from exc
    claims = token.get("userinfo")
    if claims is None:
        raise SignInFailed("id_token:missing", INVALID_RESPONSE)
    return _identity(claims)


def _metadata() -> dict:
    try:
        return client().load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise SignInFailed("provider_unreachable", PROVIDER_DOWN) from exc


def _check_issuer_parameter(iss: str | None) -> None:
    """RFC 9207: the response names the provider that sent it.

    A response that names another issuer was meant for another provider (a
    mix-up attack); one without ``iss`` from a provider that always sends it
    was forged or stripped on the way.
    """
    if iss is None:
        if _metadata().get("authorization_response_iss_parameter_supported"):
            raise SignInFailed("iss_missing", INVALID_RESPONSE)
        return
    if iss != current_app.config["OIDC_ISSUER"]:
        raise SignInFailed("iss_mismatch", INVALID_RESPONSE)


def _identity(claims) -> DigitalIdentity:
    config = current_app.config
    raw_curp = str(claims.get(config["OIDC_CLAIM_CURP"]) or "")
    try:
        curp = curp_rules.validate(raw_curp)
    except curp_rules.CurpError as exc:
        raise SignInFailed(
            f"curp_invalid:{exc.code}",
            _l(
                "La CURP que envió la Llave Digital no es válida: %(detail)s "
                "Acuda a una oficina de atención para revisarla.",
                detail=exc.text,
            ),
        ) from exc
    birth_raw = claims.get(config["OIDC_CLAIM_BIRTHDATE"])
    try:
        birth = dt.date.fromisoformat(birth_raw) if birth_raw else None
    except (TypeError, ValueError):
        birth = None
    sex = claims.get(config["OIDC_CLAIM_SEX"]) or None
    return DigitalIdentity(
        issuer=config["OIDC_ISSUER"],
        subject=str(claims["sub"]),
        curp=curp,
        given_names=str(claims.get(config["OIDC_CLAIM_GIVEN_NAME"]) or ""),
        first_surname=str(claims.get(config["OIDC_CLAIM_FAMILY_NAME"]) or ""),
        second_surname=str(claims.get(config["OIDC_CLAIM_SECOND_FAMILY_NAME"]) or ""),
        birth_date=birth,
        sex=sex,
        email=str(claims.get("email") or "") if claims.get("email_verified") else "",
    )


def logout_url(post_logout_redirect_uri: str) -> str | None:
    """The provider's end-session URL, or None when it has no such endpoint or is down.

    ``client_id`` tells the provider whose ``post_logout_redirect_uri`` to
    check (OpenID Connect RP-Initiated Logout 1.0, §2), with a random ``state``;
    no ID token, no logout hint, nothing about the person rides in the URL. The provider asks the
    person to confirm, since the request does not prove who sent it.
    """
    try:
        metadata = client().load_server_metadata()
    except (requests.RequestException, ValueError):
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    return add_params_to_uri(
        endpoint,
        {
            "client_id": current_app.config["OIDC_CLIENT_ID"],
            "post_logout_redirect_uri": post_logout_redirect_uri,
            # Random, as the specification recommends; it says nothing about anyone.
            "state": generate_token(20),
        },
    )
