"""Staff sign-in and where it lands, the staff menu, lockout, the staff commands
and the kiosk device setting."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.backoffice import staff
from portal.models import Application, AuditEvent, StaffUser, WebSession
from portal.web.kiosk import DEVICE_COOKIE
from tests.factories import make_agency, make_application, make_program, make_staff
from tests.support.html import html

PASSWORD = "contraseña-de-prueba-segura"


def post_login(client, email, password=PASSWORD):
    return client.post("/oficina/entrar", data={"email": email, "password": password})


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


def test_five_failures_lock_the_account_for_fifteen_minutes(client):
    user = make_staff()
    for _ in range(5):
        assert post_login(client, user.email, "incorrecta").status_code == 401
    locked = StaffUser.get_by_id(user.id)
    assert locked.locked_until is not None
    # Even the right password is refused while locked, with the same message.
    response = post_login(client, user.email)
    assert response.status_code == 401
    later = locked.locked_until + dt.timedelta(seconds=1)
    assert staff.authenticate(user.email, PASSWORD, now=later) is not None


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
    "revisor": {"/oficina", "/oficina/ventanilla"},
    "entrega": {"/entrega", "/oficina/credenciales"},
    "admin_dependencia": {
        "/oficina",
        "/oficina/ventanilla",
        "/oficina/credenciales",
        "/oficina/programas",
        "/oficina/padrones",
    },
    "admin_estatal": {"/oficina", "/oficina/programas", "/oficina/padrones"},
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
    assert staff.authenticate("revisora@sedesoq.example.org", CLI_PASSWORD)
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
