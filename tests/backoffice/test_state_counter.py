"""The counter as a single window (issue 18, item 6): the state counter serves
every agency's programs, the application goes to the owning agency's queue,
and the state counter never reviews or decides; contact data is kept only with
the person's consent; the QR credential is printed once approved."""

from __future__ import annotations

import pytest

from portal.delivery import handover as delivery
from portal.models import Application, AuditEvent, Citizen, Consent
from portal.vocabulary import AuditAction
from tests.application_builders import MINIMAL_PDF
from tests.backoffice.test_oficina_assisted import apply_for, check_id, upload_scan
from tests.conftest import sign_in_as
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_municipality,
    make_program,
    make_staff,
)
from tests.support.html import html

PERSON = "/oficina/ventanilla/persona"
CONTACT = "/oficina/ventanilla/persona/contacto"
CREDENTIAL = "/oficina/ventanilla/solicitudes/{folio}/credencial"
CREDENTIAL_SLIP = "/oficina/ventanilla/solicitudes/{folio}/credencial/80mm"


@pytest.fixture
def two_agencies():
    """Two agencies with a program each, their reviewers, and a state counter clerk."""
    make_municipality()
    sedesoq = make_agency(slug="sedesoq", name="Secretaría de Desarrollo Social")
    seduc = make_agency(slug="seduc", name="Secretaría de Educación")
    food = make_program(sedesoq, name="Apoyo Alimentario")
    school = make_program(seduc, name="Beca Escolar")
    return {
        "food": food,
        "school": school,
        "sedesoq_reviewer": make_staff("revisor", sedesoq),
        "seduc_reviewer": make_staff("revisor", seduc),
        "state_counter": make_staff("ventanilla_estatal"),
    }


def options(page) -> dict[str, str]:
    select = page.find("select", id="program")
    return {o["value"]: o.get_text() for o in select.find_all("option")} if select else {}


def contact_data(**changes):
    data = {
        "notify_channel": "sms",
        "phone": "+52 1 (442) 123-4567",
        "email": "",
        "road_type": "Calle",
        "road_name": "Hidalgo",
        "exterior_number": "12",
        "interior_number": "",
        # The INEGI address (portal/territory): the catalogs' own checks are tested there.
        "municipality": "22014",
        "consent": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- every agency's programs, and nothing of review -------------------------------


def test_the_state_counter_is_offered_every_agencys_programs_with_the_agency_named(
    login, two_agencies
):
    client = login(two_agencies["state_counter"])
    citizen = make_citizen()
    check_id(client, citizen)
    page = html(client.get(PERSON))
    assert options(page) == {
        two_agencies["food"].slug: "Apoyo Alimentario · Secretaría de Desarrollo Social",
        two_agencies["school"].slug: "Beca Escolar · Secretaría de Educación",
    }
    assert "La solicitud la revisa y decide la dependencia del programa." in page.get_text()


@pytest.mark.parametrize("program", ["food", "school"])
def test_the_state_counter_files_for_either_agency_and_it_reaches_that_agencys_queue(
    login, two_agencies, program
):
    clerk = two_agencies["state_counter"]
    client = login(clerk)
    citizen = make_citizen()
    check_id(client, citizen)
    response = apply_for(client, citizen, two_agencies[program], f"k-{program}")
    assert response.status_code == 303
    application = Application.get(Application.citizen == citizen.id)
    assert application.program_id == two_agencies[program].id
    assert application.assisted_by_id == clerk.id
    upload_scan(client, application, MINIMAL_PDF)
    sent = client.post(f"/oficina/ventanilla/solicitudes/{application.folio}/enviar")
    assert sent.status_code == 303
    assert Application.get_by_id(application.id).status == "enviada"
    owner = "sedesoq_reviewer" if program == "food" else "seduc_reviewer"
    other = "seduc_reviewer" if program == "food" else "sedesoq_reviewer"
    assert (
        login(two_agencies[owner]).get(f"/oficina/solicitudes/{application.folio}").status_code
        == 200
    )
    assert (
        login(two_agencies[other]).get(f"/oficina/solicitudes/{application.folio}").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/oficina"),
        ("get", "/oficina/siguiente"),
        ("get", "/oficina/solicitudes/{folio}"),
        ("post", "/oficina/solicitudes/{folio}/tomar"),
        ("post", "/oficina/solicitudes/{folio}/correccion"),
        ("post", "/oficina/solicitudes/{folio}/aprobar"),
        ("post", "/oficina/solicitudes/{folio}/aprobar-con-excepcion"),
        ("post", "/oficina/solicitudes/{folio}/rechazar"),
    ],
)
def test_the_state_counter_can_neither_review_nor_decide(login, two_agencies, method, path):
    application = make_application(program=two_agencies["food"])
    client = login(two_agencies["state_counter"])
    response = getattr(client, method)(path.format(folio=application.folio))
    assert response.status_code == 403
    assert Application.get_by_id(application.id).status == "enviada"


def test_agency_counter_staff_still_serve_only_their_own_agency(login, two_agencies):
    client = login(two_agencies["sedesoq_reviewer"])
    citizen = make_citizen()
    check_id(client, citizen)
    assert set(options(html(client.get(PERSON)))) == {two_agencies["food"].slug}
    response = apply_for(client, citizen, two_agencies["school"], "k-ajena")
    assert response.status_code == 422
    assert "Elija un programa de su dependencia." in html(response).get_text()
    assert not Application.select().where(Application.citizen == citizen.id).exists()


def test_agency_counter_staff_cannot_open_what_the_state_counter_filed_for_another_agency(
    login, two_agencies
):
    citizen = make_citizen()
    state = login(two_agencies["state_counter"])
    check_id(state, citizen)
    apply_for(state, citizen, two_agencies["school"], "k-escuela")
    application = Application.get(Application.citizen == citizen.id)
    client = login(two_agencies["sedesoq_reviewer"])
    check_id(client, citizen)
    assert client.get(f"/oficina/ventanilla/solicitudes/{application.folio}").status_code == 404
    page = html(client.get(PERSON))
    assert application.folio not in page.get_text()


@pytest.mark.parametrize("role", ["entrega", "supervisor", "secretaria"])
def test_other_staff_roles_have_no_counter(login, two_agencies, role):
    agency = two_agencies["food"].agency if role != "secretaria" else None
    client = login(make_staff(role, agency))
    assert client.get("/oficina/ventanilla").status_code == 403
    assert client.get(CONTACT).status_code == 403


# --- contact data, with consent ------------------------------------------------------


@pytest.fixture
def serving(login, two_agencies):
    """The state counter with a person whose ID it checked: (client, clerk, citizen)."""
    clerk = two_agencies["state_counter"]
    client = login(clerk)
    citizen = make_citizen()
    check_id(client, citizen)
    return client, clerk, citizen


def test_the_contact_form_needs_the_identity_check_first(login, two_agencies):
    client = login(two_agencies["state_counter"])
    citizen = make_citizen()
    client.post("/oficina/ventanilla", data={"curp": citizen.curp})
    response = client.get(CONTACT)
    assert response.status_code == 303 and response.location.endswith(PERSON)


def test_the_person_without_contact_is_told_at_the_counter_and_offered_the_form(serving):
    client, _, _ = serving
    page = html(client.get(PERSON))
    assert "solo verá sus avisos si entra al portal" in page.get_text()
    assert page.find("a", href=CONTACT)


def test_contact_with_consent_is_stored_with_who_and_when_and_audited(serving):
    client, clerk, citizen = serving
    form = html(client.get(CONTACT))
    assert form.find("input", attrs={"name": "consent", "type": "checkbox"})
    response = client.post(CONTACT, data=contact_data())
    assert response.status_code == 303 and response.location.endswith(PERSON)
    stored = Citizen.get_by_id(citizen.id)
    assert (stored.phone, stored.notify_channel, stored.road_name, stored.municipality_id) == (
        "4421234567",
        "sms",
        "Hidalgo",
        "22014",
    )
    consent = Consent.get(Consent.citizen == citizen.id)
    assert (consent.purpose, consent.granted_by_id, consent.revoked_at) == (
        "contacto",
        clerk.id,
        None,
    )
    assert consent.granted_at is not None
    entries = {
        e.action: e
        for e in AuditEvent.select().where(
            AuditEvent.action.in_(
                [AuditAction.COUNTER_CONTACT, AuditAction.CONSENT_GRANT, AuditAction.RECORD_UPDATE]
            )
        )
    }
    assert set(entries) == {"ventanilla.contacto", "consentimiento.otorgado", "record.update"}
    assert entries["ventanilla.contacto"].actor_id == clerk.id
    assert "phone" in entries["ventanilla.contacto"].details["fields"]
    assert "4421234567" not in str([e.details for e in entries.values()])
    page = html(client.get(PERSON))
    assert "Avisos: mensaje de texto. Teléfono guardado." in " ".join(page.get_text().split())


def test_a_second_save_keeps_the_one_consent_in_force(serving):
    client, _, citizen = serving
    client.post(CONTACT, data=contact_data())
    client.post(CONTACT, data=contact_data(notify_channel="email", email="rosa@ejemplo.mx"))
    assert Consent.select().where(Consent.citizen == citizen.id).count() == 1
    assert Citizen.get_by_id(citizen.id).notify_channel == "email"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "55 1234"}, "phone", "10 dígitos"),
        ({"phone": "0123456789"}, "phone", None),
        ({"phone": "442-ABC-4567"}, "phone", "solo números"),
        (
            {"phone": "", "notify_channel": "sms"},
            "phone",
            "Para avisos por mensaje, escriba su teléfono.",
        ),
        (
            {"consent": None},
            "consent",
            "Sin el permiso de la persona no se guardan sus datos de contacto.",
        ),
        ({"postal_code": "760"}, "postal_code", "El código postal tiene 5 dígitos."),
        ({"municipality": "99999"}, "municipality", None),
    ],
)
def test_bad_contact_data_is_refused_on_its_field_and_nothing_is_saved(
    serving, changes, field, message
):
    client, _, citizen = serving
    before = Citizen.get_by_id(citizen.id)
    response = client.post(CONTACT, data=contact_data(**changes))
    assert response.status_code == 422
    page = html(response)
    error = page.find(id=f"{field}-error")
    assert error is not None
    if message:
        assert message in error.get_text()
    stored = Citizen.get_by_id(citizen.id)
    assert (stored.phone, stored.road_name, stored.notify_channel, stored.updated_at) == (
        before.phone,
        before.road_name,
        before.notify_channel,
        before.updated_at,
    )
    assert not Consent.select().where(Consent.citizen == citizen.id).exists()
    assert not AuditEvent.select().where(AuditEvent.action == AuditAction.COUNTER_CONTACT).exists()


def test_being_told_of_programs_is_granted_and_withdrawn_at_the_counter(serving):
    client, clerk, citizen = serving
    client.post(CONTACT, data=contact_data(tell_of_programs="y"))
    told = Consent.get((Consent.citizen == citizen.id) & (Consent.purpose == "avisos_programas"))
    assert told.revoked_at is None and told.granted_by_id == clerk.id
    assert (
        html(client.get(CONTACT))
        .find("input", attrs={"name": "tell_of_programs"})
        .has_attr("checked")
    )
    client.post(CONTACT, data=contact_data())
    assert Consent.get_by_id(told.id).revoked_at is not None
    assert AuditEvent.select().where(AuditEvent.action == AuditAction.CONSENT_REVOKE).count() == 1
    # The consent to keep the contact data stays in force.
    assert (
        Consent.get((Consent.citizen == citizen.id) & (Consent.purpose == "contacto")).revoked_at
        is None
    )


def test_the_contact_page_of_one_person_never_shows_another(login, two_agencies):
    client = login(two_agencies["state_counter"])
    first, second = make_citizen(phone="4420000001"), make_citizen(phone="4420000002")
    check_id(client, first)
    check_id(client, second)
    page = html(client.get(CONTACT))
    assert page.find("input", attrs={"name": "phone"})["value"] == "4420000002"
    assert "4420000001" not in str(page)


# --- the QR credential, printed once approved ---------------------------------------


@pytest.fixture
def approved(login, two_agencies):
    """An approved application of another agency's program, its credential issued,
    and the state counter serving the person: (client, application)."""
    citizen = make_citizen()
    application = make_application(citizen, two_agencies["school"], status="aprobada")
    delivery.issue_credential(application)
    client = login(two_agencies["state_counter"])
    check_id(client, citizen)
    return client, application


@pytest.mark.parametrize(("url", "paper"), [(CREDENTIAL, "a4"), (CREDENTIAL_SLIP, "80mm")])
def test_the_counter_prints_the_approved_persons_qr_credential(approved, url, paper):
    client, application = approved
    response = client.get(url.format(folio=application.folio))
    assert response.status_code == 200
    page = html(response)
    assert f"paper-{paper}" in page.body["class"]
    assert page.find(class_="qr-box").find("svg") is not None
    assert page.find(class_="folio").get_text() == application.folio
    assert page.find("nav") is None
    assert AuditEvent.select().where(AuditEvent.action == AuditAction.RECORD_VIEW).exists()


def test_the_application_page_offers_the_credential_once_approved(approved):
    client, application = approved
    page = html(client.get(f"/oficina/ventanilla/solicitudes/{application.folio}"))
    links = {a.get_text(): a["href"] for a in page.find(class_="credential-actions").find_all("a")}
    assert links == {
        "Imprimir credencial QR (80 mm)": CREDENTIAL_SLIP.format(folio=application.folio),
        "Imprimir credencial QR en hoja A4": CREDENTIAL.format(folio=application.folio),
    }


def test_no_credential_before_approval(login, two_agencies):
    citizen = make_citizen()
    application = make_application(citizen, two_agencies["food"], status="enviada")
    client = login(two_agencies["state_counter"])
    check_id(client, citizen)
    response = client.get(CREDENTIAL.format(folio=application.folio))
    assert response.status_code == 303
    assert response.location.endswith(f"/solicitudes/{application.folio}")
    page = html(client.get(f"/oficina/ventanilla/solicitudes/{application.folio}"))
    assert page.find(class_="credential-actions") is None


def test_another_agencys_counter_cannot_print_the_credential(approved, login, two_agencies):
    _, application = approved
    client = login(two_agencies["sedesoq_reviewer"])
    check_id(client, application.citizen)
    assert client.get(CREDENTIAL.format(folio=application.folio)).status_code == 404
    assert client.get(CREDENTIAL_SLIP.format(folio=application.folio)).status_code == 404


def test_the_credential_needs_the_persons_id_checked_in_this_session(approved, app):
    _, application = approved
    client = app.test_client()  # another clerk's session, which checked nobody
    sign_in_as(client, make_staff("ventanilla_estatal"))
    response = client.get(CREDENTIAL.format(folio=application.folio))
    assert response.status_code == 303
    assert response.location.endswith("/oficina/ventanilla")


def test_the_state_counter_signs_in_to_the_counter_and_its_menu_has_no_queue(client, two_agencies):
    clerk = two_agencies["state_counter"]
    response = client.post(
        "/oficina/entrar", data={"email": clerk.email, "password": "contraseña-de-prueba-segura"}
    )
    assert response.status_code == 303
    assert response.location.endswith("/oficina/ventanilla")
    menu = {a["href"] for a in html(client.get("/oficina/ventanilla")).select("nav a")}
    assert "/oficina/ventanilla" in menu and "/oficina" not in menu
