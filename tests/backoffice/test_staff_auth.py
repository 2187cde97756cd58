"""Staff sign-in and where it lands, the staff menu, growing waits after wrong
passwords (by account and client, never a lock a stranger can trigger), one
scrypt on every path, the staff commands and the kiosk device setting."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.security import check_password_hash

from portal import create_app
from portal.backoffice import staff
from portal.backoffice.audit import SYSTEM
from portal.models import Application, AuditEvent, SignInThrottle, StaffUser, WebSession
from portal.web.extensions import db
from portal.web.kiosk import DEVICE_COOKIE
from tests.conftest import BASE_CONFIG
from tests.factories import make_agency, make_application, make_program, make_staff
from tests.support.html import html

pytestmark = pytest.mark.usefixtures("app")

PASSWORD = "contraseña-de-prueba-segura"


def post_login(client, email, password=PASSWORD, forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(
        "/oficina/entrar", data={"email": email, "password": password}, headers=headers
    )


def test_login_page_renders(client):
    page = html(client.get("/oficina/entrar"))
    assert page.h1.get_text() == "Entrada del personal"
    assert page.find("input", attrs={"name": "password"})["autocomplete"] == "current-password"


def test_staff_signs_in_and_out(client):
    user = make_staff()
    response = post_login(client, user.email)
    assert response.status_code == 303
    assert WebSession.get().user_kind == "personal"
    assert AuditEvent.get(AuditEvent.action == "staff.sign_in").actor_id == user.id
    assert client.post("/oficina/salir").status_code == 303
    assert not WebSession.select().where(WebSession.user_kind == "personal").exists()


@pytest.mark.parametrize(
    "email,password", [("nadie@dependencia.example.org", PASSWORD), (None, "incorrecta")]
)
def test_bad_credentials_give_one_message(client, email, password):
    user = make_staff()
    response = post_login(client, email or user.email, password)
    assert response.status_code == 401
    assert "no son correctos" in html(response).find(class_="error-summary").get_text()
    assert not WebSession.select().where(WebSession.user_kind == "personal").exists()


def test_empty_form_is_rejected(client):
    response = client.post("/oficina/entrar", data={})
    assert response.status_code == 422
    assert "Escriba su correo" in html(response).get_text()


NOW = dt.datetime(2026, 3, 2, 9, 0, 0)
OFFICE = "203.0.113.10"
STRANGER = "198.51.100.66"


def attempt(email, password=PASSWORD, client=STRANGER, after=0.0):
    """``staff.authenticate`` from ``client``, ``after`` seconds past NOW."""
    return staff.authenticate(email, password, client, now=NOW + dt.timedelta(seconds=after))


def test_wrong_passwords_make_the_next_attempt_wait_twice_as_long_each_time():
    user = make_staff()
    assert attempt(user.email, "incorrecta").wait_seconds == 0
    assert attempt(user.email, "incorrecta").wait_seconds == 0
    assert attempt(user.email, "incorrecta").wait_seconds == 2  # the third: wait 2 s
    # During the wait even the right password is refused, and nothing more is counted.
    assert attempt(user.email, after=1) == staff.SignIn(None, 1, counted=False)
    assert attempt(user.email, "incorrecta", after=2).wait_seconds == 4
    assert attempt(user.email, "incorrecta", after=6).wait_seconds == 8
    assert attempt(user.email, after=14).user == user
    # A success starts the count again.
    assert attempt(user.email, "incorrecta", after=15).wait_seconds == 0


def test_the_wait_never_grows_past_fifteen_minutes():
    user = make_staff()
    elapsed = 0.0
    waits = []
    for _ in range(16):
        wait = attempt(user.email, "incorrecta", after=elapsed).wait_seconds
        waits.append(wait)
        elapsed += wait
    assert waits[:4] == [0, 0, 2, 4] and max(waits) == 15 * 60


def test_a_count_left_alone_for_an_hour_starts_again():
    user = make_staff()
    for _ in range(3):
        attempt(user.email, "incorrecta")
    later = staff.FORGET_AFTER.total_seconds() + 1
    assert attempt(user.email, "incorrecta", after=later).wait_seconds == 0


def test_the_page_says_how_long_to_wait_and_refuses_the_right_password_meanwhile(client):
    user = make_staff()
    assert post_login(client, user.email, "incorrecta").status_code == 401
    assert post_login(client, user.email, "incorrecta").status_code == 401
    response = post_login(client, user.email, "incorrecta")
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert "espere 2 segundos" in html(response).find(class_="error-summary").get_text()
    response = post_login(client, user.email)  # the right password, too soon
    assert response.status_code == 429
    assert "espere" in html(response).find(class_="error-summary").get_text()
    assert not WebSession.select().where(WebSession.user_kind == "personal").exists()
    # Three counted failures audited; the attempt refused during the wait wrote nothing.
    failed = AuditEvent.select().where(AuditEvent.outcome == "fallido")
    assert [e.details for e in failed] == [{"cause": "credentials"}] * 3


def test_thirty_attempts_from_one_stranger_keep_no_reviewer_out():
    """The attack that locked all six reviewers for 15 minutes now locks nobody out."""
    reviewers = [make_staff() for _ in range(6)]
    for _ in range(5):
        for reviewer in reviewers:
            assert attempt(reviewer.email, "incorrecta").user is None
    for reviewer in reviewers:
        assert attempt(reviewer.email, client=OFFICE).user == reviewer


def test_many_strangers_slow_unknown_clients_down_a_little_but_never_a_known_one():
    reviewer = make_staff()
    assert attempt(reviewer.email, client=OFFICE).user == reviewer  # the office is known
    for n in range(staff.ACCOUNT.free + 5):
        attempt(reviewer.email, "incorrecta", client=f"198.51.100.{n}")
    waiting = attempt(reviewer.email, client="192.0.2.200")
    assert waiting.user is None and 0 < waiting.wait_seconds <= staff.ACCOUNT.cap_seconds
    assert attempt(reviewer.email, client=OFFICE).user == reviewer


def test_strangers_can_never_keep_the_state_admin_out():
    admin = make_staff("admin_estatal")
    for n in range(staff.ACCOUNT.free + 5):
        attempt(admin.email, "incorrecta", client=f"198.51.100.{n}")
    assert attempt(admin.email, client="192.0.2.200").user == admin  # a new address too


def test_one_client_trying_many_accounts_is_made_to_wait():
    for n in range(staff.CLIENT.free - 1):
        assert attempt(f"nadie{n}@dependencia.example.org", "x").wait_seconds == 0
    assert attempt("otra@dependencia.example.org", "x").wait_seconds == 2
    user = make_staff()
    assert attempt(user.email, after=1).wait_seconds == 1  # the client waits, whatever it types
    assert attempt(user.email, client=OFFICE, after=1).user == user


def test_unknown_e_mails_wait_exactly_like_real_ones():
    user = make_staff()
    waits = {}
    for email in (user.email, "nadie@dependencia.example.org"):
        elapsed, seen = 0.0, []
        for _ in range(6):
            wait = attempt(email, "incorrecta", client=email, after=elapsed).wait_seconds
            seen.append(wait)
            elapsed += wait
        waits[email] = seen
    assert waits[user.email] == waits["nadie@dependencia.example.org"] == [0, 0, 2, 4, 8, 16]


def test_the_throttle_table_names_no_e_mail_and_no_address():
    user = make_staff()
    attempt(user.email, "incorrecta")
    stored = " ".join(f"{row.key} {row.account}" for row in SignInThrottle.select())
    assert user.email not in stored and STRANGER not in stored
    assert SignInThrottle.select().count() == 3  # account and client, client, account


@pytest.fixture
def verifications(monkeypatch):
    """Every scrypt verification made, each checked to run outside any transaction."""
    calls = []

    def verify(stored, password):
        assert not db.in_transaction(), "scrypt must never run inside a transaction"
        calls.append(stored)
        return check_password_hash(stored, password)

    monkeypatch.setattr(staff, "check_password_hash", verify)
    return calls


@pytest.mark.parametrize(
    "case", ["unknown e-mail", "wrong password", "deactivated", "made to wait", "success"]
)
def test_every_path_runs_exactly_one_verification_outside_any_transaction(case, verifications):
    user = make_staff(active=case != "deactivated")
    email, password = user.email, PASSWORD
    if case == "unknown e-mail":
        email = "nadie@dependencia.example.org"
    if case == "wrong password":
        password = "incorrecta"
    if case == "made to wait":
        for _ in range(3):
            attempt(email, "incorrecta")
        verifications.clear()
    result = attempt(email, password, after=1)
    # The account's own hash only when there is a usable account to check it against.
    usable = case in ("wrong password", "success")
    assert verifications == [user.password_hash if usable else staff._DUMMY_HASH]
    assert (result.user == user) is (case == "success")


def test_new_accounts_are_hashed_outside_the_write(monkeypatch):
    hashed_in = []
    real = staff.hash_password
    monkeypatch.setattr(
        staff, "hash_password", lambda p: hashed_in.append(db.in_transaction()) or real(p)
    )
    staff.create("n@d.example.org", "N", "admin_estatal", "una-contraseña-larga", None, SYSTEM)
    assert hashed_in == [False]


def test_behind_a_trusted_proxy_the_client_is_the_forwarded_address(app):
    user = make_staff()
    trusting = create_app(
        dict(BASE_CONFIG, DATABASE_URL=app.config["DATABASE_URL"], TRUSTED_PROXIES=1)
    ).test_client()
    plain = app.test_client()
    for who in (trusting, plain):
        for _ in range(3):
            post_login(who, user.email, "incorrecta", forwarded_for="198.51.100.7")
    # Trusted: the three failures were the stranger's, so another address signs in.
    assert post_login(trusting, user.email, forwarded_for="192.0.2.8").status_code == 303
    # Not trusted: the header is ignored and every request is the proxy's own address,
    # which is now made to wait.
    assert post_login(plain, user.email, forwarded_for="192.0.2.8").status_code == 429


def test_deactivated_staff_cannot_sign_in(client):
    user = make_staff(active=False)
    assert post_login(client, user.email).status_code == 401


def test_login_requires_csrf(app, client):
    user = make_staff()
    app.config["WTF_CSRF_ENABLED"] = True
    response = post_login(client, user.email)
    assert response.status_code == 400


def test_next_is_local_only(client):
    user = make_staff()
    response = client.post(
        "/oficina/entrar?next=//evil.example/", data={"email": user.email, "password": PASSWORD}
    )
    assert "evil" not in response.headers["Location"]


@pytest.mark.parametrize(
    "role,landing",
    [
        ("revisor", "/oficina"),
        ("admin_dependencia", "/oficina"),
        ("admin_estatal", "/oficina"),
        ("entrega", "/entrega"),
    ],
)
def test_each_role_lands_on_the_first_area_it_may_use(client, role, landing):
    user = make_staff(role)
    response = post_login(client, user.email)
    assert response.status_code == 303 and response.location == landing
    assert client.get(landing).status_code == 200
    # Signed in already, the sign-in page sends them to the same place.
    assert client.get("/oficina/entrar").location == landing


def test_a_local_next_is_still_honoured(client):
    user = make_staff("entrega")
    response = client.post(
        "/oficina/entrar?next=/oficina/kiosco", data={"email": user.email, "password": PASSWORD}
    )
    assert response.location == "/oficina/kiosco"


MENU = {
    "revisor": {
        "/oficina",
        "/oficina/ventanilla",
        "/oficina/brigada",
        "/oficina/convocatorias",
        "/oficina/quejas",
    },
    "entrega": {"/entrega", "/oficina/credenciales", "/oficina/citas"},
    "admin_dependencia": {
        "/oficina",
        "/oficina/ventanilla",
        "/oficina/brigada",
        "/oficina/credenciales",
        "/oficina/calendario",
        "/oficina/programas",
        "/oficina/convocatorias",
        "/oficina/padrones",
        "/oficina/planeacion",
        "/oficina/quejas",
        "/oficina/citas",
        "/oficina/secretaria/calendario",
    },
    "admin_estatal": {
        "/oficina",
        "/oficina/programas",
        "/oficina/convocatorias",
        "/oficina/padrones",
        "/oficina/derechos",
        "/oficina/veda",
        "/oficina/planeacion",
        "/oficina/quejas",
        "/oficina/citas",
    },
    "secretaria": {"/oficina/secretaria/calendario"},
    "ventanilla_estatal": {"/oficina/ventanilla", "/oficina/brigada", "/oficina/citas"},
}


@pytest.mark.parametrize("role", sorted(MENU))
def test_the_staff_menu_shows_only_the_areas_the_role_may_open(client, login, role):
    login(make_staff(role))
    links = {a["href"] for a in html(client.get("/oficina/kiosco")).select("nav.main-nav a")}
    assert links == MENU[role]
    for href in links:
        assert client.get(href).status_code == 200, href


CLI_PASSWORD = "una-contraseña-muy-larga"


def cli_create(app, *args, email="a@b.example.org", name="A", password=CLI_PASSWORD):
    """``staff create`` with the password on standard input."""
    return app.test_cli_runner().invoke(
        args=["staff", "create", "--email", email, "--name", name, *args, "--password-stdin"],
        input=password + "\n",
    )


def test_cli_creates_staff_with_password_from_stdin(app):
    agency = make_agency(slug="sedesoq")
    result = cli_create(
        app,
        "--role",
        "revisor",
        "--agency",
        "sedesoq",
        email="Revisora@Sedesoq.example.org",
        name="Revisora Uno",
    )
    assert result.exit_code == 0, result.output
    user = StaffUser.get(StaffUser.email == "revisora@sedesoq.example.org")
    assert user.agency_id == agency.id
    assert user.password_hash.startswith("scrypt:")
    assert staff.authenticate("revisora@sedesoq.example.org", CLI_PASSWORD).user == user
    entry = AuditEvent.get(AuditEvent.action == "staff.create")
    # The same entry as the web's (tests/backoffice/test_oficina_admin.py), with the system as actor.
    assert (entry.actor_kind, entry.object_type, entry.object_id, entry.details) == (
        "sistema",
        "personal",
        str(user.id),
        {"rol": "revisor", "dependencia": agency.id},
    )


def test_cli_creates_a_supervisor_of_an_agency(app):
    agency = make_agency(slug="sedesoq")
    result = cli_create(app, "--role", "supervisor", "--agency", "sedesoq")
    assert result.exit_code == 0, result.output
    assert StaffUser.get().agency_id == agency.id


@pytest.mark.parametrize(
    "args,message",
    [
        (["--role", "revisor", "--agency", "no-existe"], "No existe la dependencia"),
        (["--role", "revisor"], "Indique la dependencia"),
        (["--role", "supervisor"], "Indique la dependencia"),
        (["--role", "admin_estatal", "--agency", "sedesoq"], "no pertenece"),
    ],
)
def test_cli_refuses_bad_accounts(app, args, message):
    make_agency(slug="sedesoq")
    result = cli_create(app, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert not StaffUser.select().exists()


def test_cli_refuses_short_password(app):
    result = cli_create(app, "--role", "admin_estatal", password="corta")
    assert result.exit_code != 0 and "12 caracteres" in result.output


def test_deactivation_ends_sessions_at_once(app, client):
    user = make_staff()
    post_login(client, user.email)
    assert WebSession.select().where(WebSession.user_kind == "personal").count() == 1
    result = app.test_cli_runner().invoke(args=["staff", "deactivate", "--email", user.email])
    assert result.exit_code == 0, result.output
    assert not StaffUser.get_by_id(user.id).active
    assert not WebSession.select().where(WebSession.user_kind == "personal").exists()
    assert client.get("/oficina/kiosco").status_code == 302


def test_cli_deactivation_releases_the_cases_they_hold(app):
    leaving = make_staff("revisor")
    program = make_program(leaving.agency)
    held = make_application(program=program, status="en_revision", assigned_to=leaving)
    result = app.test_cli_runner().invoke(args=["staff", "deactivate", "--email", leaving.email])
    assert result.exit_code == 0, result.output
    assert f"solicitudes liberadas: {held.folio}" in result.output
    assert Application.get_by_id(held.id).assigned_to_id is None
    entry = AuditEvent.get(AuditEvent.action == "soltar_solicitud")
    assert (entry.actor_kind, entry.object_id, entry.details) == (
        "sistema",
        held.folio,
        {"personal": leaving.id, "motivo": "baja_personal"},
    )
    deactivation = AuditEvent.get(AuditEvent.action == "staff.deactivate")
    assert (deactivation.actor_kind, deactivation.details) == (
        "sistema",
        {"sesiones_terminadas": 0, "solicitudes_liberadas": 1},
    )


def test_staff_marks_a_terminal_as_kiosk(client, login):
    user = make_staff()
    login(user)
    assert "no es un kiosco" in html(client.get("/oficina/kiosco")).get_text()
    response = client.post("/oficina/kiosco", data={"kiosk": "1"})
    assert response.status_code == 303
    assert client.get_cookie(DEVICE_COOKIE) is not None
    page = html(client.get("/"))
    assert "kiosk" in page.body["class"]
    assert AuditEvent.get(AuditEvent.action == "kiosk.set").actor_id == user.id


def test_forged_kiosk_cookie_is_ignored(client):
    client.set_cookie(DEVICE_COOKIE, "forjada")
    assert "kiosk" not in (html(client.get("/")).body.get("class") or [])


def test_citizens_cannot_open_the_kiosk_setting(client, login):
    from tests.factories import make_citizen

    login(make_citizen())
    assert client.get("/oficina/kiosco").status_code == 403
