"""No 5xx from hostile input, on any route, as anyone.

Two sweeps over every route of ``app.url_map`` (with generated values for its
path arguments) as every role (anonymous, a citizen, each staff role): one
with a fixed list of known-bad values (20-digit numbers, CR/LF, e-mails,
encoded slashes), and a Hypothesis property test with generated query strings
and form values. The only 5xx allowed is the 503 page that says the digital-ID
provider does not answer (the tests point it at a closed port).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.vocabulary import STAFF_ROLES
from portal.web.params import MAX_INT, bounded_int, optional_id
from tests.conftest import sign_in_as
from tests.factories import make_agency, make_citizen, make_program, make_staff

ROLES = ("anonimo", "ciudadano", *STAFF_ROLES)
METHODS = ("GET", "POST")
HUGE = "9" * 20
BAD_VALUES = [
    HUGE,
    "-" + HUGE,
    "0",
    "-1",
    "1e309",
    "a@b.co",
    "/\t/evil.example",
    "x\r\nSet-Cookie: a=b",
    "%0d%0a",
    "%2f%2fevil",
    "\\\\evil",
    "\x00",
    "ñ😀",
    "'; DROP TABLE citizen; --",
    "<script>alert(1)</script>",
    "a" * 5000,
]
# Names the portal reads from query strings and forms, so the sweep reaches
# past the first "missing field" check.
PARAM_NAMES = [
    "next",
    "pagina",
    "page",
    "q",
    "curp",
    "folio",
    "estado",
    "programa",
    "error",
    "state",
    "code",
    "iss",
    "reason",
    "t",
    "accion",
    "conservar",
    "version",
    "kiosk",
    "email",
    "password",
    "municipio",
    "desde",
    "hasta",
    "formato",
    "answer",
    "valor",
]


def _is_provider_down_page(response) -> bool:
    return response.status_code == 503 and "Llave Digital no responde" in response.get_data(
        as_text=True
    )


def _routes(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("assets"):
            continue
        for method in METHODS:
            if method in rule.methods:
                rules.append((rule, method))
    return sorted(rules, key=lambda pair: (pair[0].rule, pair[1]))


def _path(rule, values: dict[str, str]) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<{_spec(rule, name)}>", values.get(name, "1"))
    return path


def _spec(rule, name: str) -> str:
    for part in rule.rule.split("<")[1:]:
        inside = part.split(">", 1)[0]
        if inside.split(":")[-1] == name:
            return inside
    raise AssertionError(f"{name} not in {rule.rule}")


@pytest.fixture
def people(app):
    agency = make_agency()
    make_program(agency=agency)
    users = {"anonimo": None, "ciudadano": make_citizen()}
    for role in STAFF_ROLES:
        users[role] = make_staff(role, agency=None if role == "admin_estatal" else agency)
    return users


def _client(app, user):
    client = app.test_client()
    if user is not None:
        sign_in_as(client, user)
    return client


def _send(client, method: str, path: str, params: dict[str, str]):
    if method == "GET":
        return client.get(path + ("?" + urlencode(params) if params else ""))
    return client.post(path + "?" + urlencode(params), data=params)


def _assert_no_5xx(response, role, method, path, params) -> None:
    assert response.status_code < 500 or _is_provider_down_page(response), (
        f"{response.status_code} as {role}: {method} {path} {params!r}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_known_bad_values_on_every_route_give_no_5xx(app, people, role):
    user = people[role]
    for rule, method in _routes(app):
        for path_value, value in ((HUGE, "x\r\nSet-Cookie: a=b"), ("1", HUGE), ("1", "a@b.co")):
            path = _path(rule, dict.fromkeys(rule.arguments, path_value))
            params = dict.fromkeys(PARAM_NAMES, value)
            response = _send(_client(app, user), method, path, params)
            _assert_no_5xx(response, role, method, path, params)


_path_value = st.one_of(
    st.integers(min_value=-(10**22), max_value=10**22).map(str),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(BAD_VALUES[:6]),
)
_param_value = st.one_of(st.text(max_size=40), st.sampled_from(BAD_VALUES), st.integers().map(str))
_params = st.dictionaries(
    st.one_of(st.sampled_from(PARAM_NAMES), st.text(min_size=1, max_size=10)),
    _param_value,
    max_size=6,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.parametrize("role", ROLES)
@given(data=st.data())
def test_property_generated_input_on_any_route_gives_no_5xx(app, people, role, data):
    rule, method = data.draw(st.sampled_from(_routes(app)), label="route")
    values = {name: data.draw(_path_value, label=name) for name in rule.arguments}
    path = _path(rule, {name: _quote_path(value) for name, value in values.items()})
    params = data.draw(_params, label="params")
    response = _send(_client(app, people[role]), method, path, params)
    _assert_no_5xx(response, role, method, path, params)


def _quote_path(value: str) -> str:
    return quote(value, safe="")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("3", 3),
        (" 4 ", 4),
        ("0", 1),
        ("-5", 1),
        (HUGE, MAX_INT),
        ("٣", 1),  # an Arabic-Indic digit: isdigit() says yes, int() would take it
        ("1" * 25, 1),
    ],
)
def test_bounded_int(value, expected):
    assert bounded_int(value, 1) == expected


@pytest.mark.parametrize(("value", "expected"), [("7", 7), (HUGE, None), ("0", None), ("x", None)])
def test_optional_id(value, expected):
    assert optional_id(value) == expected


def test_twenty_digit_page_number_is_the_last_page_not_a_500(client, login):
    login(make_staff("admin_estatal", agency=None))
    assert client.get(f"/oficina/auditoria?pagina={HUGE}").status_code == 200


def test_twenty_digit_id_in_a_path_is_404(client, login):
    login(make_staff("admin_estatal", agency=None))
    assert client.post(f"/oficina/duplicados/{HUGE}", data={"accion": "x"}).status_code == 404
