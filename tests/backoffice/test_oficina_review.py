"""Review: the agency's queue, the case page, document review and decisions."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from portal.applications import workflow as apps
from portal.citizens import curp
from portal.models import Application, AuditEvent, Document, Enrollment, utcnow
from tests.application_builders import citizen_actor, jpeg_bytes, submitted, upload_all
from tests.conftest import sign_in_as
from tests.factories import accept_documents, make_citizen, make_program, make_staff
from tests.support.html import html


def _case(program, **citizen_fields):
    return submitted(make_citizen(**citizen_fields), program)


def _folios(response):
    return [a.text for a in html(response).select("tbody a.folio")]


def test_queue_lists_only_own_agency_oldest_first_with_days_waiting(login, program, reviewer):
    newer, older = _case(program), _case(program)
    Application.update(submitted_at=utcnow() - dt.timedelta(days=4)).where(
        Application.id == older.id
    ).execute()
    foreign = _case(make_program())
    response = login(reviewer).get("/oficina")
    assert _folios(response) == [older.folio, newer.folio]
    assert foreign.folio not in response.get_data(as_text=True)
    first_row = html(response).select("tbody tr")[0].find_all("td")
    assert first_row[4].text == "4"
    assert curp.mask(older.citizen.curp) in first_row[1].text
    assert older.citizen.curp not in response.get_data(as_text=True)


def test_days_waiting_are_the_states_days_not_utcs(login, program, reviewer, monkeypatch):
    """Sent at 17:00 and looked at 18:30 the same evening in Querétaro: 0 days,
    though UTC has already turned the day (23:00 and 00:30 UTC)."""
    from portal.rights import holidays

    case = _case(program)
    Application.update(submitted_at=dt.datetime(2026, 12, 3, 23, 0)).where(
        Application.id == case.id
    ).execute()
    monkeypatch.setattr(holidays, "utcnow", lambda: dt.datetime(2026, 12, 4, 0, 30))
    row = html(login(reviewer).get("/oficina")).select("tbody tr")[0].find_all("td")
    assert row[4].text == "0"
    monkeypatch.setattr(holidays, "utcnow", lambda: dt.datetime(2026, 12, 4, 6, 5))
    row = html(login(reviewer).get("/oficina")).select("tbody tr")[0].find_all("td")
    assert row[4].text == "1"  # past midnight in Querétaro


def test_queue_counts_per_status_and_filters(login, program, reviewer, agency):
    a, b = _case(program), _case(program)
    other_program = make_program(agency)
    c = _case(other_program)
    Application.update(flagged=True).where(Application.id == b.id).execute()
    client = login(reviewer)
    counts = html(client.get("/oficina")).select(".status-counts li")
    assert "Enviada: 3" in counts[0].text
    assert _folios(client.get(f"/oficina?program={other_program.slug}")) == [c.folio]
    assert _folios(client.get("/oficina?flagged=si")) == [b.folio]
    assert _folios(client.get("/oficina?status=aprobada")) == []
    assert _folios(client.get("/oficina?municipality=22014")) == [a.folio, b.folio, c.folio]
    assert _folios(client.get("/oficina?since=2000-01-01&until=2000-01-31")) == []


def _link(response, rel):
    found = html(response).select_one(f"nav.pagination a[rel={rel}]")
    return found["href"] if found else None


def test_queue_pages_by_position_with_links_that_work_without_javascript(login, program, reviewer):
    cases = [_case(program) for _ in range(27)]
    base = utcnow() - dt.timedelta(days=30)
    for i, application in enumerate(cases):
        # Two share a time: the id breaks the tie, so no row is lost between pages.
        at = base + dt.timedelta(hours=i if i != 25 else 24)
        Application.update(submitted_at=at).where(Application.id == application.id).execute()
    client = login(reviewer)
    first = client.get("/oficina?flagged=")
    assert _folios(first) == [a.folio for a in cases[:25]]
    assert _link(first, "prev") is None
    second = client.get(_link(first, "next"))
    assert _folios(second) == [cases[25].folio, cases[26].folio]
    assert _link(second, "next") is None
    back = client.get(_link(second, "prev"))
    assert _folios(back) == _folios(first)
    assert "pagina" not in _link(first, "next")


def test_queue_page_links_keep_the_filters(login, program, reviewer, agency):
    other = make_program(agency)
    cases = [_case(other) for _ in range(26)]
    _case(program)
    client = login(reviewer)
    first = client.get(f"/oficina?program={other.slug}")
    assert f"program={other.slug}" in _link(first, "next")
    assert _folios(client.get(_link(first, "next"))) == [cases[-1].folio]


@pytest.mark.parametrize("position", ["abc", "-1", "99999999", "1" * 40, "%00", "1e5"])
def test_a_bad_or_unknown_position_shows_the_first_page(login, program, reviewer, position):
    application = _case(program)
    for name in ("despues", "antes", "pagina"):
        response = login(reviewer).get(f"/oficina?{name}={position}")
        assert response.status_code == 200
        assert _folios(response) == [application.folio]


def test_queue_filters_refuse_bad_values_with_a_message(login, reviewer):
    response = login(reviewer).get("/oficina?since=2026-05-02&until=2026-05-01")
    assert "La fecha final no puede ser anterior a la inicial." in response.get_data(as_text=True)


def test_case_shows_person_answers_eligibility_and_documents(login, program, reviewer):
    application = accept_documents(_case(program))
    response = login(reviewer).get(f"/oficina/solicitudes/{application.folio}")
    page = html(response)
    assert page.find("code").text == curp.mask(application.citizen.curp)
    assert "Cumple las reglas del programa" in page.text
    assert len(page.select(".checklist .requirement")) == 2
    assert page.select("form.doc-review")
    entry = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert entry.action == "ver_solicitud" and entry.object_id == application.folio


def test_state_admin_sees_the_whole_curp(login, program):
    application = _case(program)
    page = html(login(make_staff("admin_estatal")).get(f"/oficina/solicitudes/{application.folio}"))
    assert page.find("code").text == application.citizen.curp


def test_document_preview_is_inline_through_the_authorized_handler(login, program, reviewer):
    citizen = make_citizen()
    draft = apps.start_draft(citizen, program, "k-preview")
    upload_all(draft, citizen, jpeg_bytes(), "foto.jpg")
    apps.submit(draft, citizen_actor(citizen))
    document = Document.select().where(Document.application == draft.id).first()
    client = login(reviewer)
    page = html(client.get(f"/oficina/solicitudes/{draft.folio}"))
    assert page.find("img", class_="preview")
    response = client.get(f"/oficina/solicitudes/{draft.folio}/documentos/{document.id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    entry = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert entry.action == "ver_documento" and entry.details == {"documento": document.id}


def test_another_agencys_case_and_documents_are_404(login, program):
    application = _case(program)
    document = Document.select().where(Document.application == application.id).first()
    client = login(make_staff("revisor"))
    assert client.get(f"/oficina/solicitudes/{application.folio}").status_code == 404
    assert (
        client.get(f"/oficina/solicitudes/{application.folio}/documentos/{document.id}").status_code
        == 404
    )
    assert (
        client.post(
            f"/oficina/solicitudes/{application.folio}/aprobar",
            data={"version": application.version},
        ).status_code
        == 404
    )
    assert Application.get_by_id(application.id).status == "enviada"


def test_taking_a_case_puts_it_in_review_and_keeps_others_out(
    app, login, program, reviewer, agency
):
    application = _case(program)
    client = login(reviewer)
    response = client.post(
        f"/oficina/solicitudes/{application.folio}/tomar", data={"version": application.version}
    )
    assert response.status_code == 303
    taken = Application.get_by_id(application.id)
    assert (taken.status, taken.assigned_to_id) == ("en_revision", reviewer.id)
    other = app.test_client()
    sign_in_as(other, make_staff("revisor", agency))
    response = other.post(
        f"/oficina/solicitudes/{application.folio}/aprobar", data={"version": taken.version}
    )
    assert response.status_code == 409
    assert "la está revisando" in response.get_data(as_text=True)
    assert Application.get_by_id(application.id).status == "en_revision"


def test_accepting_and_rejecting_documents(login, program, reviewer):
    application = _case(program)
    first, second = (
        Document.select().where(Document.application == application.id).order_by(Document.id)
    )
    client = login(reviewer)
    url = f"/oficina/solicitudes/{application.folio}/documentos"
    assert (
        client.post(
            f"{url}/{first.id}/dictamen",
            data={"version": application.version, "decision": "aceptado"},
        ).status_code
        == 303
    )
    response = client.post(
        f"{url}/{second.id}/dictamen",
        data={"version": application.version, "decision": "rechazado"},
    )
    assert response.status_code == 422
    assert "Diga por qué rechaza el documento" in response.get_data(as_text=True)
    client.post(
        f"{url}/{second.id}/dictamen",
        data={"version": application.version, "decision": "rechazado", "reason": "Ilegible"},
    )
    first, second = Document.get_by_id(first.id), Document.get_by_id(second.id)
    assert (first.status, second.status, second.review_reason) == (
        "aceptado",
        "rechazado",
        "Ilegible",
    )
    assert second.reviewed_by_id == reviewer.id
    case = html(client.get(f"/oficina/solicitudes/{application.folio}"))
    shown = case.find(id=f"requisito-{second.requirement_id}").find("p").get_text(" ")
    assert "Rechazado Motivo: Ilegible" in " ".join(shown.split())


def test_request_correction_flags_documents_and_fields(login, program, reviewer):
    application = _case(program)
    requirement = program.requirements.first()
    response = login(reviewer).post(
        f"/oficina/solicitudes/{application.folio}/correccion",
        data={
            "version": application.version,
            "documents": [requirement.id],
            "fields": ["postal_code"],
            "message": "La foto no se lee.",
        },
    )
    assert response.status_code in (303, 302)
    fresh = Application.get_by_id(application.id)
    assert fresh.status == "requiere_correccion"
    assert fresh.correction == {
        "documents": [requirement.id],
        "fields": ["postal_code"],
        "message": "La foto no se lee.",
    }


@pytest.mark.parametrize(
    "data, message",
    [
        ({"message": "Corrija"}, "Marque al menos un documento o un dato por corregir."),
        ({"fields": ["postal_code"]}, "Explique a la persona qué debe corregir."),
        ({"fields": ["status"], "message": "x"}, "Hay un problema"),
    ],
)
def test_bad_correction_requests_change_nothing(login, program, reviewer, data, message):
    application = _case(program)
    response = login(reviewer).post(
        f"/oficina/solicitudes/{application.folio}/correccion",
        data={"version": application.version, **data},
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert Application.get_by_id(application.id).status == "enviada"


def test_approve_enrols_and_goes_to_the_next_case(login, program, reviewer):
    first, second = accept_documents(_case(program)), _case(program)
    response = login(reviewer).post(
        f"/oficina/solicitudes/{first.folio}/aprobar", data={"version": first.version}
    )
    assert response.status_code == 303 and response.location.endswith(
        f"/oficina/solicitudes/{second.folio}"
    )
    assert Application.get_by_id(first.id).status == "aprobada"
    assert Enrollment.select().where(Enrollment.application == first.id).count() == 1


def test_approving_someone_enrolled_meanwhile_is_refused_with_the_reason(login, agency, reviewer):
    program = make_program(agency, exclusion_group="apoyo-familias")
    other = make_program(agency, exclusion_group="apoyo-familias", name="Tarjeta Contigo")
    application = accept_documents(_case(program))
    Enrollment.create(citizen=application.citizen_id, program=other, exclusion_key="apoyo-familias")
    response = login(reviewer).post(
        f"/oficina/solicitudes/{application.folio}/aprobar", data={"version": application.version}
    )
    assert response.status_code == 422
    assert [li.text for li in html(response).select("#caso .reasons li")] == [
        "No se puede combinar con Tarjeta Contigo, que ya recibe. (no admite excepción)"
    ]
    assert Application.get_by_id(application.id).status == "enviada"


def test_reject_needs_a_listed_reason_and_an_explanation(login, program, reviewer):
    application = _case(program)
    client = login(reviewer)
    url = f"/oficina/solicitudes/{application.folio}/rechazar"
    assert (
        client.post(
            url, data={"version": application.version, "reason": "inventado", "details": "x"}
        ).status_code
        == 422
    )
    assert (
        client.post(url, data={"version": application.version, "reason": "no_cumple"}).status_code
        == 422
    )
    assert Application.get_by_id(application.id).status == "enviada"
    client.post(
        url,
        data={
            "version": application.version,
            "reason": "no_cumple",
            "details": "Ingreso mayor al límite.",
        },
    )
    fresh = Application.get_by_id(application.id)
    assert fresh.status == "rechazada"
    assert (
        fresh.decision_reason == "No cumple los requisitos del programa. Ingreso mayor al límite."
    )


def test_a_stale_version_gets_409_and_nothing_is_overwritten(login, program, reviewer):
    application = _case(program)
    client = login(reviewer)
    stale = application.version
    client.post(
        f"/oficina/solicitudes/{application.folio}/rechazar",
        data={"version": stale, "reason": "otro", "details": "No vino."},
    )
    response = client.post(
        f"/oficina/solicitudes/{application.folio}/aprobar", data={"version": stale}
    )
    assert response.status_code == 409
    assert "Alguien más cambió esto" in html(response).find("h1").text
    assert Application.get_by_id(application.id).status == "rechazada"
    assert Enrollment.select().count() == 0


def test_a_stale_htmx_action_reloads_the_panel_with_the_message(login, program, reviewer):
    application = _case(program)
    client = login(reviewer)
    response = client.post(
        f"/oficina/solicitudes/{application.folio}/aprobar",
        data={"version": application.version - 1},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409 and response.headers["HX-Refresh"] == "true"


def test_two_reviewers_deciding_at_once_one_wins_and_the_other_gets_409(app, program, agency):
    application = accept_documents(_case(program))
    clients = []
    for _ in range(2):
        client = app.test_client()
        sign_in_as(client, make_staff("revisor", agency))
        clients.append(client)
    barrier = threading.Barrier(2)
    results = {}

    def act(i, path, data):
        barrier.wait()
        results[i] = clients[i].post(path, data=data).status_code

    base = f"/oficina/solicitudes/{application.folio}"
    threads = [
        threading.Thread(target=act, args=(0, f"{base}/aprobar", {"version": application.version})),
        threading.Thread(
            target=act,
            args=(
                1,
                f"{base}/rechazar",
                {"version": application.version, "reason": "otro", "details": "x"},
            ),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [303, 409]
    fresh = Application.get_by_id(application.id)
    winner = "aprobada" if results[0] == 303 else "rechazada"
    assert fresh.status == winner and fresh.version == application.version + 1
    assert Enrollment.select().count() == (1 if winner == "aprobada" else 0)


def test_htmx_case_request_gets_the_panel_and_its_address(login, program, reviewer):
    application = _case(program)
    response = login(reviewer).get(
        f"/oficina/solicitudes/{application.folio}", headers={"HX-Request": "true"}
    )
    page = html(response)
    assert page.find(id="caso") and not page.find("header")
    assert response.headers["HX-Push-Url"] == f"/oficina/solicitudes/{application.folio}"


def test_next_case_skips_cases_others_hold(app, login, program, reviewer, agency):
    held, free = _case(program), _case(program)
    Application.update(assigned_to=make_staff("revisor", agency).id).where(
        Application.id == held.id
    ).execute()
    response = login(reviewer).get("/oficina/siguiente")
    assert response.location.endswith(f"/oficina/solicitudes/{free.folio}")


def test_no_more_cases_sends_an_htmx_panel_to_the_queue(login, reviewer):
    response = login(reviewer).get("/oficina/siguiente", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/oficina"


def test_posting_status_or_agency_fields_changes_nothing(login, program, reviewer):
    application = _case(program)
    client = login(reviewer)
    client.post(
        f"/oficina/solicitudes/{application.folio}/documentos/{Document.select().first().id}/dictamen",
        data={
            "version": application.version,
            "decision": "aceptado",
            "status": "aprobada",
            "agency": "99",
            "assigned_to": "1",
        },
    )
    fresh = Application.get_by_id(application.id)
    assert (fresh.status, fresh.assigned_to_id, fresh.program_id) == ("enviada", None, program.id)


def _held_by(program, holder):
    application = _case(program)
    Application.update(status="en_revision", assigned_to=holder.id).where(
        Application.id == application.id
    ).execute()
    return Application.get_by_id(application.id)


def _release(client, application, **headers):
    return client.post(
        f"/oficina/solicitudes/{application.folio}/soltar",
        data={"version": application.version},
        headers=headers,
    )


def test_the_holder_releases_a_case_and_another_reviewer_takes_it(
    app, login, program, reviewer, agency
):
    application = _held_by(program, reviewer)
    client = login(reviewer)
    form = html(client.get(f"/oficina/solicitudes/{application.folio}")).find(
        "form", action=f"/oficina/solicitudes/{application.folio}/soltar"
    )
    assert form["hx-post"] == form["action"] and form["hx-target"] == "#caso"
    assert form.find("input", attrs={"name": "version"})["value"] == str(application.version)
    response = _release(client, application)
    assert response.status_code == 303
    assert response.location == f"/oficina/solicitudes/{application.folio}"
    released = Application.get_by_id(application.id)
    assert (released.status, released.assigned_to_id, released.version) == (
        "en_revision",
        None,
        application.version + 1,
    )
    page = html(client.get(response.location))
    assert "quedó libre" in page.select_one(".flashes .notice-ok").text
    assert "Nadie la revisa todavía." in page.text
    entry = AuditEvent.get(AuditEvent.action == "soltar_solicitud")
    assert (entry.actor_id, entry.object_id, entry.details) == (
        reviewer.id,
        application.folio,
        {"personal": reviewer.id, "motivo": "a_mano"},
    )
    colleague = make_staff("revisor", agency)
    other = app.test_client()
    sign_in_as(other, colleague)
    response = other.post(
        f"/oficina/solicitudes/{application.folio}/tomar", data={"version": released.version}
    )
    assert response.status_code == 303
    assert Application.get_by_id(application.id).assigned_to_id == colleague.id


@pytest.mark.parametrize("role", ["admin_dependencia", "admin_estatal"])
def test_an_admin_releases_a_case_someone_else_holds(login, program, reviewer, agency, role):
    application = _held_by(program, reviewer)
    admin = make_staff(role, None if role == "admin_estatal" else agency)
    client = login(admin)
    page = html(client.get(f"/oficina/solicitudes/{application.folio}"))
    assert page.find("button", string="Soltar caso")
    assert _release(client, application).status_code == 303
    assert Application.get_by_id(application.id).assigned_to_id is None
    entry = AuditEvent.get(AuditEvent.action == "soltar_solicitud")
    assert (entry.actor_id, entry.details["personal"]) == (admin.id, reviewer.id)


def test_a_reviewer_cannot_release_a_case_someone_else_holds(login, program, reviewer, agency):
    application = _held_by(program, reviewer)
    client = login(make_staff("revisor", agency))
    page = html(client.get(f"/oficina/solicitudes/{application.folio}"))
    assert not page.find("button", string="Soltar caso")
    response = _release(client, application)
    assert response.status_code == 409
    assert (
        "Solo esa persona o quien administra la dependencia puede soltarla." in html(response).text
    )
    assert Application.get_by_id(application.id).assigned_to_id == reviewer.id
    assert not AuditEvent.select().where(AuditEvent.action == "soltar_solicitud").exists()


def test_another_agencys_admin_gets_404_when_releasing(login, program, reviewer):
    application = _held_by(program, reviewer)
    response = _release(login(make_staff("admin_dependencia")), application)
    assert response.status_code == 404
    assert Application.get_by_id(application.id).assigned_to_id == reviewer.id


def test_anonymous_and_citizens_cannot_release(client, login, program, reviewer):
    application = _held_by(program, reviewer)
    response = _release(client, application)
    assert response.status_code == 302 and "/oficina/entrar" in response.location
    assert _release(login(make_citizen()), application).status_code == 403
    assert Application.get_by_id(application.id).assigned_to_id == reviewer.id


def test_releasing_with_a_stale_version_or_a_free_case_gets_409(login, program, reviewer):
    held, free = _held_by(program, reviewer), _case(program)
    client = login(reviewer)
    stale = client.post(
        f"/oficina/solicitudes/{held.folio}/soltar", data={"version": held.version - 1}
    )
    assert stale.status_code == 409
    assert Application.get_by_id(held.id).assigned_to_id == reviewer.id
    response = _release(client, free)
    assert response.status_code == 409 and "no hay nada que soltar" in response.get_data(
        as_text=True
    )


def test_a_refused_htmx_release_reloads_the_panel_with_the_message(
    login, program, reviewer, agency
):
    application = _held_by(program, reviewer)
    client = login(make_staff("revisor", agency))
    response = _release(client, application, **{"HX-Request": "true"})
    assert response.status_code == 409 and response.headers["HX-Refresh"] == "true"
    assert "Solo esa persona" in client.get(f"/oficina/solicitudes/{application.folio}").get_data(
        as_text=True
    )


@pytest.mark.parametrize("version", [None, "", "no-es-numero"])
def test_a_decision_without_a_valid_version_shows_the_case_again_with_422(
    login, program, reviewer, version
):
    application = accept_documents(_case(program))
    data = {} if version is None else {"version": version}
    response = login(reviewer).post(f"/oficina/solicitudes/{application.folio}/aprobar", data=data)
    assert response.status_code == 422
    assert "Vuelva a cargar la página" in html(response).find(class_="notice-error").text
    assert Application.get_by_id(application.id).status == "enviada"
    assert Enrollment.select().count() == 0


def test_an_invalid_form_in_the_htmx_panel_answers_422_with_the_panel(login, program, reviewer):
    application = _case(program)
    response = login(reviewer).post(
        f"/oficina/solicitudes/{application.folio}/rechazar",
        data={"version": application.version, "reason": "otro", "details": ""},
        headers={"HX-Request": "true"},
    )
    page = html(response)
    assert response.status_code == 422
    assert page.find(id="caso") and not page.find("header")
    assert "Explique el rechazo" in page.find(class_="error-summary").text


def test_queue_filters_that_do_not_validate_answer_422(login, reviewer):
    response = login(reviewer).get("/oficina?since=2026-05-02&until=2026-05-01")
    assert response.status_code == 422
    assert "La fecha final no puede ser anterior" in response.get_data(as_text=True)
