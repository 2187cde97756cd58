"""Citizen sign-in against the real local provider (idp/server.mjs): the happy
path, the single record per CURP, and every way a sign-in must fail."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from portal.citizens import oidc
from portal.citizens.models import Identity
from portal.models import AuditEvent, Citizen, WebSession
from tests.citizens.test_idp import FAULTS
from tests.factories import make_citizen
from tests.support.html import html
from tests.support.idp import idp_cancel, idp_sign_in, idp_sign_out, load_personas, run_idp

PERSONAS = {p["login"]: p for p in load_personas()}


@pytest.fixture(scope="module")
def idp():
    with run_idp() as server:
        yield server


@pytest.fixture
def portal(app, idp):
    app.config["OIDC_ISSUER"] = idp.issuer
    oidc.init_app(app)
    return app


def authorize_url(client) -> str:
    response = client.post("/entrar")
    assert response.status_code == 302
    return response.headers["Location"]


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def iss(query: dict) -> str:
    """The callback's RFC 9207 ``iss``, encoded for a hand-made callback URL."""
    return quote(query["iss"][0], safe="")


def sign_in_as(client, login: str, **kwargs):
    location = idp_sign_in(authorize_url(client), login, **kwargs)
    return client.get(callback_path(location)), location


def signed_in(client) -> bool:
    # The app fixture keeps one app context for the whole test, so flask-login's
    # cached user in g would outlive the request that loaded it.
    return client.get("/mis-datos").status_code == 200


def no_sessions_for_citizens() -> bool:
    return not WebSession.select().where(WebSession.user_kind == "ciudadano").exists()


def test_authorization_request_uses_pkce_state_and_nonce(portal, client):
    query = parse_qs(urlsplit(authorize_url(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["client_id"] == ["ventanilla"]
    assert "openid" in query["scope"][0].split()


def test_citizen_signs_in_and_a_record_is_created_from_the_id(portal, client):
    response, _ = sign_in_as(client, "lupita")
    assert response.status_code == 303
    assert "/mis-datos/aviso" in response.headers["Location"]
    citizen = Citizen.get(Citizen.curp == PERSONAS["lupita"]["claims"]["curp"])
    assert citizen.given_names == "María Guadalupe"
    assert citizen.birth_date == dt.date(1991, 4, 12)
    assert citizen.email == "lupita.hernandez@correo.example"
    identity = Identity.get(Identity.citizen == citizen)
    assert (identity.issuer, identity.subject) == (
        portal.config["OIDC_ISSUER"],
        PERSONAS["lupita"]["sub"],
    )
    assert signed_in(client)
    event = (
        AuditEvent.select()
        .where(AuditEvent.action == "sign_in")
        .order_by(AuditEvent.id.desc())
        .get()
    )
    assert event.outcome == "ok" and event.details["record"] == "created"


def test_unverified_email_is_not_copied(portal, client):
    sign_in_as(client, "jose")
    assert Citizen.get(Citizen.curp == PERSONAS["jose"]["claims"]["curp"]).email == ""


def test_second_sign_in_finds_the_same_record(portal, app):
    first = app.test_client()
    sign_in_as(first, "diego")
    second = app.test_client()
    sign_in_as(second, "diego")
    assert Citizen.select().where(Citizen.curp == PERSONAS["diego"]["claims"]["curp"]).count() == 1
    assert Identity.select().count() == 1


def test_record_created_at_a_counter_is_linked_not_duplicated(portal, client):
    claims = PERSONAS["ana"]["claims"]
    existing = make_citizen(
        curp=claims["curp"], birth_date=dt.date(1997, 10, 9), sex="M", origin="assisted"
    )
    sign_in_as(client, "ana")
    assert Citizen.select().where(Citizen.curp == claims["curp"]).count() == 1
    assert Identity.get().citizen_id == existing.id
    event = AuditEvent.select().where(AuditEvent.action == "sign_in").get()
    assert event.details["record"] == "linked"


def test_session_id_changes_at_sign_in(portal, client):
    location = idp_sign_in(authorize_url(client), "karla")
    before = client.get_cookie("vu_sesion").value  # the attempt's state is kept in a session
    client.get(callback_path(location))
    assert client.get_cookie("vu_sesion").value != before


def test_opening_the_sign_in_page_creates_no_session_row(app, client):
    assert client.get("/entrar").status_code == 200
    assert client.get("/oficina/entrar").status_code == 200
    assert not WebSession.select().exists()
    assert client.get_cookie("vu_sesion") is None


def test_questionnaire_answers_are_merged_into_the_record(portal, client):
    claims = PERSONAS["jorge"]["claims"]
    make_citizen(
        curp=claims["curp"],
        birth_date=dt.date(1981, 6, 15),
        sex="H",
        profile={"household_size": 4, "employment": ""},
    )
    with client.session_transaction() as session:
        session["answers"] = {"household_size": 2, "employment": "desempleo", "disability": None}
    sign_in_as(client, "jorge")
    citizen = Citizen.get(Citizen.curp == claims["curp"])
    assert citizen.profile == {"household_size": 4, "employment": "desempleo", "disability": None}
    with client.session_transaction() as session:
        assert "answers" not in session


def test_curp_that_disagrees_with_birth_date_is_shown_and_recorded(portal, client):
    response, _ = sign_in_as(client, "curp-mismatch")
    assert response.status_code == 422
    page = html(response)
    assert "no coincide" in page.find(role="alert").get_text()
    assert not signed_in(client)
    assert not Citizen.select().exists()
    event = AuditEvent.select().where(AuditEvent.action == "sign_in").get()
    assert event.outcome == "rechazado" and event.details["cause"] == "curp_mismatch"
    assert "AUVF" not in str(event.details)


def test_invalid_curp_is_refused(portal, client):
    response, _ = sign_in_as(client, "curp-invalid")
    assert response.status_code == 400
    assert "CURP" in html(response).find(role="alert").get_text()
    assert not Citizen.select().exists()


@pytest.mark.parametrize("login", sorted(FAULTS))
def test_bad_id_token_is_rejected_with_no_session(portal, client, login, caplog):
    response, location = sign_in_as(client, login)
    assert response.status_code == 400
    page = html(response)
    assert "No pudimos comprobar su identidad" in page.find(role="alert").get_text()
    assert page.find("a", string="Intentar de nuevo")["href"] == "/entrar"
    assert not signed_in(client)
    assert no_sessions_for_citizens()
    assert not Citizen.select().exists()
    code = parse_qs(urlsplit(location).query)["code"][0]
    for record in caplog.records:
        assert code not in record.getMessage()
        assert PERSONAS[login]["claims"]["curp"] not in record.getMessage()
    event = AuditEvent.select().where(AuditEvent.action == "sign_in").get()
    assert event.outcome == "fallido" and event.details["cause"].startswith("id_token:")


def test_missing_state_is_rejected(portal, client):
    location = idp_sign_in(authorize_url(client), "lupita")
    query = parse_qs(urlsplit(location).query)
    response = client.get(f"/auth/callback?code={query['code'][0]}&iss={iss(query)}")
    assert response.status_code == 400
    assert "caducó" in html(response).find(role="alert").get_text()
    assert not signed_in(client)


def test_wrong_state_is_rejected(portal, client):
    location = idp_sign_in(authorize_url(client), "lupita")
    query = parse_qs(urlsplit(location).query)
    response = client.get(f"/auth/callback?code={query['code'][0]}&state=not-ours&iss={iss(query)}")
    assert response.status_code == 400
    assert not signed_in(client)
    assert no_sessions_for_citizens()


def test_callback_from_another_browser_is_rejected(portal, app):
    """Login CSRF: a code and state minted for one browser do not work in another."""
    victim, attacker = app.test_client(), app.test_client()
    location = idp_sign_in(authorize_url(attacker), "lupita")
    response = victim.get(callback_path(location))
    assert response.status_code == 400
    assert not signed_in(victim)


def test_replayed_code_is_rejected(portal, app, client):
    location = idp_sign_in(authorize_url(client), "lupita")
    assert client.get(callback_path(location)).status_code == 303
    # Replay the same code with the same state in a fresh browser that holds
    # that state too: the provider refuses the code the second time.
    other = app.test_client()
    url = authorize_url(other)
    state = parse_qs(urlsplit(url).query)["state"][0]
    code = parse_qs(urlsplit(location).query)["code"][0]
    query = parse_qs(urlsplit(location).query)
    response = other.get(f"/auth/callback?code={code}&state={state}&iss={iss(query)}")
    assert response.status_code == 400
    assert not signed_in(other)
    event = AuditEvent.select().where(AuditEvent.outcome == "fallido").get()
    assert event.details["cause"].startswith("token_endpoint:")


def test_cancel_at_the_provider_explains_and_offers_retry(portal, client):
    location = idp_cancel(authorize_url(client))
    response = client.get(callback_path(location))
    assert response.status_code == 400
    assert "Canceló" in html(response).find(role="alert").get_text()
    assert not signed_in(client)


def test_declining_consent_is_a_cancel(portal, client):
    response, _ = sign_in_as(client, "lupita", consent=False)
    assert "Canceló" in html(response).find(role="alert").get_text()


def test_provider_down_shows_a_clear_page(app, client):
    # The app fixture points at 127.0.0.1:9, where nothing listens.
    response = client.post("/entrar")
    assert response.status_code == 503
    assert "no responde" in html(response).find(role="alert").get_text()
    assert html(response).find("a", string="Intentar de nuevo")


def test_start_page_explains_the_digital_id(app, client):
    page = html(client.get("/entrar?next=/mis-datos"))
    assert page.h1.get_text() == "Entrar con su Llave Digital"
    assert page.find("input", attrs={"name": "next"})["value"] == "/mis-datos"


def test_start_page_refuses_foreign_next(app, client):
    page = html(client.get("/entrar?next=//evil.example/"))
    assert page.find("input", attrs={"name": "next"})["value"] == ""


def test_sign_out_ends_the_session_and_calls_end_session_without_claims(portal, client):
    provider = requests.Session()
    location = idp_sign_in(authorize_url(client), "lupita", session=provider)
    client.get(callback_path(location))
    old_cookie = client.get_cookie("vu_sesion").value
    response = client.post("/salir")
    assert response.status_code == 303
    end_session = urlsplit(response.headers["Location"])
    assert end_session.path == "/session/end"
    query = parse_qs(end_session.query)
    assert set(query) == {"client_id", "post_logout_redirect_uri", "state"}
    assert query["client_id"] == ["ventanilla"]
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:5000/"]
    assert not signed_in(client)
    client.set_cookie("vu_sesion", old_cookie)
    assert not signed_in(client), "a replayed session cookie must not sign anyone in"
    # The provider accepts it and ends its own session: the next sign-in shows the forms.
    back = idp_sign_out(response.headers["Location"], provider)
    assert back.startswith("http://127.0.0.1:5000/")
    again = provider.get(authorize_url(client), allow_redirects=False, timeout=5)
    assert "/interaction/" in again.headers["Location"]


def test_no_raw_id_token_is_kept_in_the_session(portal, client):
    sign_in_as(client, "lupita")
    stored = WebSession.get(WebSession.user_kind == "ciudadano")
    assert "id_token" not in stored.data
    assert not any(str(value).startswith("eyJ") for value in stored.data.values())


def test_callback_naming_another_issuer_is_refused(portal, client):
    location = idp_sign_in(authorize_url(client), "lupita")
    assert f"iss={portal.config['OIDC_ISSUER']}".replace(":", "%3A").replace("/", "%2F") in location
    mixed_up = location.replace("iss=", "iss=https%3A%2F%2Fother.example&x=")
    response = client.get(callback_path(mixed_up))
    assert response.status_code == 400
    assert not signed_in(client)
    event = AuditEvent.select().where(AuditEvent.action == "sign_in").get()
    assert event.details["cause"] == "iss_mismatch"


def test_callback_without_iss_is_refused_when_the_provider_sends_it(portal, client):
    location = idp_sign_in(authorize_url(client), "lupita")
    query = parse_qs(urlsplit(location).query)
    response = client.get(f"/auth/callback?code={query['code'][0]}&state={query['state'][0]}")
    assert response.status_code == 400
    assert not signed_in(client)
    event = AuditEvent.select().where(AuditEvent.action == "sign_in").get()
    assert event.details["cause"] == "iss_missing"


@pytest.mark.parametrize(
    "error", ["a@b.co", "x\r\nINFO forged line", "%0d%0a", "ÿ" * 300, "invalid_request"]
)
def test_hostile_error_parameter_fails_cleanly_and_is_audited(app, client, error):
    app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"
    response = client.get(f"/auth/callback?error={quote(error)}&iss=http%3A%2F%2F127.0.0.1%3A9")
    assert response.status_code == 400
    event = AuditEvent.select().where(AuditEvent.action == "sign_in").get()
    assert event.outcome == "fallido"
    expected = "invalid_request" if error == "invalid_request" else "unrecognised"
    assert event.details["cause"] == f"provider_error:{expected}"


def test_sign_out_reason_with_an_email_is_recorded_as_manual(app, client, login):
    citizen = make_citizen()
    login(citizen)
    response = client.post("/salir", data={"reason": "lupita@correo.example"})
    assert response.status_code == 303
    event = AuditEvent.select().where(AuditEvent.action == "sign_out").get()
    assert event.details["reason"] == "manual"
    assert not signed_in(client)


def test_sign_out_requires_csrf(portal, app, client):
    sign_in_as(client, "lupita")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/salir").status_code == 400
    assert signed_in(client)


def test_sign_in_with_private_key_jwt(app, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from joserfc.jwk import RSAKey

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "rp.pem").write_bytes(pem)
    public = RSAKey.import_key(pem).as_dict(private=False)
    clients = [
        {
            "client_id": "ventanilla",
            "redirect_uris": ["http://127.0.0.1:5000/auth/callback"],
            "post_logout_redirect_uris": ["http://127.0.0.1:5000/"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [public]},
        }
    ]
    with run_idp(clients=clients) as server:
        app.config.update(
            OIDC_ISSUER=server.issuer,
            OIDC_TOKEN_AUTH_METHOD="private_key_jwt",
            OIDC_PRIVATE_KEY_FILE=str(tmp_path / "rp.pem"),
        )
        oidc.init_app(app)
        client = app.test_client()
        response, _ = sign_in_as(client, "lupita")
        assert response.status_code == 303, html(response).get_text()
        assert signed_in(client)


def test_discovery_is_reachable(idp):
    assert requests.get(f"{idp.issuer}/.well-known/openid-configuration", timeout=5).ok
