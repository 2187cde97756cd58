"""The preview of a roll upload (issue 17, item 8): every category found
against the registry, the commit doing exactly what the preview showed or
nothing, the discard, and who may do either."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from flask import Blueprint

from portal.backoffice.audit import Actor
from portal.models import AuditEvent, Citizen, Enrollment, ImportBatch, ImportRejection
from portal.rolls import preview, tasks, uploads
from portal.vocabulary import AuditAction
from tests.factories import (
    make_citizen,
    make_enrollment,
    make_municipality,
    make_program,
    make_staff,
)
from tests.padron_builders import person, write_roll
from tests.support.html import html


@pytest.fixture(autouse=True)
def place(app):
    make_municipality("22014", "Querétaro")
    make_municipality("22016", "San Juan del Río")
    if "oficina_auth.logout" not in app.view_functions:
        stand_in = Blueprint("oficina_auth", __name__)
        stand_in.add_url_rule("/oficina/salir", "logout", lambda: "", methods=["POST"])
        stand_in.add_url_rule("/oficina/entrar", "login", lambda: "")
        app.register_blueprint(stand_in)


def recorded(row, **changes) -> Citizen:
    """The registry's record of a roll row's person, with ``changes``."""
    curp, given, first, second, born, sex, mun = row[:7]
    fields = {
        "curp": curp,
        "given_names": given,
        "first_surname": first,
        "second_surname": second,
        "birth_date": dt.datetime.strptime(born, "%d/%m/%Y").date(),
        "sex": "M" if sex == "Mujer" else "H",
        "municipality": mun,
    }
    fields.update(changes)
    return make_citizen(**fields)


@pytest.fixture
def world(app):
    """A program and a registry holding one of each kind of row the file has."""
    program = make_program(exclusion_group="alimentaria")
    other = make_program(program.agency, exclusion_group="alimentaria")
    rows = [person(n) for n in range(1, 8)]
    recorded(rows[1])  # known, same data
    recorded(rows[2], given_names="Rocío", municipality="22016")  # known, two differences
    make_enrollment(recorded(rows[3]), program)  # already in the program
    make_enrollment(recorded(rows[4]), other)  # in the exclusion group elsewhere
    # Someone already recorded with the surnames swapped: rows[5] is new but a probable duplicate.
    curp, given, first, second, born = rows[5][:5]
    make_citizen(
        given_names=given,
        first_surname=second,
        second_surname=first,
        birth_date=dt.datetime.strptime(born, "%d/%m/%Y").date(),
        sex="M",
    )
    bad = person(9)
    bad[4] = "01/01/1980"  # the date does not match the CURP
    return program, other, rows, bad


def findings_of(program, tmp_path, rows):
    path = write_roll(tmp_path / "p.csv", rows)
    return preview.build(path.read_bytes(), program)


def test_every_row_is_sorted_into_its_category(world, tmp_path):
    program, other, rows, bad = world
    found = findings_of(program, tmp_path, [*rows, bad])
    counts = found["counts"]
    assert found["total"] == 8
    assert counts == {
        "nuevas": 3,  # rows 0, 5, 6
        "duplicados_probables": 1,
        "conocidas": 1,
        "con_diferencias": 1,
        "en_programa": 1,
        "incompatibles": 1,
        "rechazadas": 1,
    }
    by = {c: [r["row"] for r in found["rows"][c]] for c in preview.CATEGORIES}
    assert by["nuevas"] == [2, 7, 8] and by["duplicados_probables"] == [7]
    assert found["rows"]["duplicados_probables"][0]["details"] == ["apellidos_invertidos"]
    assert by["conocidas"] == [3] and by["con_diferencias"] == [4]
    assert {d["field"] for d in found["rows"]["con_diferencias"][0]["differences"]} == {
        "given_names",
        "municipality",
    }
    assert "Ya está inscrita en este programa" in found["rows"]["en_programa"][0]["details"][0]
    assert other.name in found["rows"]["incompatibles"][0]["details"][0]
    assert "no coincide" in " ".join(found["rows"]["rechazadas"][0]["details"])


def test_the_dry_run_writes_nothing(world, tmp_path):
    program, _other, rows, bad = world
    before = (Citizen.select().count(), Enrollment.select().count())
    findings_of(program, tmp_path, [*rows, bad])
    assert (Citizen.select().count(), Enrollment.select().count()) == before
    assert ImportRejection.select().count() == 0


def test_names_differing_only_in_accents_and_case_are_the_same(app, tmp_path):
    program = make_program()
    row = person(1)
    recorded(row, given_names=row[1].upper(), first_surname="Gomez")
    found = findings_of(program, tmp_path, [row])
    assert found["counts"]["conocidas"] == 1 and found["counts"]["con_diferencias"] == 0


def test_expected_counts_add_up(world, tmp_path):
    program, _other, rows, bad = world
    found = findings_of(program, tmp_path, [*rows, bad])
    want = preview.expected(found)
    assert (want.total, want.accepted, want.rejected, want.new_citizens) == (8, 5, 3, 3)


# --- Through the web: upload, preview, commit or discard ---------------------------------


def upload(client, program, path):
    data = {"program": str(program.id), "file": (io.BytesIO(path.read_bytes()), path.name)}
    response = client.post("/oficina/padrones", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    return ImportBatch.get_by_id(int(response.headers["Location"].rsplit("/", 1)[1]))


def test_upload_shows_the_preview_and_the_commit_does_what_it_said(world, login, tmp_path):
    program, _other, rows, bad = world
    client = login(make_staff("admin_dependencia", program.agency))
    before = Citizen.select().count()
    batch = upload(client, program, write_roll(tmp_path / "p.csv", [*rows, bad]))
    assert batch.status == "vista_previa" and batch.preview["counts"]["nuevas"] == 3
    assert Citizen.select().count() == before  # nothing written by the upload
    page = html(client.get(f"/oficina/padrones/{batch.id}"))
    status = page.find(id="estado-lote")
    assert "se cargarán 5 y se rechazarán 3" in " ".join(status.text.split())
    for category in preview.CATEGORIES:
        assert page.find(id=category) is not None, category
    assert "registro «Ana»" in status.text or "registro «" in status.text
    response = client.post(f"/oficina/padrones/{batch.id}/confirmar")
    assert response.status_code == 303
    done = ImportBatch.get_by_id(batch.id)
    assert done.status == "terminado"
    assert (done.accepted, done.rejected, done.new_citizens) == (5, 3, 3)
    assert Citizen.select().count() == before + 3
    assert AuditEvent.select().where(AuditEvent.action == AuditAction.ROLL_COMMIT).count() == 1


def test_a_commit_after_the_registry_changed_is_refused_and_writes_nothing(world, login, tmp_path):
    program, _other, rows, bad = world
    client = login(make_staff("admin_dependencia", program.agency))
    batch = upload(client, program, write_roll(tmp_path / "p.csv", [*rows, bad]))
    # Meanwhile the person of row 2 is recorded at the counter and row 3's enrolled.
    recorded(rows[0])
    make_enrollment(Citizen.get(Citizen.curp == rows[1][0]), program)
    before = (Citizen.select().count(), Enrollment.select().count())
    client.post(f"/oficina/padrones/{batch.id}/confirmar")
    failed = ImportBatch.get_by_id(batch.id)
    assert failed.status == "fallido" and "cambió desde la vista previa" in failed.error
    assert (Citizen.select().count(), Enrollment.select().count()) == before
    assert ImportRejection.select().where(ImportRejection.batch == batch.id).count() == 0
    # Uploading the same file again gives a new preview of the registry as it is now.
    again = upload(client, program, write_roll(tmp_path / "p.csv", [*rows, bad]))
    assert again.id == batch.id and again.status == "vista_previa"
    assert again.preview["counts"]["nuevas"] == 2 and again.preview["counts"]["en_programa"] == 2


def test_discard_writes_nothing_and_drops_the_file(world, login, tmp_path, app):
    program, _other, rows, _bad = world
    client = login(make_staff("admin_dependencia", program.agency))
    batch = upload(client, program, write_roll(tmp_path / "p.csv", rows))
    folder = uploads.uploads_folder(app.instance_path)
    key = batch.stored_file
    assert uploads.roll_files(folder).exists(key)
    before = Citizen.select().count()
    assert client.post(f"/oficina/padrones/{batch.id}/descartar").status_code == 303
    gone = ImportBatch.get_by_id(batch.id)
    assert gone.status == "descartado" and gone.stored_file == ""
    assert not uploads.roll_files(folder).exists(key)
    assert Citizen.select().count() == before
    assert "se descartó" in html(client.get(f"/oficina/padrones/{batch.id}")).text
    # Neither decision can be taken again.
    for action in ("confirmar", "descartar"):
        assert client.post(f"/oficina/padrones/{batch.id}/{action}").status_code == 409
    assert AuditEvent.select().where(AuditEvent.action == AuditAction.ROLL_DISCARD).count() == 1


def test_a_committed_batch_cannot_be_committed_or_discarded_again(world, login, tmp_path):
    program, _other, rows, _bad = world
    client = login(make_staff("admin_dependencia", program.agency))
    batch = upload(client, program, write_roll(tmp_path / "p.csv", rows))
    assert client.post(f"/oficina/padrones/{batch.id}/confirmar").status_code == 303
    for action in ("confirmar", "descartar"):
        response = client.post(f"/oficina/padrones/{batch.id}/{action}")
        assert response.status_code == 409
        assert "ya se confirmó" in response.get_data(as_text=True)


def test_a_preview_not_ready_cannot_be_committed(app, login):
    program = make_program()
    client = login(make_staff("admin_dependencia", program.agency))
    batch = ImportBatch.create(
        program=program, filename="p.csv", sha256="p" * 64, status="vista_previa"
    )
    page = html(client.get(f"/oficina/padrones/{batch.id}", headers={"HX-Request": "true"}))
    assert page.find(id="estado-lote")["hx-get"] == f"/oficina/padrones/{batch.id}"
    response = client.post(f"/oficina/padrones/{batch.id}/confirmar")
    assert response.status_code == 409 and "preparando" in response.get_data(as_text=True)
    assert ImportBatch.get_by_id(batch.id).status == "vista_previa"


def test_another_agency_cannot_see_commit_or_discard(world, login, tmp_path):
    program, _other, rows, _bad = world
    owner = login(make_staff("admin_dependencia", program.agency))
    batch = upload(owner, program, write_roll(tmp_path / "p.csv", rows))
    stranger = login(make_staff("admin_dependencia"))
    assert stranger.get(f"/oficina/padrones/{batch.id}").status_code == 404
    for action in ("confirmar", "descartar"):
        assert stranger.post(f"/oficina/padrones/{batch.id}/{action}").status_code == 404
    assert ImportBatch.get_by_id(batch.id).status == "vista_previa"


@pytest.mark.parametrize("role", ["revisor", "entrega", "supervisor", "secretaria"])
def test_other_roles_cannot_decide(world, login, role):
    program = world[0]
    batch = ImportBatch.create(
        program=program, filename="p.csv", sha256="r" * 64, status="vista_previa", preview={}
    )
    client = login(make_staff(role, program.agency if role != "secretaria" else None))
    for action in ("confirmar", "descartar"):
        assert client.post(f"/oficina/padrones/{batch.id}/{action}").status_code == 403
    assert ImportBatch.get_by_id(batch.id).status == "vista_previa"


def test_decisions_need_csrf(world, login, tmp_path, app):
    program, _other, rows, _bad = world
    client = login(make_staff("admin_dependencia", program.agency))
    batch = upload(client, program, write_roll(tmp_path / "p.csv", rows))
    app.config["WTF_CSRF_ENABLED"] = True
    for action in ("confirmar", "descartar"):
        assert client.post(f"/oficina/padrones/{batch.id}/{action}").status_code == 400
    assert ImportBatch.get_by_id(batch.id).status == "vista_previa"


def test_a_lost_preview_is_made_again_by_the_recovery(world, app, tmp_path):
    program, _other, rows, _bad = world
    folder = uploads.uploads_folder(app.instance_path)
    path = write_roll(tmp_path / "p.csv", rows)
    batch, pending = uploads.receive(
        folder, io.BytesIO(path.read_bytes()), path.name, program, None, preview=True
    )
    assert pending and batch.status == "vista_previa" and batch.preview is None
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + uploads.STALLED_AFTER * 2
    queued = []
    uploads.recover(folder, tasks.import_roll, later, enqueue_preview=queued.append)
    assert queued == [batch.id]
    assert uploads.roll_files(folder).exists(batch.stored_file)  # the sweep kept its file
    assert uploads.run_preview(folder, batch.id).preview["counts"]["nuevas"] == 3


def test_the_command_line_import_has_no_preview(world, tmp_path):
    program, _other, rows, _bad = world
    path = write_roll(tmp_path / "p.csv", rows)
    batch, pending, _ = uploads.writing.register_batch(path.read_bytes(), "p.csv", program)
    assert pending and batch.status == "pendiente" and batch.preview is None
    done = uploads.writing.run_batch(batch.id, path.read_bytes())
    assert done.status == "terminado" and done.accepted == 5


def test_store_keeps_the_first_findings_only(world, tmp_path):
    program, _other, rows, _bad = world
    batch = ImportBatch.create(
        program=program, filename="p.csv", sha256="s" * 64, status="vista_previa"
    )
    found = findings_of(program, tmp_path, rows)
    assert preview.store(batch.id, found) is True
    assert preview.store(batch.id, {**found, "total": 99}) is False
    preview.commit(batch.id, Actor.staff(make_staff("admin_dependencia", program.agency)))
    assert ImportBatch.get_by_id(batch.id).preview["total"] == 7
