"""Rate limits by endpoint (portal/web/limits.py): the table, the Spanish 429
page with Retry-After, budgets per client and per person, production's
refusal of per-process storage, and one budget shared through a real Redis by
two app instances (as by every gunicorn worker)."""

from __future__ import annotations

import os

import pytest
from flask_login import login_user

from portal import create_app
from portal.config import ConfigError
from portal.web import limits
from tests.conftest import BASE_CONFIG
from tests.factories import make_citizen
from tests.support import redis_server
from tests.support.html import html

SIGN_IN_PER_MINUTE = 10  # the first of oficina_auth.login's limits


def empty_sign_in(client, address="192.0.2.1"):
    """A staff sign-in post that costs no scrypt (the form is empty): only the limit counts."""
    return client.post("/oficina/entrar", data={}, environ_base={"REMOTE_ADDR": address})


def refused_soon(client, address="192.0.2.1") -> bool:
    """A 429 within one more budget's worth of posts.

    The sliding window weighs the previous minute's posts by how much of it is
    left: a budget spent across a minute's boundary on a slow machine takes a
    few posts more to refuse. What matters is that it is refused.
    """
    return any(empty_sign_in(client, address).status_code == 429 for _ in range(SIGN_IN_PER_MINUTE))


def exhaust_sign_in(client, address="192.0.2.1"):
    for _ in range(SIGN_IN_PER_MINUTE):
        assert empty_sign_in(client, address).status_code == 422


def test_every_endpoint_in_the_table_exists_and_is_limited(app):
    limiter = app.extensions["portal_limiter"]
    for rule in limits.LIMITS:
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "__wrapper-limiter-instance", None) == limiter, rule.endpoint


def test_a_flood_of_staff_sign_ins_gets_a_spanish_page_saying_when_to_try_again(client):
    exhaust_sign_in(client)
    response = empty_sign_in(client)
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 60
    page = html(response)
    assert page.h1.get_text() == "Demasiados intentos"
    assert "Vuelva a intentarlo en" in page.get_text()
    # Another client is not affected.
    assert empty_sign_in(client, "192.0.2.2").status_code == 422


def test_the_page_names_the_wait_in_words():
    assert limits.wait_text(1) == "1 segundo"
    assert limits.wait_text(45) == "45 segundos"
    assert limits.wait_text(61) == "2 minutos"
    assert limits.wait_text(3599) == "60 minutos"
    assert limits.wait_text(3600) == "1 hora"
    assert limits.wait_text(3601) == "2 horas"


def test_starting_the_citizen_sign_in_is_limited(client):
    for _ in range(30):
        assert client.get("/entrar").status_code != 429
    assert client.get("/entrar").status_code == 429


def test_questionnaire_answers_are_limited(client):
    for _ in range(60):
        assert client.post("/cuestionario/pregunta/sex", data={}).status_code != 429
    assert client.post("/cuestionario/pregunta/sex", data={}).status_code == 429
    # Reading the questions is not.
    assert client.get("/cuestionario").status_code == 200


def test_uploads_are_counted_per_person_not_per_address(app):
    """Two people behind one office address do not share a budget."""
    first, second = make_citizen(), make_citizen()
    keys = []
    for person in (first, second):
        with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.1"}):
            login_user(person)
            keys.append(limits.KEYS[limits.PERSON]())
    assert keys == [first.get_id(), second.get_id()]
    assert {r.by for r in limits.LIMITS if r.endpoint == "applications.upload"} == {limits.PERSON}


@pytest.mark.parametrize("url", ["", "memory://"])
def test_production_refuses_a_storage_each_worker_would_keep_alone(url):
    config = {"PORTAL_ENV": "production", "RATELIMIT_STORAGE_URL": url}
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URL"):
        limits.storage_url(config)


def test_production_accepts_redis_and_development_defaults_to_memory():
    assert limits.storage_url(
        {"PORTAL_ENV": "production", "RATELIMIT_STORAGE_URL": "redis://r:6379/0"}
    )
    assert limits.storage_url({"PORTAL_ENV": "development"}) == "memory://"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real redis-server on a free loopback port, for this module only."""
    try:
        server, url = redis_server.start(tmp_path_factory.mktemp("redis"))
    except redis_server.RedisMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(str(missing))
        pytest.skip(str(missing))
    yield url
    server.terminate()
    server.wait(timeout=10)


def instance(app, storage, folder):
    """Another portal process on the same database, counting in ``storage``."""
    other = create_app(
        dict(
            BASE_CONFIG,
            DATABASE_URL=app.config["DATABASE_URL"],
            INSTANCE_PATH=str(folder),
            RATELIMIT_STORAGE_URL=storage,
        )
    )
    return other.test_client()


def test_two_instances_share_one_budget_through_redis(app, redis_url, tmp_path):
    first = instance(app, redis_url, tmp_path / "a")
    second = instance(app, redis_url, tmp_path / "b")
    address = "198.51.100.20"
    for n in range(SIGN_IN_PER_MINUTE):
        assert empty_sign_in(first if n % 2 else second, address).status_code == 422
    assert empty_sign_in(first, address).status_code == 429
    assert empty_sign_in(second, address).status_code == 429
    assert empty_sign_in(second, "198.51.100.21").status_code == 422


def test_with_memory_storage_each_instance_counts_alone(app, tmp_path):
    """The reason production refuses memory://: each worker would allow the full budget."""
    first = instance(app, "memory://", tmp_path / "a")
    second = instance(app, "memory://", tmp_path / "b")
    exhaust_sign_in(first)
    assert refused_soon(first)
    assert empty_sign_in(second).status_code == 422


def test_an_unreachable_redis_neither_fails_requests_nor_lifts_the_limits(app, tmp_path):
    dead = instance(app, f"redis://127.0.0.1:{redis_server.free_port()}/0", tmp_path / "a")
    exhaust_sign_in(dead)  # 422 each: no 500 while Redis does not answer
    assert empty_sign_in(dead).status_code == 429
