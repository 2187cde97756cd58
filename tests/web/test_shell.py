"""The page shell: language, accessibility landmarks, headers, errors."""

from __future__ import annotations

import io

import pytest

from portal import create_app
from portal.config import ConfigError, from_env
from tests.support.html import html


def test_home_is_spanish_with_skip_link_and_landmarks(client):
    page = html(client.get("/"))
    assert page.html["lang"] == "es-MX"
    skip = page.select_one("a.skip-link")
    assert skip["href"] == "#contenido" and page.select_one("main#contenido")
    assert (
        page.select_one("header")
        and page.select_one("footer")
        and page.select_one("nav[aria-label]")
    )
    assert page.h1.get_text(strip=True) == "Apoyos del gobierno del estado, en un solo lugar"


def test_htmx_is_configured_safely(client):
    page = html(client.get("/"))
    config = page.select_one('meta[name="htmx-config"]')["content"]
    assert '"allowEval":false' in config
    assert '"includeIndicatorStyles":false' in config
    assert '"historyCacheSize":0' in config
    script = page.select_one("script[src]")["src"]
    assert script.startswith("/static/vendor/htmx.min.") and script.endswith(".js")


def test_security_headers_on_every_response(client):
    for path in ["/", "/healthz", "/no-existe"]:
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert (
            "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        )
        for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]:
            assert directive in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "HX-Request" in headers["Vary"]


@pytest.mark.parametrize("secret", [None, "dev-secret-change-me", "short"])
def test_production_refuses_missing_or_default_secret(secret):
    env = {"PORTAL_ENV": "production", "PORTAL_BASE_URL": "https://v.example.org"}
    if secret:
        env["SECRET_KEY"] = secret
    with pytest.raises(ConfigError):
        create_app(from_env(env))


def test_anonymous_public_page_sets_no_cookie_and_is_cacheable(client):
    response = client.get("/")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"].startswith("public")


def test_pages_are_compressed(client):
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"


def test_static_files_have_hashed_names_and_long_cache(client):
    page = html(client.get("/"))
    href = page.select_one('link[rel="stylesheet"]')["href"]
    response = client.get(href)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert client.get("/static/css/portal.css").status_code == 404


def test_language_switch_keeps_spanish_default_and_refuses_open_redirects(client):
    response = client.get("/idioma/en?next=//evil.example.org")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    page = html(client.get("/"))
    assert page.html["lang"] == "en"
    assert page.h1.get_text(strip=True) == "State government support, all in one place"
    assert client.get("/idioma/fr").status_code == 404


@pytest.mark.parametrize(
    "method,path,status,title",
    [
        ("get", "/no-existe", 404, "No encontramos esta página"),
        ("post", "/", 405, "Esta acción no se puede hacer así"),
        ("delete", "/healthz", 405, "Esta acción no se puede hacer así"),
    ],
)
def test_error_pages_are_spanish(client, method, path, status, title):
    response = getattr(client, method)(path)
    assert response.status_code == status
    page = html(response)
    assert page.h1.get_text(strip=True) == title
    assert "Traceback" not in response.get_data(as_text=True)


def test_oversized_body_gets_413_page(client, app):
    too_big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post(
        "/", data={"f": (io.BytesIO(too_big), "a.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 413
    assert html(response).h1.get_text(strip=True) == "El archivo es demasiado grande"


def test_unexpected_error_is_a_spanish_500_without_trace(app, client):
    app.config["TEST_ERROR_PAGES"] = True

    @app.get("/_falla")
    def boom():
        raise RuntimeError("secreto interno")

    response = client.get("/_falla")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secreto interno" not in body and "Traceback" not in body
    assert html(response).h1.get_text(strip=True) == "Algo falló de nuestro lado"


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["database"] == "ok"
