"""The validation module (issue 17, item 7): what agencies submit goes to the
secretariat's queue; validators accept or return it with comments per item;
the agency sees the state of each submission."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.backoffice.audit import Actor
from portal.models import (
    AuditEvent,
    ImportBatch,
    ReportObligation,
    StaffNotice,
    Submission,
    SubmissionItem,
)
from portal.secretariat import validation
from portal.secretariat.validation import TRANSITIONS, ValidationError, Verdict
from portal.vocabulary import SubmissionStatus as S
from tests.factories import make_staff
from tests.secretariat.builders import agency_world, make_obligation, make_secretariat
from tests.support.html import html, page_text

QUEUE = "/oficina/secretaria/validacion"


def _send(obligation):
    return f"/oficina/secretaria/obligaciones/{obligation.id}/enviar"


def _error(response, field):
    found = html(response).select_one(f"#{field}-error")
    return found.get_text(" ", strip=True) if found else ""


def _quarterly(world):
    return make_obligation(world["a"], program_id=world["program_a"].id, title="Avance T3")


# Status transitions --------------------------------------------------------------------


@given(st.lists(st.sampled_from(list(S)), max_size=8))
def test_a_submission_moves_only_along_the_allowed_transitions(path):
    status = S.ENVIADA
    for new in path:
        if new in TRANSITIONS[status]:
            status = new
        else:
            assert not validation.allowed(status, new)
    assert status in TRANSITIONS
    assert TRANSITIONS[S.ACEPTADA] == frozenset()  # accepted is final


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from([s.value for s in S]), min_size=1, max_size=6))
def test_move_changes_the_stored_status_exactly_when_the_table_allows_it(app, path):
    world = agency_world()
    actor = Actor.staff(world["admin_a"])
    sent = validation.submit(
        "program_version", world["program_a"].id, world["a"], [("Reglas", {})], actor, title="V"
    )
    status, moved = S.ENVIADA, 0
    for new in path:
        if validation.allowed(status, new):
            validation.move(Submission.get_by_id(sent.id), new, actor)
            status, moved = S(new), moved + 1
        else:
            with pytest.raises(ValidationError):
                validation.move(Submission.get_by_id(sent.id), new, actor)
        assert Submission.get_by_id(sent.id).status == status
    moves = AuditEvent.select().where(
        (AuditEvent.object_type == "envio") & (AuditEvent.object_id == str(sent.id))
    )
    assert moves.count() == 1 + moved  # the submission, then one entry per move made


def test_every_kind_has_a_hook_list_and_program_version_publishes(app):
    from portal.secretariat import program_versions

    assert set(validation.on_accepted) == {"program_version", "roll", "quarterly_report"}
    assert validation.on_accepted["program_version"] == [program_versions._accepted]
    assert validation.on_returned["program_version"] == [program_versions._returned]
    with pytest.raises(ValueError):
        validation.register("pastel", lambda s, a: None)


def test_move_refuses_a_transition_outside_the_table(app):
    world = agency_world()
    sent = validation.submit_quarterly_report(_quarterly(world), 3, Actor.staff(world["admin_a"]))
    secretariat = Actor.staff(make_secretariat())
    validation.decide(
        sent, {i.id: Verdict("aceptado") for i in validation.items_of(sent)}, secretariat
    )
    with pytest.raises(ValidationError):
        validation.move(Submission.get_by_id(sent.id), S.EN_REVISION, secretariat)


def test_an_accepted_program_version_runs_the_hook_its_owner_registered(app, monkeypatch):
    # Only this test's hook (the catalog's publishing is tested in test_program_versions.py).
    monkeypatch.setitem(validation.on_accepted, "program_version", [])
    world = agency_world()
    seen = []
    hook = lambda submission, actor: seen.append(submission.ref_id)  # noqa: E731
    validation.register("program_version", hook)
    try:
        sent = validation.submit(
            "program_version",
            77,
            world["a"],
            [("Reglas", {"version": 2})],
            Actor.staff(world["admin_a"]),
            title="Versión 2",
        )
        with pytest.raises(ValidationError):  # already in the queue
            validation.submit(
                "program_version",
                77,
                world["a"],
                [("Reglas", {})],
                Actor.staff(world["admin_a"]),
                title="Versión 2",
            )
        items = validation.items_of(sent)
        validation.decide(sent, {items[0].id: Verdict("aceptado")}, Actor.staff(make_secretariat()))
        assert seen == [77]
    finally:
        validation.on_accepted["program_version"].remove(hook)


# The whole round, through the pages ----------------------------------------------------


def test_an_agency_submits_the_secretariat_returns_then_accepts(app, client):
    from tests.conftest import sign_in_as

    world = agency_world()
    secretariat = make_secretariat()
    obligation = _quarterly(world)
    sign_in_as(client, world["admin_a"])
    assert client.get(_send(obligation)).status_code == 200
    response = client.post(_send(obligation), data={"trimestre": "3"})
    assert response.status_code == 303
    sent = Submission.get()
    assert (sent.kind, sent.ref_id, sent.status) == ("quarterly_report", obligation.id, "enviada")
    assert len(validation.items_of(sent)) == 3
    assert StaffNotice.select().where(StaffNotice.staff == secretariat.id).count() == 1
    # Sent twice while in the queue: refused, nothing added.
    client.post(_send(obligation), data={"trimestre": "3"})
    assert Submission.select().count() == 1

    sign_in_as(client, secretariat)
    assert f"envio-{sent.id}" in {r["id"] for r in html(client.get(QUEUE)).select("#envios tr[id]")}
    detail = f"{QUEUE}/{sent.id}"
    assert client.post(f"{detail}/revisar").status_code == 303
    assert Submission.get_by_id(sent.id).status == "en_revision"
    items = validation.items_of(sent)
    returned = {f"veredicto_{i.id}": "aceptado" for i in items}
    returned[f"veredicto_{items[1].id}"] = "devuelto"
    # A returned item without a comment: refused on that item's comment.
    response = client.post(f"{detail}/decision", data=returned)
    assert response.status_code == 422
    assert "qué debe corregir" in _error(response, f"comentario_{items[1].id}")
    assert Submission.get_by_id(sent.id).status == "en_revision"
    assert all(i.verdict == "" for i in validation.items_of(sent))
    returned[f"comentario_{items[1].id}"] = "El gasto no cuadra con la cuenta pública."
    assert client.post(f"{detail}/decision", data=returned).status_code == 303
    assert Submission.get_by_id(sent.id).status == "devuelta"

    sign_in_as(client, world["admin_a"])
    page = html(client.get(detail))
    assert "Devuelta con comentarios" in page_text(page.select_one("#estado"))
    assert "no cuadra" in page_text(page.select_one(f"#parte-{items[1].id}"))
    assert not page.select("form[action$='/decision']")
    assert client.post(_send(obligation), data={"trimestre": "3"}).status_code == 303
    assert Submission.get_by_id(sent.id).status == "enviada"

    sign_in_as(client, secretariat)
    items = validation.items_of(sent)
    accepted = {f"veredicto_{i.id}": "aceptado" for i in items}
    assert client.post(f"{detail}/decision", data=accepted).status_code == 303
    assert Submission.get_by_id(sent.id).status == "aceptada"
    # The hook of its kind completed the calendar's obligation.
    assert ReportObligation.get_by_id(obligation.id).done_at is not None
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    for action in (
        "validacion.enviada",
        "validacion.en_revision",
        "validacion.devuelta",
        "validacion.aceptada",
        "obligacion.cumplida",
    ):
        assert action in actions
    assert StaffNotice.select().where(StaffNotice.staff == world["admin_a"].id).count() == 2


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [({"trimestre": ""}, "trimestre", "trimestre"), ({"trimestre": "5"}, "trimestre", "trimestre")],
)
def test_a_quarterly_report_needs_a_quarter(app, login, data, field, says):
    world = agency_world()
    response = login(world["admin_a"]).post(_send(_quarterly(world)), data=data)
    assert response.status_code == 422
    assert says in _error(response, field)
    assert Submission.select().count() == 0


def test_a_roll_is_sent_with_its_totals_and_another_agencys_roll_is_refused(app, login):
    world = agency_world()
    obligation = make_obligation(world["a"], kind="actualizacion_padron", title="Padrón 2026")
    mine = ImportBatch.create(
        program=world["program_a"],
        filename="a.csv",
        sha256="a" * 64,
        status="terminado",
        total_rows=10,
        accepted=9,
        rejected=1,
    )
    theirs = ImportBatch.create(
        program=world["program_b"], filename="b.csv", sha256="b" * 64, status="terminado"
    )
    client = login(world["admin_a"])
    page = html(client.get(_send(obligation)))
    offered = {o["value"] for o in page.select("#padron option") if o["value"]}
    assert offered == {str(mine.id)}
    response = client.post(_send(obligation), data={"padron": str(theirs.id)})
    assert response.status_code == 422
    assert "padrón terminado" in _error(response, "padron")
    assert Submission.select().count() == 0
    assert client.post(_send(obligation), data={"padron": str(mine.id)}).status_code == 303
    sent = Submission.get()
    assert (sent.kind, sent.ref_id) == ("roll", mine.id)
    assert SubmissionItem.get().content["aceptadas"] == 9


# Who sees what -------------------------------------------------------------------------


def test_agency_b_never_sees_agency_as_submissions(app, login):
    world = agency_world()
    sent = validation.submit_quarterly_report(_quarterly(world), 1, Actor.staff(world["admin_a"]))
    client = login(world["admin_b"])
    assert client.get(f"{QUEUE}/{sent.id}").status_code == 404
    assert html(client.get(QUEUE)).select_one("#sin-envios") is not None
    obligation_a = ReportObligation.get()
    assert client.get(_send(obligation_a)).status_code == 404
    assert client.post(_send(obligation_a), data={"trimestre": "1"}).status_code == 404


def test_only_the_secretariat_takes_and_decides(app, login):
    world = agency_world()
    sent = validation.submit_quarterly_report(_quarterly(world), 1, Actor.staff(world["admin_a"]))
    items = validation.items_of(sent)
    data = {f"veredicto_{i.id}": "aceptado" for i in items}
    for member in (world["admin_a"], make_staff("revisor", world["a"]), make_staff("supervisor")):
        client = login(member)
        assert client.post(f"{QUEUE}/{sent.id}/revisar").status_code == 403
        assert client.post(f"{QUEUE}/{sent.id}/decision", data=data).status_code == 403
    assert Submission.get_by_id(sent.id).status == "enviada"
    assert login(make_staff("revisor", world["a"])).get(QUEUE).status_code == 403
    assert login(make_secretariat()).get(_send(ReportObligation.get())).status_code == 403


def test_a_decision_needs_every_item_judged_and_no_personal_data(app, login):
    world = agency_world()
    sent = validation.submit_quarterly_report(_quarterly(world), 2, Actor.staff(world["admin_a"]))
    items = validation.items_of(sent)
    client = login(make_secretariat())
    response = client.post(f"{QUEUE}/{sent.id}/decision", data={})
    assert response.status_code == 422
    assert "acepta o devuelve" in _error(response, f"veredicto_{items[0].id}")
    data = {f"veredicto_{i.id}": "devuelto" for i in items}
    data.update({f"comentario_{i.id}": "Hable al 4421234567" for i in items})
    response = client.post(f"{QUEUE}/{sent.id}/decision", data=data)
    assert response.status_code == 422
    assert "datos personales" in _error(response, f"comentario_{items[0].id}")
    assert Submission.get_by_id(sent.id).status == "enviada"
    assert client.get(f"{QUEUE}/999999").status_code == 404
