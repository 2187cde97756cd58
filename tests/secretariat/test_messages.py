"""Messages between agencies and the secretariat (issue 17, item 6): threads
about a program, an obligation or a submission; notices of new messages; read
receipts; attachments through the documents' upload gate; the audit trail."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from portal.models import AuditEvent, StaffNotice, StaffOutbox, Thread, ThreadMessage
from portal.secretariat import messaging
from tests.applications.test_pdf import pillow_pdf
from tests.conftest import sign_in_as
from tests.factories import make_staff
from tests.secretariat.builders import agency_world, make_obligation, make_secretariat
from tests.support.html import html, page_text

THREADS = "/oficina/secretaria/mensajes"


def _new(topic, topic_id):
    return f"{THREADS}/nueva?tema={topic}&id={topic_id}"


def _error(response, field):
    found = html(response).select_one(f"#{field}-error")
    return found.get_text(" ", strip=True) if found else ""


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


def test_a_thread_goes_back_and_forth_with_receipts_notices_and_audit(app, client, smtp):
    world = agency_world()
    secretariat = make_secretariat()
    obligation = make_obligation(world["a"], title="Avance T2", creator=secretariat)
    sign_in_as(client, world["admin_a"])
    response = client.post(
        _new("obligacion", obligation.id),
        data={
            "asunto": "Duda sobre el avance",
            "mensaje": "¿El gasto va con IVA?",
            "adjunto": (io.BytesIO(pillow_pdf()), "cuenta.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    thread = Thread.get()
    assert (thread.agency_id, thread.topic, thread.topic_id, thread.messages) == (
        world["a"].id,
        "obligacion",
        obligation.id,
        1,
    )
    first = ThreadMessage.get()
    assert first.attachment_key and first.attachment_name.endswith(".pdf")
    # The secretariat is told, in the portal and by e-mail; the e-mail never
    # carries the message's text.
    assert StaffNotice.select().where(StaffNotice.staff == secretariat.id).count() == 1
    assert [m.rcpt_tos for m in smtp.messages] == [[secretariat.email]]
    assert "IVA" not in smtp.messages[0].content.decode()
    page = html(client.get(f"{THREADS}/{thread.id}"))
    assert "Sin leer todavía" in page_text(page.select_one(f"#mensaje-{first.id}"))

    sign_in_as(client, secretariat)
    listed = html(client.get(THREADS))
    assert "Sin leer" in page_text(listed.select_one(f"#conversacion-{thread.id}"))
    page = html(client.get(f"{THREADS}/{thread.id}"))
    assert "IVA" in page_text(page.select_one("#mensajes"))
    download = client.get(f"{THREADS}/{thread.id}/adjunto/{first.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert download.headers["Cache-Control"] == "no-store"
    response = client.post(f"{THREADS}/{thread.id}", data={"mensaje": "Sí, con IVA."})
    assert response.status_code == 303
    assert "Sin leer" not in page_text(html(client.get(THREADS)).select_one("#conversaciones"))

    sign_in_as(client, world["admin_a"])
    page = html(client.get(f"{THREADS}/{thread.id}"))
    assert "Leído" in page_text(page.select_one(f"#mensaje-{first.id}"))
    assert "Sí, con IVA." in page_text(page.select_one("#mensajes"))
    assert StaffNotice.select().where(StaffNotice.staff == world["admin_a"].id).count() == 1
    assert Thread.get_by_id(thread.id).messages == 2
    actions = [
        e.action
        for e in AuditEvent.select()
        .where(AuditEvent.object_type == "conversacion")
        .order_by(AuditEvent.id)
    ]
    assert actions.count("mensaje.enviado") == 2
    assert {"conversacion.alta", "mensaje.leido", "mensaje.ver_adjunto"} <= set(actions)
    assert StaffOutbox.select().where(StaffOutbox.status == "enviado").count() == 2


def test_the_secretariat_starts_a_thread_about_a_program_and_a_submission(app, login):
    world = agency_world()
    client = login(make_secretariat())
    response = client.post(
        _new("programa", world["program_b"].id), data={"asunto": "Reglas 2027", "mensaje": "Hola"}
    )
    assert response.status_code == 303
    assert Thread.get().agency_id == world["b"].id
    assert client.get(_new("envio", 999999)).status_code == 404


def test_agency_b_never_sees_agency_as_threads_or_attachments(app, login):
    world = agency_world()
    thread = messaging.start(
        world["admin_a"],
        "programa",
        world["program_a"].id,
        "Asunto",
        "Texto",
        messaging_attachment(),
    )
    message = ThreadMessage.get()
    client = login(world["admin_b"])
    assert client.get(f"{THREADS}/{thread.id}").status_code == 404
    assert client.post(f"{THREADS}/{thread.id}", data={"mensaje": "hola"}).status_code == 404
    assert client.get(f"{THREADS}/{thread.id}/adjunto/{message.id}").status_code == 404
    assert html(client.get(THREADS)).select_one("#sin-conversaciones") is not None
    # Nor start one about another agency's program or obligation.
    assert client.get(_new("programa", world["program_a"].id)).status_code == 404
    obligation = make_obligation(world["a"])
    response = client.post(_new("obligacion", obligation.id), data={"asunto": "x", "mensaje": "y"})
    assert response.status_code == 404
    assert ThreadMessage.select().count() == 1


def messaging_attachment():
    from portal.applications.uploads import inspect_upload

    return inspect_upload(_photo(), "foto.png")


@pytest.mark.parametrize("role", ["revisor", "supervisor", "entrega", "admin_estatal"])
def test_other_staff_roles_do_not_open_messages(app, login, role):
    world = agency_world()
    thread = messaging.start(world["admin_a"], "programa", world["program_a"].id, "A", "B")
    agency = world["a"] if role != "admin_estatal" else None
    client = login(make_staff(role, agency))
    assert client.get(THREADS).status_code == 403
    assert client.get(f"{THREADS}/{thread.id}").status_code == 403
    assert client.post(f"{THREADS}/{thread.id}", data={"mensaje": "hola"}).status_code == 403


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"asunto": "", "mensaje": "Hola"}, "asunto", "asunto"),
        ({"asunto": "Hola", "mensaje": "  "}, "mensaje", "Escriba el mensaje"),
        ({"asunto": "x" * 201, "mensaje": "Hola"}, "asunto", "demasiado largo"),
        ({"asunto": "Hola", "mensaje": "x" * 5001}, "mensaje", "5,000"),
        ({"asunto": "CURP GOMR900101MQTRZN05", "mensaje": "Hola"}, "asunto", "datos personales"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(app, login, data, field, says):
    world = agency_world()
    response = login(world["admin_a"]).post(_new("programa", world["program_a"].id), data=data)
    assert response.status_code == 422
    assert says in _error(response, field)
    assert Thread.select().count() == 0 and ThreadMessage.select().count() == 0
    assert StaffNotice.select().count() == 0


def test_an_attachment_that_is_not_a_document_is_refused_and_nothing_is_written(app, login):
    world = agency_world()
    client = login(world["admin_a"])
    response = client.post(
        _new("programa", world["program_a"].id),
        data={
            "asunto": "Con adjunto",
            "mensaje": "Va el archivo",
            "adjunto": (io.BytesIO(b"MZ\x90\x00 not a document"), "programa.exe"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code in (415, 422)
    assert _error(response, "adjunto")
    assert Thread.select().count() == 0
    thread = messaging.start(world["admin_a"], "programa", world["program_a"].id, "A", "B")
    response = client.post(
        f"{THREADS}/{thread.id}",
        data={"mensaje": "otra", "adjunto": (io.BytesIO(b""), "vacio.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (400, 422)
    assert "vacío" in _error(response, "adjunto")
    assert ThreadMessage.select().count() == 1


def test_an_agency_picks_only_its_own_programs_to_write_about(app, login):
    world = agency_world()
    page = html(login(world["admin_a"]).get(THREADS))
    offered = {o["value"] for o in page.select("#programa-tema option")}
    assert offered == {str(world["program_a"].id)}
    page = html(login(make_secretariat()).get(THREADS))
    offered = {o["value"] for o in page.select("#programa-tema option")}
    assert offered == {str(world["program_a"].id), str(world["program_b"].id)}
