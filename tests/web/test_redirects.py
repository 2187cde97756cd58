"""One safe-redirect check for every ``next``: only paths on this site pass."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.web.redirects import safe_next
from tests.factories import make_citizen, make_staff

HOSTILE = [
    "/\t/evil.example",
    "/\t/evil.example/",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/mis-datos\r\nSet-Cookie: x=1",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2fevil.example",
    "/%2Fevil.example",
    "/%5cevil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "//evil.example",
    "///evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    " /mis-datos",
    "/mis datos",
    "/ñ",
    "",
    "/" + "a" * 3000,
]
SAFE = [
    "/",
    "/mis-datos",
    "/mis-datos?x=1",
    "/oficina/cola?estado=enviada&pagina=2",
    "/catalogo/a-b_c.d~e",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_targets_give_the_fallback(value):
    assert safe_next(value, "/inicio") == "/inicio"


@pytest.mark.parametrize("value", SAFE)
def test_paths_on_this_site_pass(value):
    assert safe_next(value) == value


@pytest.mark.parametrize("value", [None, 3, b"/x", ["/x"]])
def test_non_strings_give_the_fallback(value):
    assert safe_next(value, "/f") == "/f"


def _lands_on_this_site(target: str) -> bool:
    """What a browser does with a Location: drop tabs and newlines, read "\\" as "/"."""
    cleaned = target.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    parts = urlsplit(cleaned)
    return not parts.scheme and not parts.netloc and cleaned.startswith("/")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_property_whatever_passes_stays_on_this_site(value):
    result = safe_next(value, "/")
    assert result in {value, "/"}
    assert _lands_on_this_site(result)
    assert not any(ord(char) < 32 for char in result)
    assert "\\" not in result and "%2f" not in result.lower().split("?")[0]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="/\\\t\n\r%2fFcC5:.evil@", max_size=20))
def test_property_slashes_and_escapes_never_escape(value):
    assert _lands_on_this_site(safe_next(value, "/"))


def _hostile_params():
    return [pytest.param(value, id=repr(value)[:30]) for value in HOSTILE if value]


@pytest.mark.parametrize("value", _hostile_params())
def test_language_switch_refuses_hostile_next(client, value):
    response = client.get(f"/idioma/en?next={quote(value, safe='')}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("value", _hostile_params())
def test_citizen_sign_in_page_refuses_hostile_next(client, value):
    response = client.get(f"/entrar?next={quote(value, safe='')}")
    assert response.status_code == 200
    assert 'name="next" value=""' in response.get_data(as_text=True)


@pytest.mark.parametrize("value", _hostile_params())
def test_citizen_sign_in_start_keeps_no_hostile_next(app, client, value):
    client.post("/entrar", data={"next": value})  # the provider is down: 503, no crash
    with client.session_transaction() as session:
        assert session.get("after_sign_in", "") == ""


@pytest.mark.parametrize("value", _hostile_params())
def test_privacy_notice_refuses_hostile_next(client, login, value):
    login(make_citizen())
    response = client.post(
        f"/mis-datos/aviso?next={quote(value, safe='')}", data={"accept": "y", "next": value}
    )
    assert response.status_code in (303, 422)
    if response.status_code == 303:
        assert response.headers["Location"] == "/mis-datos/editar"


@pytest.mark.parametrize("value", _hostile_params())
def test_staff_sign_in_refuses_hostile_next(client, value):
    staff = make_staff()
    response = client.post(
        f"/oficina/entrar?next={quote(value, safe='')}",
        data={"email": staff.email, "password": "contraseña-de-prueba-segura"},
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/oficina") and _lands_on_this_site(location)


def test_staff_sign_in_follows_a_local_next(client):
    staff = make_staff()
    response = client.post(
        "/oficina/entrar?next=/oficina/kiosco",
        data={"email": staff.email, "password": "contraseña-de-prueba-segura"},
    )
    assert response.headers["Location"] == "/oficina/kiosco"
