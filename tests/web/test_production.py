"""Production refuses unsafe settings, keeps its files private, and sends
strict headers and cookies."""

from __future__ import annotations

import os
import stat

import pytest

from portal import create_app
from portal.config import PRODUCTION_CHECKS, ConfigError, from_env, problems
from portal.web.security import content_security_policy

SAFE = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "PORTAL_BASE_URL": "https://ventanilla.example.org",
    "OIDC_ISSUER": "https://llave.example.org",
    "OIDC_CLIENT_SECRET": "a-real-secret-from-the-provider",
    "RATELIMIT_STORAGE_URL": "redis://127.0.0.1:9/0",
    "AUDIT_SIGNING_KEY": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
}


@pytest.fixture
def umask():
    """Production sets a 077 umask for the process: put the test's back."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


def production_app(tmp_path, **overrides):
    config = dict(
        SAFE,
        TESTING=True,
        INSTANCE_PATH=str(tmp_path / "instance"),
        STORAGE_PATH=str(tmp_path / "instance" / "documentos"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'instance' / 'portal.db'}",
        CREDENTIAL_PRIVATE_KEY="nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    )
    config.update(overrides)
    config.setdefault("OIDC_REDIRECT_URI", config["PORTAL_BASE_URL"] + "/auth/callback")
    return create_app(config)


def test_safe_settings_pass():
    assert problems(from_env(SAFE)) == []


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("SECRET_KEY", "dev-secret-change-me", "SECRET_KEY"),
        ("SECRET_KEY", "short", "SECRET_KEY"),
        ("PORTAL_BASE_URL", "http://ventanilla.example.org", "PORTAL_BASE_URL"),
        ("OIDC_ISSUER", "http://llave.example.org", "OIDC_ISSUER"),
        ("OIDC_CLIENT_SECRET", "ventanilla-dev-secret", "OIDC_CLIENT_SECRET"),
        ("RATELIMIT_STORAGE_URL", "memory://", "RATELIMIT_STORAGE_URL"),
        ("AUDIT_SIGNING_KEY", "", "AUDIT_SIGNING_KEY"),
    ],
)
def test_each_unsafe_setting_is_refused_by_name(name, value, named):
    env = dict(SAFE, **{name: value})
    with pytest.raises(ConfigError, match=named):
        create_app(from_env(env))


def test_every_problem_is_named_at_once():
    message = ""
    try:
        create_app(from_env({"PORTAL_ENV": "production"}))
    except ConfigError as error:
        message = str(error)
    for name in (
        "SECRET_KEY",
        "PORTAL_BASE_URL",
        "OIDC_ISSUER",
        "OIDC_CLIENT_SECRET",
        "RATELIMIT_STORAGE_URL",
        "AUDIT_SIGNING_KEY",
    ):
        assert name in message


def test_private_key_jwt_needs_no_client_secret():
    env = dict(SAFE, OIDC_TOKEN_AUTH_METHOD="private_key_jwt", OIDC_CLIENT_SECRET="")
    assert problems(from_env(env)) == []


def test_development_is_not_checked():
    assert problems(from_env({})) == []


def test_other_areas_add_their_checks():
    def rate_limits(config):
        return [] if config.get("RATELIMIT_STORAGE_URI") else ["RATELIMIT_STORAGE_URI falta."]

    PRODUCTION_CHECKS.append(rate_limits)
    try:
        assert problems(from_env(SAFE)) == ["RATELIMIT_STORAGE_URI falta."]
    finally:
        PRODUCTION_CHECKS.remove(rate_limits)


def test_data_files_are_created_private(tmp_path, umask):
    instance = tmp_path / "instance"
    instance.mkdir()
    old = instance / "portal.db"
    old.write_bytes(b"")
    old.chmod(0o644)
    app = production_app(tmp_path)
    from portal.web import database

    with app.app_context():
        database.upgrade()
    new = instance / "nueva-llave.pem"
    new.write_text("x")
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    assert stat.S_IMODE(instance.stat().st_mode) & 0o077 == 0


def test_language_cookie_is_secure_in_production(tmp_path, umask):
    response = production_app(tmp_path).test_client().get("/idioma/en?next=/")
    cookie = response.headers["Set-Cookie"]
    assert "vu_idioma=en" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_language_cookie_is_not_secure_in_development(client):
    assert "Secure" not in client.get("/idioma/en").headers["Set-Cookie"]


def test_csp_allows_no_data_images(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    img = next(part for part in csp.split(";") if part.strip().startswith("img-src"))
    assert "data:" not in img and "*" not in img


def test_no_template_or_script_relies_on_data_urls():
    from portal.config import ROOT

    for folder in ("templates", "static/js", "static/css"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                assert "data:image" not in path.read_text(encoding="utf-8", errors="ignore"), path


def test_production_form_action_never_names_an_http_provider():
    config = {"PORTAL_ENV": "production", "OIDC_ISSUER": "http://llave.example.org"}
    form_action = [p for p in content_security_policy(config).split("; ") if "form-action" in p]
    assert form_action == ["form-action 'self'"]
    config["OIDC_ISSUER"] = "https://llave.example.org"
    assert "form-action 'self' https://llave.example.org" in content_security_policy(config)


def test_hsts_and_host_cookie_in_production(tmp_path, umask):
    app = production_app(tmp_path)
    response = app.test_client().get("/")
    assert "max-age" in response.headers["Strict-Transport-Security"]
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
