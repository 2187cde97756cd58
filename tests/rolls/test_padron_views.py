"""Back-office rolls and duplicates, public statistics and open data."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time

import pytest
from flask import Blueprint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import (
    AuditEvent,
    Citizen,
    CitizenMerge,
    DuplicateCandidate,
    Enrollment,
    ImportBatch,
)
from portal.rolls import duplicates, writing
from portal.transparency import public as transparency
from portal.transparency.tasks import rebuild_open_data
from tests.factories import (
    make_application,
    make_citizen,
    make_municipality,
    make_program,
    make_staff,
)
from tests.padron_builders import person, write_roll
from tests.support.html import html

CURP_RE = re.compile(r"[A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+")
PHONE_RE = re.compile(r"\d{7,}")


@pytest.fixture(autouse=True)
def staff_sign_out(app):
    """The staff shell links to staff sign-out (branch ``auth``); stand in until it is merged."""
    if "oficina_auth.logout" not in app.view_functions:
        stand_in = Blueprint("oficina_auth", __name__)
        stand_in.add_url_rule("/oficina/salir", "logout", lambda: "", methods=["POST"])
        stand_in.add_url_rule("/oficina/entrar", "login", lambda: "")
        app.register_blueprint(stand_in)


@pytest.fixture
def place(app):
    make_municipality("22014", "Querétaro")
    make_municipality("22016", "San Juan del Río")


def upload(client, program, path):
    with open(path, "rb") as fh:
        data = {"program": str(program.id), "file": (io.BytesIO(fh.read()), path.name)}
    return client.post("/oficina/padrones", data=data, content_type="multipart/form-data")


def wait_for(batch_id):
    for _ in range(200):
        batch = ImportBatch.get_by_id(batch_id)
        if batch.status != "pendiente":
            return batch
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def test_agency_admin_uploads_a_roll_and_downloads_the_report(place, login, tmp_path):
    program = make_program()
    client = login(make_staff("admin_dependencia", program.agency))
    bad = person(9)
    bad[4] = "01/01/1980"
    response = upload(client, program, write_roll(tmp_path / "padron.csv", [person(1), bad]))
    assert response.status_code == 303
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    preview = html(client.get(f"/oficina/padrones/{batch_id}"))
    assert "nada se ha guardado" in preview.find(id="estado-lote").text
    assert client.post(f"/oficina/padrones/{batch_id}/confirmar").status_code == 303
    batch = wait_for(batch_id)
    assert (batch.accepted, batch.rejected) == (1, 1)
    page = html(client.get(f"/oficina/padrones/{batch.id}"))
    assert "1 aceptadas" in page.find(id="estado-lote").text
    report = client.get(f"/oficina/padrones/{batch.id}/rechazadas.csv")
    assert report.mimetype == "text/csv" and "no coincide" in report.get_data(as_text=True)
    assert AuditEvent.select().where(AuditEvent.action == "padron.upload").count() == 1


def test_progress_fragment_polls_itself_while_running(place, login, app):
    program = make_program()
    client = login(make_staff("admin_dependencia", program.agency))
    batch = ImportBatch.create(program=program, filename="p.csv", sha256="x" * 64)
    response = client.get(f"/oficina/padrones/{batch.id}", headers={"HX-Request": "true"})
    fragment = html(response)
    assert fragment.find("html") is None
    assert fragment.find(id="estado-lote")["hx-get"] == f"/oficina/padrones/{batch.id}"
    assert fragment.find("a", string=re.compile("Actualizar"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("padron.txt", b"CURP,nombre,primer apellido\n", "CSV o Excel"),
        ("padron.csv", b"nombre\nAna\n", "faltan columnas"),
    ],
)
def test_bad_upload_is_refused_with_a_message(place, login, name, content, message):
    program = make_program()
    client = login(make_staff("admin_dependencia", program.agency))
    data = {"program": str(program.id), "file": (io.BytesIO(content), name)}
    response = client.post("/oficina/padrones", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in html(response).find(class_="error-summary").text
    assert ImportBatch.select().count() == 0


def test_agency_admin_cannot_touch_another_agencys_program_or_batch(place, login, tmp_path):
    mine, theirs = make_program(), make_program()
    client = login(make_staff("admin_dependencia", mine.agency))
    assert upload(client, theirs, write_roll(tmp_path / "p.csv", [person(1)])).status_code == 422
    batch = ImportBatch.create(program=theirs, filename="p.csv", sha256="y" * 64)
    assert client.get(f"/oficina/padrones/{batch.id}").status_code == 404
    assert client.get(f"/oficina/padrones/{batch.id}/rechazadas.csv").status_code == 404


@pytest.mark.parametrize("role", ["revisor", "entrega"])
def test_other_staff_roles_cannot_open_rolls(place, login, role):
    client = login(make_staff(role))
    assert client.get("/oficina/padrones").status_code == 403
    assert client.get("/oficina/duplicados").status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/oficina/padrones")
    assert response.status_code == 302


def test_upload_needs_csrf(place, login, app, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = True
    program = make_program()
    client = login(make_staff("admin_dependencia", program.agency))
    response = upload(client, program, write_roll(tmp_path / "p.csv", [person(1)]))
    assert response.status_code == 400 and ImportBatch.select().count() == 0


def test_duplicates_found_listed_and_merged_with_history(place, login):
    twin_a = make_citizen(given_names="Ana María", first_surname="López", second_surname="Ruiz")
    twin_b = make_citizen(given_names="Ana Maria", first_surname="Lopez", second_surname="Ruiz")
    make_citizen(
        given_names="Pedro", first_surname="Soto", sex="H", birth_date=dt.date(1990, 5, 17)
    )
    program = make_program()
    make_application(twin_b, program)
    pairs = duplicates.find_candidates()
    assert [(p.a, p.b, p.kind) for p in pairs] == [(twin_a.id, twin_b.id, "nombre")]
    assert duplicates.store_candidates(pairs) == 1
    assert duplicates.store_candidates(pairs) == 0
    client = login(make_staff("admin_estatal"))
    page = html(client.get("/oficina/duplicados"))
    pair = DuplicateCandidate.get()
    assert page.find(id=f"par-{pair.id}")
    response = client.post(
        f"/oficina/duplicados/{pair.id}",
        data={"accion": "fusionar", "conservar": twin_a.id, "motivo": "Mismo INE en los dos."},
    )
    assert response.status_code == 303
    assert Citizen.get_or_none(Citizen.id == twin_b.id) is None
    assert twin_a.applications.count() == 1
    merge = CitizenMerge.get()
    assert merge.merged_snapshot["curp"] == twin_b.curp and merge.moved["applications"] == 1
    event = AuditEvent.get(AuditEvent.action == "citizen.merge")
    assert twin_b.curp not in json.dumps(event.details)


def test_dismissed_pair_stays_dismissed(place, login):
    a = make_citizen(given_names="Rosa", first_surname="Vega")
    b = make_citizen(given_names="Rosa", first_surname="Vegas")
    duplicates.store_candidates(duplicates.find_candidates())
    pair = DuplicateCandidate.get()
    client = login(make_staff("admin_estatal"))
    client.post(f"/oficina/duplicados/{pair.id}", data={"accion": "descartar"})
    assert DuplicateCandidate.get_by_id(pair.id).status == "descartado"
    duplicates.store_candidates(duplicates.find_candidates())
    assert DuplicateCandidate.get_by_id(pair.id).status == "descartado"
    assert {a.id, b.id} == {pair.citizen_a_id, pair.citizen_b_id}


def test_an_unknown_action_on_a_pair_is_refused_and_changes_nothing(place, login):
    make_citizen(given_names="Rosa", first_surname="Vega")
    make_citizen(given_names="Rosa", first_surname="Vega")
    duplicates.store_candidates(duplicates.find_candidates())
    pair = DuplicateCandidate.get()
    client = login(make_staff("admin_estatal"))
    response = client.post(f"/oficina/duplicados/{pair.id}", data={"accion": "borrar"})
    assert response.status_code == 422
    assert "Elija unir los registros o descartar el par." in html(response).get_text()
    assert DuplicateCandidate.get_by_id(pair.id).status == "pendiente"
    assert Citizen.select().count() == 2


def test_merge_of_a_resolved_pair_is_refused(place, login):
    make_citizen(given_names="Rosa", first_surname="Vega")
    make_citizen(given_names="Rosa", first_surname="Vega")
    duplicates.store_candidates(duplicates.find_candidates())
    pair = DuplicateCandidate.get()
    client = login(make_staff("admin_estatal"))
    client.post(f"/oficina/duplicados/{pair.id}", data={"accion": "descartar"})
    client.post(
        f"/oficina/duplicados/{pair.id}",
        data={"accion": "fusionar", "conservar": pair.citizen_a_id, "motivo": "Misma persona."},
    )
    assert Citizen.select().count() == 2


def test_curp_one_character_apart_is_a_candidate(place):
    base = make_citizen(given_names="Eva", first_surname="Luna")
    curp = base.curp
    # Position 9 weighs 10 in the check digit, so any digit there keeps it valid.
    other = curp[:9] + str((int(curp[9]) + 1) % 10) + curp[10:]
    make_citizen(
        curp=other, given_names="Eva", first_surname="Luna", birth_date=dt.date(1990, 5, 18)
    )
    kinds = {p.kind for p in duplicates.find_candidates()}
    assert "curp" in kinds


def test_statistics_reflect_an_import_and_suppress_small_cells(place, client, tmp_path):
    program = make_program(name="Tarjeta Contigo")
    batch, _ = writing.prepare_batch(
        write_roll(tmp_path / "p.csv", [person(n) for n in range(7)]), "p.csv", program
    )
    writing.run_batch(batch.id, tmp_path / "p.csv")
    response = client.get("/estadisticas")
    assert response.status_code == 200 and "public" in response.headers["Cache-Control"]
    page = html(response)
    figure = page.find(id="g-programa-caption").parent
    assert figure.find("svg").find("title").text == "Beneficiarios por programa"
    assert figure.find("table").find("td").text == "7"
    sex_table = page.find(id="g-sexo-caption").parent.find("table")
    assert sex_table.find("td").text == "7"
    rows = json.loads(client.get("/datos-abiertos/beneficiarios.json").get_data())
    assert rows and all(r["beneficiarios"] in ("<5", 5, 6, 7) for r in rows)
    assert client.get("/estadisticas/municipio.csv").get_data(as_text=True).startswith("municipio,")


def test_office_statistics_are_scoped_to_the_agency(place, login):
    mine, theirs = make_program(name="Mío"), make_program(name="Ajeno")
    client = login(make_staff("admin_dependencia", mine.agency))
    page = html(client.get("/oficina/estadisticas"))
    text = page.find(id="contenido").text
    assert "Mío" in text and "Ajeno" not in text
    assert theirs


def test_open_data_pages_and_catalog(place, client):
    make_program(name="Tarjeta Contigo")
    assert html(client.get("/datos-abiertos")).find("a", href="/datos-abiertos/diccionario")
    assert html(client.get("/datos-abiertos/diccionario")).find("code", string="grupo_edad")
    csv_text = client.get("/datos-abiertos/programas.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == ",".join(transparency.CATALOG_COLUMNS)
    assert client.get("/datos-abiertos/padron/no-existe.csv").status_code == 404


def test_published_roll_has_only_the_allowlisted_columns(place, client, tmp_path):
    program = make_program(slug="contigo")
    path = write_roll(tmp_path / "p.csv", [person(n) for n in range(3)])
    batch, _ = writing.prepare_batch(path, "p.csv", program)
    writing.run_batch(batch.id, path)
    rows = json.loads(client.get("/datos-abiertos/padron/contigo.json").get_data())
    assert len(rows) == 3
    assert all(tuple(r) == transparency.PUBLISHED_ROLL_COLUMNS for r in rows)


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=st.lists(st.tuples(names, names, st.integers(0, 10**10 - 1)), min_size=1, max_size=6))
def test_no_export_ever_holds_a_curp_phone_or_email(place, client, people):
    Enrollment.delete().execute()
    Citizen.delete().execute()
    program = make_program()
    for n, (given_name, surname, phone) in enumerate(people):
        citizen = make_citizen(
            given_names=given_name + " ana@example.org" if n % 2 else given_name or "Ana",
            first_surname=(surname or "Ruiz") + f" {phone:010d}",
            phone=f"{phone:010d}",
            email=f"persona{n}@example.org",
        )
        Enrollment.create(citizen=citizen, program=program, exclusion_key=program.exclusion_key)
    rebuild_open_data()  # what the queue does after a change: the pages serve the last build
    urls = [
        f"/datos-abiertos/padron/{program.slug}.csv",
        f"/datos-abiertos/padron/{program.slug}.json",
        "/datos-abiertos/beneficiarios.csv",
        "/datos-abiertos/beneficiarios.json",
        "/datos-abiertos/programas.csv",
        "/estadisticas",
    ]
    for url in urls:
        response = client.get(url)
        # Pages are read as text: content-hashed asset URLs hold long digit runs.
        body = (
            html(response).get_text()
            if response.mimetype == "text/html"
            else response.get_data(as_text=True)
        )
        assert not CURP_RE.search(body), url
        assert not EMAIL_RE.search(body), url
        assert not PHONE_RE.search(body), url


def test_the_rejected_rows_report_is_never_stored_by_a_browser(place, login, tmp_path):
    program = make_program()
    client = login(make_staff("admin_dependencia", program.agency))
    bad = person(9)
    bad[4] = "01/01/1980"
    response = upload(client, program, write_roll(tmp_path / "padron.csv", [person(1), bad]))
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/oficina/padrones/{batch_id}/confirmar")
    batch = wait_for(batch_id)
    report = client.get(f"/oficina/padrones/{batch.id}/rechazadas.csv")
    assert report.status_code == 200 and person(9)[0] in report.get_data(as_text=True)
    assert report.headers["Cache-Control"] == "no-store"


def test_the_report_of_an_unfinished_batch_is_not_served(place, login):
    """Its rows are staged, not final: the report waits for the batch to end."""
    program = make_program()
    client = login(make_staff("admin_dependencia", program.agency))
    batch = ImportBatch.create(program=program, filename="p.csv", sha256="y" * 64)
    response = client.get(f"/oficina/padrones/{batch.id}/rechazadas.csv")
    assert response.status_code == 409
    assert "cuando termine la carga" in html(response).text
