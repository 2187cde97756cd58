"""The brigade pages and endpoints, for every role, with the refusals."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from portal.field import sync
from portal.field.models import FieldSubmission
from portal.models import Application, AuditEvent, Citizen
from portal.web.i18n import LANGUAGE_COOKIE
from tests.application_builders import jpeg_bytes
from tests.factories import make_citizen, make_staff
from tests.field.builders import brigade, conflict_of, person_record
from tests.support.html import html

ROOT = Path(__file__).resolve().parents[2]

BRIGADE = ("revisor", "admin_dependencia", "ventanilla_estatal")
OTHERS = ("entrega", "supervisor", "admin_estatal", "secretaria")


def post_record(client, data, photos=(), headers=None):
    form = {"registro": json.dumps(data)}
    for requirement_id, content in photos:
        form[f"doc-{requirement_id}"] = (io.BytesIO(content), "foto.jpg")
    return client.post(
        "/oficina/brigada/registros",
        data=form,
        content_type="multipart/form-data",
        headers=headers or {},
    )


@pytest.mark.parametrize("role", BRIGADE)
def test_brigade_staff_open_the_page_and_its_data(client, login, role):
    login(make_staff(role))
    page = client.get("/oficina/brigada")
    assert page.status_code == 200
    soup = html(page)
    assert soup.find("link", rel="manifest")["href"] == "/oficina/brigada/manifest.webmanifest"
    assert soup.body["data-sync"] == "/oficina/brigada/registros"
    assert not soup.select("script:not([src])"), "no inline scripts: the CSP is strict"
    assert not soup.select("[style]")
    assert "csrf" not in page.get_data(as_text=True).lower(), "the cached page holds no token"
    for url in ("/oficina/brigada/sesion", "/oficina/brigada/catalogos"):
        assert client.get(url).status_code == 200
    assert client.get("/oficina/brigada/conflictos").status_code == 200


@pytest.mark.parametrize("role", OTHERS)
def test_other_staff_roles_are_refused(client, login, role):
    login(make_staff(role))
    for url in ("/oficina/brigada", "/oficina/brigada/sesion", "/oficina/brigada/catalogos"):
        assert client.get(url).status_code == 403
    assert post_record(client, person_record()).status_code == 403


def test_citizens_and_anonymous_visitors_are_refused(client, login):
    response = client.get("/oficina/brigada/catalogos")
    assert response.status_code == 302 and "/oficina/entrar" in response.headers["Location"]
    assert post_record(client, person_record()).status_code == 302
    login(make_citizen())
    assert client.get("/oficina/brigada").status_code == 403
    assert post_record(client, person_record()).status_code == 403
    assert FieldSubmission.select().count() == 0


def test_the_service_worker_may_control_the_brigade_pages_only(client):
    response = client.get("/oficina/brigada/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/oficina/brigada"
    manifest = client.get("/oficina/brigada/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert (manifest.json["scope"], manifest.json["start_url"]) == ("/oficina/brigada",) * 2


def test_the_session_gives_a_token_that_is_never_cached(client, login):
    login(make_staff("revisor"))
    response = client.get("/oficina/brigada/sesion")
    assert response.json["csrf"] and response.headers["Cache-Control"] == "no-store"


def test_the_catalog_has_the_agencys_open_programs_and_an_etag(client, login):
    staff, program = brigade()
    _other_staff, other = brigade()
    login(staff)
    response = client.get("/oficina/brigada/catalogos")
    catalog = response.json
    assert [p["slug"] for p in catalog["programs"]] == [program.slug]
    assert catalog["programs"][0]["requirements"][0]["id"] == program.requirements.get().id
    assert ["22014", "Querétaro"] in catalog["territory"]["municipalities"]
    assert "Calle" in catalog["territory"]["road_types"]
    assert "QT" in catalog["curp"]["states"]
    etag = response.headers["ETag"]
    again = client.get("/oficina/brigada/catalogos", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    assert other.slug not in response.get_data(as_text=True)


def test_the_catalog_does_not_grow_with_the_registry(client, login):
    staff, program = brigade()
    login(staff)
    before = client.get("/oficina/brigada/catalogos")
    for _ in range(30):
        make_citizen()
    after = client.get("/oficina/brigada/catalogos")
    assert after.data == before.data and after.headers["ETag"] == before.headers["ETag"]


def test_the_state_counter_catalog_has_every_agencys_programs(client, login):
    _staff, program = brigade()
    _staff2, other = brigade()
    login(make_staff("ventanilla_estatal"))
    slugs = {p["slug"] for p in client.get("/oficina/brigada/catalogos").json["programs"]}
    assert {program.slug, other.slug} <= slugs


def test_a_record_is_applied_and_its_retry_answered_the_same(client, login):
    staff, program = brigade()
    login(staff)
    data = person_record(program)
    photo = [(program.requirements.get().id, jpeg_bytes())]
    first = post_record(client, data, photo)
    assert first.status_code == 200 and first.json["estado"] == "aplicado"
    again = post_record(client, data, photo)
    assert again.status_code == 200 and again.json["folio"] == first.json["folio"]
    assert again.json["repetido"] is True
    assert Application.select().count() == 1 and Citizen.select().count() == 1


def test_a_conflict_answers_409_with_the_page_that_resolves_it(client, login):
    staff, program = brigade()
    login(staff)
    registered = make_citizen(given_names="Lucía")
    response = post_record(client, person_record(program, curp=registered.curp))
    assert response.status_code == 409
    assert response.json["conflicto"] == "curp"
    assert response.json["resolver"] == f"/oficina/brigada/conflictos/{response.json['uuid']}"
    assert "Lucía" not in response.get_data(as_text=True)


def test_a_bad_field_answers_422_naming_it(client, login):
    staff, program = brigade()
    login(staff)
    data = person_record(program, curp="GOMA850312MQTMRN09")
    response = post_record(client, data)
    assert response.status_code == 422
    assert "dígito verificador" in response.json["campos"]["curp"]
    assert Citizen.select().count() == 0


@pytest.mark.parametrize(
    "form",
    [
        {"registro": "{no es json"},
        {"registro": json.dumps({"uuid": "abc"})},
        {"registro": json.dumps([1, 2])},
        {},
    ],
)
def test_a_request_that_is_no_record_answers_400_and_stores_nothing(client, login, form):
    login(make_staff("revisor"))
    response = client.post("/oficina/brigada/registros", data=form)
    assert response.status_code == 400 and response.json["mensaje"]
    assert FieldSubmission.select().count() == 0


def test_a_photo_under_another_name_answers_400(client, login):
    staff, program = brigade()
    login(staff)
    response = client.post(
        "/oficina/brigada/registros",
        data={"registro": json.dumps(person_record(program)), "foto": (io.BytesIO(b"x"), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and FieldSubmission.select().count() == 0


def test_an_oversize_photo_is_named_and_nothing_applied(app, client, login):
    staff, program = brigade()
    login(staff)
    app.config["MAX_UPLOAD_MB"] = 1
    big = jpeg_bytes() + b"\0" * (1024 * 1024 + 10)
    requirement = program.requirements.get().id
    response = post_record(client, person_record(program), [(requirement, big)])
    assert response.status_code in (413, 422)
    assert Citizen.select().count() == 0 and Application.select().count() == 0


def test_another_staff_members_uuid_answers_404(client, login):
    staff, program = brigade()
    data = person_record(program)
    login(staff)
    post_record(client, data)
    login(make_staff("revisor", staff.agency))
    assert post_record(client, data).status_code == 404


def test_the_sync_needs_the_csrf_token_from_the_session(app, client, login):
    staff, program = brigade()
    login(staff)
    app.config["WTF_CSRF_ENABLED"] = True
    data = person_record(program)
    assert post_record(client, data).status_code == 400
    assert FieldSubmission.select().count() == 0
    token = client.get("/oficina/brigada/sesion").json["csrf"]
    photo = [(program.requirements.get().id, jpeg_bytes())]
    assert post_record(client, data, photo, headers={"X-CSRFToken": token}).status_code == 200


def test_the_sync_is_rate_limited_per_staff_member(client, login):
    login(make_staff("revisor"))
    codes = [
        client.post("/oficina/brigada/registros", data={"registro": "x"}).status_code
        for _ in range(121)
    ]
    assert codes[:120] == [400] * 120 and codes[120] == 429


def test_the_conflict_page_shows_what_to_check_and_resolves_it(client, login):
    staff, program = brigade()
    login(staff)
    registered = make_citizen(given_names="Lucía")
    data = person_record(program, curp=registered.curp)
    post_record(client, data, [(program.requirements.get().id, jpeg_bytes())])
    listing = html(client.get("/oficina/brigada/conflictos"))
    link = listing.select_one("#conflictos a")["href"]
    page = client.get(link)
    soup = html(page)
    assert "Nombre(s)" in soup.select_one("#campos").get_text()
    assert "Lucía" not in page.get_data(as_text=True)
    done = client.post(link, data={"choice": "registrados"})
    assert done.status_code == 303
    assert Application.get().citizen_id == registered.id
    assert "Registro resuelto" in html(client.get(link)).h1.get_text()
    assert AuditEvent.select().where(AuditEvent.action == "brigada.resolver").count() == 1
    assert client.post(link, data={"choice": "descartar"}).status_code == 200  # nothing to do


def test_correcting_on_the_conflict_page_retries_with_the_correction(client, login):
    staff, program = brigade()
    login(staff)
    data = person_record(program)
    data["person"]["id_number"] = "12"
    post_record(client, data, [(program.requirements.get().id, jpeg_bytes())])
    link = f"/oficina/brigada/conflictos/{data['uuid']}"
    assert client.post(link, data={"choice": "reintentar", "id_number": "123456789"}).status_code
    assert FieldSubmission.get(FieldSubmission.uuid == data["uuid"]).status == sync.APPLIED


def test_an_unknown_choice_is_refused_on_the_form(client, login):
    staff, _program = brigade()
    key = conflict_of(staff)
    login(staff)
    response = client.post(f"/oficina/brigada/conflictos/{key}", data={"choice": "robar"})
    assert response.status_code == 422
    assert FieldSubmission.get(FieldSubmission.uuid == key).status == sync.CONFLICT


@pytest.mark.parametrize("key", ["no-es-uuid", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_conflict_is_not_found(client, login, key):
    login(make_staff("revisor"))
    assert client.get(f"/oficina/brigada/conflictos/{key}").status_code == 404


def test_another_agencys_staff_cannot_open_a_conflict(client, login):
    staff, _program = brigade()
    key = conflict_of(staff)
    for outsider in (make_staff("revisor"), make_staff("ventanilla_estatal")):
        login(outsider)
        assert client.get(f"/oficina/brigada/conflictos/{key}").status_code == 404
        assert (
            client.post(
                f"/oficina/brigada/conflictos/{key}", data={"choice": "descartar"}
            ).status_code
            == 404
        )
    assert FieldSubmission.get(FieldSubmission.uuid == key).status == sync.CONFLICT


def test_the_catalog_carries_the_questions_a_programs_rules_read(client, login):
    staff, program = brigade(
        eligibility=[{"field": "disability", "op": "is_true", "reason": "Discapacidad."}]
    )
    _staff, by_age = brigade(
        eligibility=[{"field": "age", "op": "gte", "value": 18, "reason": "Mayor de edad."}]
    )
    login(staff)
    catalog = client.get("/oficina/brigada/catalogos").json
    (entry,) = catalog["programs"]
    assert entry["fields"] == ["disability"]
    assert catalog["questions"]["disability"]["input"] == "yes_no"
    # Age comes from the birth date, which the registration itself asks.
    login(make_staff("ventanilla_estatal"))
    ages = {
        p["slug"]: p["fields"] for p in client.get("/oficina/brigada/catalogos").json["programs"]
    }
    assert ages[by_age.slug] == []


def test_answers_are_read_by_their_questions_and_kept_on_the_record(client, login):
    staff, program = brigade(
        eligibility=[{"field": "disability", "op": "is_true", "reason": "Discapacidad."}]
    )
    login(staff)
    photo = [(program.requirements.get().id, jpeg_bytes())]
    wrong = person_record(program)
    wrong["answers"] = {"disability": "quizá"}
    refused = post_record(client, wrong, photo)
    assert refused.status_code == 422 and "answers.disability" in refused.json["campos"]
    data = person_record(program)
    data["answers"] = {"disability": "si"}
    response = post_record(client, data, photo)
    assert response.status_code == 200, response.json
    citizen = Citizen.get(Citizen.curp == data["person"]["curp"])
    assert citizen.profile["disability"] is True
    assert AuditEvent.get(AuditEvent.action == "ventanilla.cuestionario").details == {
        "campos": ["disability"]
    }


def test_the_scripts_texts_come_in_the_language_of_the_page(client, login):
    """brigade.js and curp.js say what they say in the language the page was
    served in: the page hands them their texts keyed by the Spanish."""
    login(make_staff("revisor"))
    spanish = json.loads(html(client.get("/oficina/brigada")).body["data-textos"])
    assert spanish["El PIN no es correcto."] == "El PIN no es correcto."
    client.set_cookie(LANGUAGE_COOKIE, "en")
    english = json.loads(html(client.get("/oficina/brigada")).body["data-textos"])
    assert english.keys() == spanish.keys()
    assert english["El PIN no es correcto."] == "The PIN is not correct."
    assert english["La CURP debe tener 18 caracteres; usted escribió %(count)s."].endswith(
        "%(count)s."
    )
    script = (ROOT / "static" / "field" / "brigade.js").read_text() + (
        ROOT / "static" / "field" / "curp.js"
    ).read_text()
    said = set(re.findall(r'(?:\bt|\bsay)\("((?:[^"\\]|\\.)*)"', script))
    assert said <= spanish.keys(), "every text the scripts say is marked for translation"
