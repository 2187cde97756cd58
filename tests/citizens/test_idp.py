"""The local digital-ID provider (idp/server.mjs) behaves like a real OpenID
provider, and each fault persona breaks its ID token in exactly one way."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey, KeySet, RSAKey
from stdnum.mx import curp

from tests.support.idp import (
    IdpError,
    idp_cancel,
    idp_sign_in,
    idp_sign_out,
    load_personas,
    run_idp,
)

CLIENT_ID = "ventanilla"
CLIENT_SECRET = "ventanilla-dev-secret"
REDIRECT_URI = "http://127.0.0.1:5000/auth/callback"
POST_LOGOUT_REDIRECT_URI = "http://127.0.0.1:5000/"

# The fault personas, each breaking its ID token in one way (the portal's
# sign-in tests, tests/citizens/test_sign_in.py, try every one).
FAULTS = {
    "fault-aud",
    "fault-azp",
    "fault-iss",
    "fault-expired",
    "fault-iat-future",
    "fault-signature",
    "fault-kid",
    "fault-alg-none",
    "fault-nonce",
}
PERSONAS = load_personas()
PERSONA_BY_LOGIN = {persona["login"]: persona for persona in PERSONAS}
REGULAR_LOGINS = [
    persona["login"]
    for persona in PERSONAS
    if persona["login"] not in FAULTS and not persona["login"].startswith("curp-")
]

ALGORITHMS = ["RS256", "ES256"]


@pytest.fixture(scope="module")
def idp():
    """The provider as developers run it: default client, generated keys."""
    with run_idp() as server:
        yield server


@pytest.fixture(scope="module")
def discovery(idp):
    response = requests.get(f"{idp.issuer}/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="module")
def jwks(discovery):
    response = requests.get(discovery["jwks_uri"], timeout=10)
    response.raise_for_status()
    return response.json()


@dataclass
class AuthorizationRequest:
    """What a relying party remembers between redirecting to the provider and
    receiving the callback."""

    client_id: str = CLIENT_ID
    redirect_uri: str = REDIRECT_URI
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    code_verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    def url(self, discovery: dict, *, pkce: bool = True) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid profile email",
            "state": self.state,
            "nonce": self.nonce,
        }
        if pkce:
            digest = hashlib.sha256(self.code_verifier.encode()).digest()
            query["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            query["code_challenge_method"] = "S256"
        return f"{discovery['authorization_endpoint']}?{urlencode(query)}"


def callback_params(location: str) -> dict[str, str]:
    assert location.startswith(REDIRECT_URI + "?"), location
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def exchange_code(
    discovery: dict,
    request: AuthorizationRequest,
    location: str,
    *,
    auth_method: str = "client_secret_basic",
    client_assertion: str | None = None,
) -> dict:
    params = callback_params(location)
    assert params["state"] == request.state
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.code_verifier,
    }
    auth = None
    if auth_method == "client_secret_basic":
        auth = (request.client_id, CLIENT_SECRET)
    elif auth_method == "client_secret_post":
        form |= {"client_id": request.client_id, "client_secret": CLIENT_SECRET}
    elif auth_method == "private_key_jwt":
        form |= {
            "client_id": request.client_id,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion,
        }
    response = requests.post(discovery["token_endpoint"], data=form, auth=auth, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def sign_in_and_get_tokens(discovery: dict, login: str) -> tuple[AuthorizationRequest, dict]:
    request = AuthorizationRequest()
    location = idp_sign_in(request.url(discovery), login)
    return request, exchange_code(discovery, request, location)


def verify_id_token(id_token: str, jwks: dict, issuer: str, request: AuthorizationRequest):
    """Validate the ID token the way the portal must: signature against the
    provider's JWKS, issuer, audience, nonce and validity window."""
    token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=ALGORITHMS)
    # The claims OpenID Connect Core 3.1.3.7 requires of an ID token from the code flow.
    jwt.JWTClaimsRegistry(
        leeway=60,
        iss={"essential": True, "value": issuer},
        sub={"essential": True},
        aud={"essential": True, "value": request.client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": request.nonce},
        azp={"value": request.client_id},
    ).validate(token.claims)
    return token.claims


def unverified_parts(token: str) -> tuple[dict, dict, bytes]:
    def decode(segment: str) -> bytes:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))

    header, payload, signature = token.split(".")
    return json.loads(decode(header)), json.loads(decode(payload)), decode(signature)


def id_token_defects(
    id_token: str, jwks: dict, issuer: str, request: AuthorizationRequest
) -> set[str]:
    """Every check a relying party makes on an ID token, named after the fault
    persona that should fail it; returns the names of the failed checks."""
    header, payload, _ = unverified_parts(id_token)
    now = time.time()
    defects = set()
    if header["alg"] == "none":
        defects.add("fault-alg-none")
    elif header.get("kid") not in {key["kid"] for key in jwks["keys"]}:
        defects.add("fault-kid")
    else:
        try:
            jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=ALGORITHMS)
        except BadSignatureError:
            defects.add("fault-signature")
    if payload["iss"] != issuer:
        defects.add("fault-iss")
    if payload["aud"] not in (request.client_id, [request.client_id]):
        defects.add("fault-azp" if payload.get("azp") == request.client_id else "fault-aud")
    if payload["exp"] <= now:
        defects.add("fault-expired")
    if payload["iat"] > now + 60:
        defects.add("fault-iat-future")
    if payload.get("nonce") != request.nonce:
        defects.add("fault-nonce")
    return defects


def test_discovery_advertises_code_flow_with_s256_pkce_and_logout(idp, discovery):
    assert discovery["issuer"] == idp.issuer
    assert idp.issuer.startswith("http://127.0.0.1:")
    for endpoint in ("authorization", "token", "userinfo", "end_session"):
        assert discovery[f"{endpoint}_endpoint"].startswith(idp.issuer + "/")
    assert discovery["jwks_uri"].startswith(idp.issuer + "/")
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert "code" in discovery["response_types_supported"]
    assert set(discovery["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert {"RS256", "ES256"} <= set(discovery["id_token_signing_alg_values_supported"])
    assert {"curp", "given_name", "family_name", "second_family_name", "birthdate", "sex"} <= set(
        discovery["claims_supported"]
    )


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_sign_in_with_pkce_gives_a_verifiable_id_token_with_the_identity_claims(
    idp, discovery, jwks, auth_method
):
    lupita = PERSONA_BY_LOGIN["lupita"]
    request = AuthorizationRequest()

    location = idp_sign_in(request.url(discovery), "lupita")
    params = callback_params(location)
    assert params["iss"] == idp.issuer
    tokens = exchange_code(discovery, request, location, auth_method=auth_method)
    claims = verify_id_token(tokens["id_token"], jwks, idp.issuer, request)

    assert claims["sub"] == lupita["sub"]
    assert {name: claims[name] for name in lupita["claims"]} == lupita["claims"]
    assert id_token_defects(tokens["id_token"], jwks, idp.issuer, request) == set()


def test_userinfo_returns_the_same_identity_claims(discovery):
    _, tokens = sign_in_and_get_tokens(discovery, "rosa")

    response = requests.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )

    rosa = PERSONA_BY_LOGIN["rosa"]
    assert response.json() == {"sub": rosa["sub"], **rosa["claims"]}
    assert "second_family_name" not in response.json()


def test_authorization_without_code_challenge_is_refused(discovery):
    request = AuthorizationRequest()

    response = requests.get(request.url(discovery, pkce=False), allow_redirects=False, timeout=10)

    params = callback_params(response.headers["Location"])
    assert params["error"] == "invalid_request"
    assert "PKCE" in params["error_description"]
    assert params["state"] == request.state


def test_code_cannot_be_exchanged_without_the_verifier(discovery):
    request = AuthorizationRequest()
    location = idp_sign_in(request.url(discovery), "jorge")

    response = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": callback_params(location)["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": secrets.token_urlsafe(48),
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_persona_gets_an_id_token_with_exactly_its_defect(idp, discovery, jwks, fault):
    request, tokens = sign_in_and_get_tokens(discovery, fault)

    assert id_token_defects(tokens["id_token"], jwks, idp.issuer, request) == {fault}
    _, payload, _ = unverified_parts(tokens["id_token"])
    persona = PERSONA_BY_LOGIN[fault]
    assert payload["sub"] == persona["sub"]
    assert {name: payload[name] for name in persona["claims"]} == persona["claims"]


@pytest.mark.parametrize(
    ("fault", "claim", "offset"),
    [("fault-expired", "exp", -600), ("fault-iat-future", "iat", 600)],
)
def test_time_faults_are_ten_minutes_off(discovery, fault, claim, offset):
    _, tokens = sign_in_and_get_tokens(discovery, fault)

    _, payload, _ = unverified_parts(tokens["id_token"])
    assert payload[claim] == pytest.approx(time.time() + offset, abs=10)
    assert payload["iat"] < payload["exp"]


def test_azp_fault_names_our_client_as_authorized_party(discovery):
    _, tokens = sign_in_and_get_tokens(discovery, "fault-azp")

    _, payload, _ = unverified_parts(tokens["id_token"])
    assert payload["aud"] == ["other-client"]
    assert payload["azp"] == CLIENT_ID


def test_alg_none_fault_has_an_empty_signature(discovery):
    _, tokens = sign_in_and_get_tokens(discovery, "fault-alg-none")

    assert tokens["id_token"].endswith(".")
    header, _, signature = unverified_parts(tokens["id_token"])
    assert header == {"alg": "none"}
    assert signature == b""


def test_unknown_login_gets_the_login_form_again_with_an_error(discovery):
    with pytest.raises(IdpError, match='422 .*Unknown account "nadie"'):
        idp_sign_in(AuthorizationRequest().url(discovery), "nadie")


def test_cancelling_at_the_login_form_returns_access_denied(discovery):
    request = AuthorizationRequest()

    params = callback_params(idp_cancel(request.url(discovery)))

    assert params["error"] == "access_denied"
    assert params["state"] == request.state


def test_declining_consent_returns_access_denied(discovery):
    request = AuthorizationRequest()

    params = callback_params(idp_sign_in(request.url(discovery), "diego", consent=False))

    assert params["error"] == "access_denied"
    assert params["state"] == request.state


def test_signed_in_browser_skips_the_forms_until_it_signs_out(discovery, jwks, idp):
    browser = requests.Session()
    first = AuthorizationRequest()
    tokens = exchange_code(
        discovery, first, idp_sign_in(first.url(discovery), "jose", session=browser)
    )

    # Single sign-on: the provider answers at once, for the account already
    # signed in, whatever login the helper is given.
    again = AuthorizationRequest()
    location = idp_sign_in(again.url(discovery), "ana", session=browser)
    claims = verify_id_token(
        exchange_code(discovery, again, location)["id_token"], jwks, idp.issuer, again
    )
    assert claims["sub"] == PERSONA_BY_LOGIN["jose"]["sub"]

    logout = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": POST_LOGOUT_REDIRECT_URI,
        "state": "despues-de-salir",
    }
    location = idp_sign_out(f"{discovery['end_session_endpoint']}?{urlencode(logout)}", browser)
    assert location == f"{POST_LOGOUT_REDIRECT_URI}?state=despues-de-salir"

    after = AuthorizationRequest()
    location = idp_sign_in(after.url(discovery), "ana", session=browser)
    claims = verify_id_token(
        exchange_code(discovery, after, location)["id_token"], jwks, idp.issuer, after
    )
    assert claims["sub"] == PERSONA_BY_LOGIN["ana"]["sub"]


def test_confidential_client_with_private_key_jwt_and_keys_from_a_file(tmp_path):
    client_key = RSAKey.generate_key(2048, auto_kid=True)
    provider_key = ECKey.generate_key("P-256")
    # No kid in the file: the provider must name the key by its thumbprint.
    provider_jwk = provider_key.as_dict(private=True, alg="ES256", use="sig")
    assert "kid" not in provider_jwk
    jwks_file = tmp_path / "idp-keys.json"
    jwks_file.write_text(json.dumps({"keys": [provider_jwk]}))
    client = {
        "client_id": "ventanilla-pkjwt",
        "redirect_uris": [REDIRECT_URI],
        "post_logout_redirect_uris": [POST_LOGOUT_REDIRECT_URI],
        "token_endpoint_auth_method": "private_key_jwt",
        "id_token_signed_response_alg": "ES256",
        "jwks": {"keys": [client_key.as_dict(private=False, alg="RS256", use="sig")]},
    }

    with run_idp(clients=[client], env={"IDP_JWKS_FILE": str(jwks_file)}) as server:
        discovery = requests.get(
            f"{server.issuer}/.well-known/openid-configuration", timeout=10
        ).json()
        jwks = requests.get(discovery["jwks_uri"], timeout=10).json()
        request = AuthorizationRequest(client_id=client["client_id"])
        location = idp_sign_in(request.url(discovery), "karla")
        now = int(time.time())
        assertion = jwt.encode(
            {"alg": "RS256", "kid": client_key.kid},
            {
                "iss": client["client_id"],
                "sub": client["client_id"],
                "aud": server.issuer,
                "jti": secrets.token_urlsafe(16),
                "iat": now,
                "exp": now + 60,
            },
            client_key,
            algorithms=["RS256"],
        )
        tokens = exchange_code(
            discovery,
            request,
            location,
            auth_method="private_key_jwt",
            client_assertion=assertion,
        )
        claims = verify_id_token(tokens["id_token"], jwks, server.issuer, request)

    assert [key["kid"] for key in jwks["keys"]] == [provider_key.thumbprint()]
    assert "d" not in jwks["keys"][0]
    assert unverified_parts(tokens["id_token"])[0]["kid"] == provider_key.thumbprint()
    assert claims["curp"] == PERSONA_BY_LOGIN["karla"]["claims"]["curp"]


def test_stopping_the_provider_leaves_no_process_behind():
    with run_idp() as server:
        pid = server.pid

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_personas_include_the_demo_population_and_one_persona_per_fault():
    logins = [persona["login"] for persona in PERSONAS]
    assert len(set(logins)) == len(logins)
    assert len({persona["sub"] for persona in PERSONAS}) == len(PERSONAS)
    assert FAULTS <= set(logins)
    assert {"curp-mismatch", "curp-invalid"} <= set(logins)
    assert len(REGULAR_LOGINS) >= 6


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda persona: persona["login"])
def test_persona_curp_is_valid_and_agrees_with_birthdate_and_sex(persona):
    claims = persona["claims"]
    if persona["login"] == "curp-invalid":
        assert not curp.is_valid(claims["curp"])
        assert curp.is_valid(claims["curp"], validate_check_digits=False)
        return

    number = curp.validate(claims["curp"])
    assert number[11:13] == "QT"
    assert number[10] == claims["sex"]
    birthdate_agrees = curp.get_birth_date(number) == date.fromisoformat(claims["birthdate"])
    assert birthdate_agrees is (persona["login"] != "curp-mismatch")


def test_every_callback_carries_iss_as_discovery_announces(discovery, idp):
    """RFC 9207: the portal requires ``iss`` because the provider says it sends it."""
    assert discovery["authorization_response_iss_parameter_supported"] is True
    signed_in = callback_params(idp_sign_in(AuthorizationRequest().url(discovery), "lupita"))
    cancelled = callback_params(idp_cancel(AuthorizationRequest().url(discovery)))
    assert signed_in["iss"] == idp.issuer
    assert cancelled["iss"] == idp.issuer and cancelled["error"] == "access_denied"


def test_logout_with_client_id_and_no_id_token_hint(discovery):
    browser = requests.Session()
    request = AuthorizationRequest()
    idp_sign_in(request.url(discovery), "jose", session=browser)
    end_session = f"{discovery['end_session_endpoint']}?" + urlencode(
        {"client_id": CLIENT_ID, "post_logout_redirect_uri": POST_LOGOUT_REDIRECT_URI}
    )
    assert idp_sign_out(end_session, browser).startswith(POST_LOGOUT_REDIRECT_URI)
    again = browser.get(AuthorizationRequest().url(discovery), allow_redirects=False, timeout=10)
    assert "/interaction/" in again.headers["Location"]
