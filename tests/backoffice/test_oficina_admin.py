"""State admins manage staff accounts and agencies."""

from __future__ import annotations

import pytest

from portal.backoffice import staff
from portal.models import Agency, Application, AuditEvent, StaffUser, WebSession
from tests.conftest import sign_in_as
from tests.factories import make_agency, make_application, make_program, make_staff
from tests.support.html import html


def test_state_admin_creates_a_reviewer_for_an_agency(login):
    agency = make_agency(name="Secretaría de Desarrollo Social")
    client = login(make_staff("admin_estatal"))
    form = html(client.get("/oficina/personal/nuevo"))
    assert form.find("select", id="agency")
    response = client.post(
        "/oficina/personal/nuevo",
        data={
            "name": "  Laura Pérez ",
            "email": "Laura@Sedesoq.example.org",
            "role": "revisor",
            "agency": str(agency.id),
            "password": "una-contraseña-larga",
        },
    )
    assert response.status_code == 303
    person = StaffUser.get(StaffUser.email == "laura@sedesoq.example.org")
    assert (person.name, person.role, person.agency_id) == ("Laura Pérez", "revisor", agency.id)
    assert person.password_hash != "una-contraseña-larga"
    entry = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert (entry.action, entry.object_type, entry.object_id, entry.details) == (
        "staff.create",
        "personal",
        str(person.id),
        {"rol": "revisor", "dependencia": agency.id},
    )


def new_account(client, role, agency):
    return client.post(
        "/oficina/personal/nuevo",
        data={
            "name": "Sofía Ramos",
            "email": "sofia@sedesoq.example.org",
            "role": role,
            "agency": str(agency.id) if agency else "",
            "password": "una-contraseña-larga",
        },
    )


def test_a_supervisor_belongs_to_an_agency(login):
    agency = make_agency()
    client = login(make_staff("admin_estatal"))
    response = new_account(client, "supervisor", None)
    assert response.status_code == 422
    assert "Elija la dependencia" in html(response).find(class_="error-summary").text
    assert new_account(client, "supervisor", agency).status_code == 303
    person = StaffUser.get(StaffUser.email == "sofia@sedesoq.example.org")
    assert (person.role, person.agency_id) == ("supervisor", agency.id)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"email": "no-es-correo"}, "Escriba un correo válido."),
        ({"password": "corta"}, "La contraseña debe tener entre 12 y 128 caracteres."),
        ({"agency": ""}, "Elija la dependencia"),
        ({"name": ""}, "Escriba el nombre."),
        ({"role": "superusuario"}, "Opción inválida."),
    ],
)
def test_bad_staff_data_is_refused_with_a_message(login, changes, message):
    agency = make_agency()
    client = login(make_staff("admin_estatal"))
    before = StaffUser.select().count()
    data = {
        "name": "Laura",
        "email": "l@x.example.org",
        "role": "revisor",
        "agency": str(agency.id),
        "password": "una-contraseña-larga",
    }
    response = client.post("/oficina/personal/nuevo", data={**data, **changes})
    assert response.status_code == 422
    assert message in html(response).find(class_="error-summary").text
    assert StaffUser.select().count() == before


def test_a_duplicate_email_is_refused(login):
    existing = make_staff("revisor")
    client = login(make_staff("admin_estatal"))
    response = client.post(
        "/oficina/personal/nuevo",
        data={
            "name": "Otra",
            "email": existing.email,
            "role": "revisor",
            "agency": str(existing.agency_id),
            "password": "una-contraseña-larga",
        },
    )
    assert response.status_code == 422
    assert "Ya hay una cuenta con ese correo." in response.get_data(as_text=True)


def test_deactivating_ends_the_persons_sessions_at_once(app, login):
    reviewer = make_staff("revisor")
    their_client = app.test_client()
    sign_in_as(their_client, reviewer)
    assert WebSession.select().where(WebSession.user_id == reviewer.id).count() == 1
    admin_client = login(make_staff("admin_estatal"))
    response = admin_client.post(f"/oficina/personal/{reviewer.id}/baja")
    assert response.status_code == 303
    assert not StaffUser.get_by_id(reviewer.id).active
    assert (
        WebSession.select()
        .where((WebSession.user_kind == "personal") & (WebSession.user_id == reviewer.id))
        .count()
        == 0
    )
    assert their_client.get("/oficina/auditoria").status_code == 302


def test_deactivating_a_reviewer_releases_their_cases_for_others_to_take(app, login):
    agency = make_agency()
    program = make_program(agency)
    leaving = make_staff("revisor", agency)
    in_review, to_correct, decided = (
        make_application(program=program, status=status, assigned_to=leaving)
        for status in ("en_revision", "requiere_correccion", "aprobada")
    )
    admin = make_staff("admin_estatal")
    client = login(admin)
    assert client.post(f"/oficina/personal/{leaving.id}/baja").status_code == 303
    assert "Quedaron libres 2 solicitudes" in client.get("/oficina/personal").get_data(as_text=True)
    holders = {a.id: a.assigned_to_id for a in Application.select()}
    # A decided case keeps the name of who reviewed it.
    assert holders == {in_review.id: None, to_correct.id: None, decided.id: leaving.id}
    released = AuditEvent.select().where(AuditEvent.action == "soltar_solicitud")
    assert sorted((e.object_id, e.actor_id, e.details["motivo"]) for e in released) == sorted(
        (a.folio, admin.id, "baja_personal") for a in (in_review, to_correct)
    )
    # One entry for the act, written by the same function as the shell's (same keys).
    [entry] = AuditEvent.select().where(AuditEvent.action == "staff.deactivate")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.details) == (
        admin.id,
        "personal",
        str(leaving.id),
        {"sesiones_terminadas": 0, "solicitudes_liberadas": 2},
    )
    colleague = make_staff("revisor", agency)
    other = app.test_client()
    sign_in_as(other, colleague)
    fresh = Application.get_by_id(in_review.id)
    response = other.post(
        f"/oficina/solicitudes/{fresh.folio}/tomar", data={"version": fresh.version}
    )
    assert response.status_code == 303
    assert Application.get_by_id(in_review.id).assigned_to_id == colleague.id


@pytest.mark.parametrize(
    "role, moves_agency, released",
    [
        ("entrega", False, True),
        ("revisor", True, True),
        ("admin_dependencia", False, False),
        ("admin_estatal", False, False),
    ],
)
def test_a_role_or_agency_change_releases_the_cases_they_can_no_longer_decide(
    login, role, moves_agency, released
):
    reviewer = make_staff("revisor")
    held = make_application(
        program=make_program(reviewer.agency), status="en_revision", assigned_to=reviewer
    )
    agency = make_agency() if moves_agency else reviewer.agency
    client = login(make_staff("admin_estatal"))
    response = client.post(
        f"/oficina/personal/{reviewer.id}", data={"role": role, "agency": str(agency.id)}
    )
    assert response.status_code == 303
    holder = Application.get_by_id(held.id).assigned_to_id
    assert holder == (None if released else reviewer.id)
    entries = AuditEvent.select().where(AuditEvent.action == "soltar_solicitud")
    assert [(e.object_id, e.details["motivo"]) for e in entries] == (
        [(held.folio, "cambiar_personal")] if released else []
    )


def test_state_admin_cannot_deactivate_themselves(login):
    admin = make_staff("admin_estatal")
    client = login(admin)
    client.post(f"/oficina/personal/{admin.id}/baja")
    assert StaffUser.get_by_id(admin.id).active
    assert "No puede dar de baja su propia cuenta." in client.get("/oficina/personal").get_data(
        as_text=True
    )
    assert not AuditEvent.select().where(AuditEvent.action == "staff.deactivate").exists()


def test_the_web_and_the_shell_record_a_deactivation_alike(app, login):
    by_web, by_shell = make_staff("revisor"), make_staff("revisor")
    login(make_staff("admin_estatal")).post(f"/oficina/personal/{by_web.id}/baja")
    app.test_cli_runner().invoke(args=["staff", "deactivate", "--email", by_shell.email])
    entries = {
        e.object_id: e for e in AuditEvent.select().where(AuditEvent.action == "staff.deactivate")
    }
    web, shell = entries[str(by_web.id)], entries[str(by_shell.id)]
    assert (web.actor_kind, shell.actor_kind) == ("personal", "sistema")
    assert web.object_type == shell.object_type == "personal"
    assert web.details == shell.details == {"sesiones_terminadas": 0, "solicitudes_liberadas": 0}


def test_reactivating_lets_the_person_in_again(login):
    reviewer = make_staff("revisor", active=False)
    for _ in range(4):  # refused while deactivated; the fourth makes the next attempt wait
        assert staff.authenticate(reviewer.email, "contraseña-de-prueba-segura").user is None
    client = login(make_staff("admin_estatal"))
    assert client.post(f"/oficina/personal/{reviewer.id}/alta").status_code == 303
    assert StaffUser.get_by_id(reviewer.id).active
    assert staff.authenticate(reviewer.email, "contraseña-de-prueba-segura").user == reviewer
    entry = AuditEvent.get(AuditEvent.action == "staff.reactivate")
    assert (entry.object_type, entry.object_id) == ("personal", str(reviewer.id))


def test_changing_role_and_agency_ends_old_sessions(app, login):
    reviewer = make_staff("revisor")
    other = make_agency()
    sign_in_as(app.test_client(), reviewer)
    client = login(make_staff("admin_estatal"))
    page = html(client.get(f"/oficina/personal/{reviewer.id}"))
    assert page.find("option", selected=True, value=str(reviewer.agency_id))
    response = client.post(
        f"/oficina/personal/{reviewer.id}",
        data={"role": "admin_dependencia", "agency": str(other.id)},
    )
    assert response.status_code == 303
    reviewer = StaffUser.get_by_id(reviewer.id)
    assert (reviewer.role, reviewer.agency_id) == ("admin_dependencia", other.id)
    assert WebSession.select().where(WebSession.user_id == reviewer.id).count() == 0
    assert AuditEvent.get(AuditEvent.action == "staff.change").details == {
        "rol": "admin_dependencia",
        "dependencia": other.id,
        "solicitudes_liberadas": 0,
    }


def test_a_role_that_needs_an_agency_cannot_be_left_without_one(login):
    reviewer = make_staff("revisor")
    client = login(make_staff("admin_estatal"))
    response = client.post(
        f"/oficina/personal/{reviewer.id}", data={"role": "supervisor", "agency": ""}
    )
    assert response.status_code == 422
    assert StaffUser.get_by_id(reviewer.id).role == "revisor"
    assert not AuditEvent.select().where(AuditEvent.action == "staff.change").exists()


def test_state_admin_role_has_no_agency(login):
    reviewer = make_staff("revisor")
    client = login(make_staff("admin_estatal"))
    client.post(
        f"/oficina/personal/{reviewer.id}",
        data={"role": "admin_estatal", "agency": str(reviewer.agency_id)},
    )
    assert StaffUser.get_by_id(reviewer.id).agency_id is None


def test_unknown_staff_member_is_404(login):
    client = login(make_staff("admin_estatal"))
    assert client.get("/oficina/personal/9999").status_code == 404
    assert client.post("/oficina/personal/9999/baja").status_code == 404


def test_agencies_are_created_and_renamed(login):
    client = login(make_staff("admin_estatal"))
    assert (
        client.post(
            "/oficina/dependencias/nueva", data={"name": "SEDESOQ", "slug": "sedesoq"}
        ).status_code
        == 303
    )
    agency = Agency.get(Agency.slug == "sedesoq")
    assert "SEDESOQ" in client.get("/oficina/dependencias").get_data(as_text=True)
    client.post(
        f"/oficina/dependencias/{agency.id}",
        data={"name": "Secretaría de Desarrollo Social", "slug": "sedesoq"},
    )
    assert Agency.get_by_id(agency.id).name == "Secretaría de Desarrollo Social"
    trail = AuditEvent.select().where(AuditEvent.object_type == "dependencia")
    assert [(e.action, e.object_id) for e in trail.order_by(AuditEvent.id)] == [
        ("agency.create", str(agency.id)),
        ("agency.change", str(agency.id)),
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "X", "slug": "Con Espacios"}, "Use solo minúsculas"),
        ({"name": "", "slug": "x"}, "Escriba el nombre."),
    ],
)
def test_bad_agency_data_is_refused(login, data, message):
    client = login(make_staff("admin_estatal"))
    response = client.post("/oficina/dependencias/nueva", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert Agency.select().count() == 0


def test_a_duplicate_agency_slug_is_refused(login):
    make_agency(slug="sedesoq")
    client = login(make_staff("admin_estatal"))
    response = client.post("/oficina/dependencias/nueva", data={"name": "Otra", "slug": "sedesoq"})
    assert (
        response.status_code == 422
        and "Otra dependencia ya usa esa clave." in response.get_data(as_text=True)
    )
    assert not AuditEvent.select().where(AuditEvent.action == "agency.create").exists()


def test_forms_need_a_csrf_token(app, login):
    app.config["WTF_CSRF_ENABLED"] = True
    reviewer = make_staff("revisor")
    client = login(make_staff("admin_estatal"))
    assert client.post(f"/oficina/personal/{reviewer.id}/baja").status_code == 400
    assert StaffUser.get_by_id(reviewer.id).active


@pytest.mark.parametrize("role", ["revisor", "entrega", "admin_dependencia"])
def test_only_state_admins_manage_staff_and_agencies(login, role):
    target = make_staff("revisor")
    client = login(make_staff(role, agency=target.agency))
    for url in [
        "/oficina/personal",
        "/oficina/personal/nuevo",
        f"/oficina/personal/{target.id}",
        "/oficina/dependencias",
    ]:
        assert client.get(url).status_code == 403
    assert client.post(f"/oficina/personal/{target.id}/baja").status_code == 403
    assert StaffUser.get_by_id(target.id).active


def test_staff_list_shows_role_agency_and_state(login):
    agency = make_agency(name="Secretaría de Salud")
    make_staff("revisor", agency, name="Ana Revisora", active=False)
    rows = html(
        login(make_staff("admin_estatal", name="Beto Estatal")).get("/oficina/personal")
    ).select("tbody tr")
    texts = [" ".join(r.text.split()) for r in rows]
    assert any("Beto Estatal" in t and "Estatal" in t and "Activa" in t for t in texts)
    assert any(
        "Ana Revisora" in t and "Secretaría de Salud" in t and "Dada de baja" in t for t in texts
    )
