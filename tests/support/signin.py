"""Sign-in endpoints for back-office tests when the sign-in area is not registered.

The page shell links to ``auth.sign_out`` / ``oficina_auth.logout`` and staff
views redirect to ``oficina_auth.login``; those belong to the sign-in area. Where
that area is registered this does nothing; where it is not (a branch built
before it), it adds endpoints of the same names that answer 404, so back-office
tests exercise their own views and never a sign-in flow. Tests sign people in
with the ``login`` fixture either way.
"""

from __future__ import annotations

from flask import Blueprint, abort

ENDPOINTS = {
    "auth": [("start", "/entrar"), ("sign_out", "/salir")],
    "oficina_auth": [("login", "/oficina/entrar"), ("logout", "/oficina/salir")],
}


def _absent():
    abort(404)


def add_sign_in_endpoints(app) -> None:
    for name, rules in ENDPOINTS.items():
        if name in app.blueprints:
            continue
        bp = Blueprint(name, __name__)
        for endpoint, rule in rules:
            bp.add_url_rule(rule, endpoint, _absent, methods=["GET", "POST"])
        app.register_blueprint(bp)
