"""CSRF on every state-changing route: a post without the token changes nothing."""

from __future__ import annotations

import pytest

from portal import create_app
from tests.conftest import BASE_CONFIG


def _post_routes():
    app = create_app(dict(BASE_CONFIG, DATABASE_URL="sqlite:///:memory:"))
    for rule in app.url_map.iter_rules():
        if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            args = {name: "1" for name in rule.arguments}
            yield rule.endpoint, rule.build(args, append_unknown=False)[1]


@pytest.mark.parametrize("endpoint,path", sorted(set(_post_routes())))
def test_every_post_without_a_csrf_token_is_refused(app, client, endpoint, path):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(path, data={"x": "1"})
    assert response.status_code == 400, endpoint
    assert "caducó" in response.get_data(as_text=True)
