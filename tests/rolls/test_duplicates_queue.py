"""Probable duplicates found on the queue as people are added, each kind of
near-duplicate, and their review side by side (portal/rolls/duplicates.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from peewee import IntegrityError

from portal.backoffice.audit import Actor
from portal.citizens import record
from portal.citizens.curp import check_digit, make_curp
from portal.citizens.oidc import DigitalIdentity
from portal.models import (
    AuditEvent,
    Citizen,
    CitizenMerge,
    DuplicateCandidate,
    Enrollment,
    ImportBatch,
)
from portal.rolls import duplicates, tasks, writing
from tests.factories import (
    make_application,
    make_citizen,
    make_municipality,
    make_program,
    make_staff,
)
from tests.padron_builders import person, write_roll
from tests.support.html import html

GIVEN = ["Guadalupe", "Fernando", "Alejandra", "Roberto", "Mariana", "Ricardo", "Jimena"]
SURNAMES = ["Hernández", "Martínez", "González", "Ramírez", "Sánchez", "Vázquez", "Olvera"]
KINDS = ["fecha_invertida", "apellidos_invertidos", "curp", "curp_transpuesta", "nombre"]


def _curp(given_names, first, second, born, sex, homoclave=None):
    return make_curp(
        given_names, first, second, born, sex, "QT",
        homoclave=homoclave or ("0" if born.year < 2000 else "A"),
    )  # fmt: skip


def _person(**fields) -> Citizen:
    fields.setdefault(
        "curp",
        _curp(
            fields["given_names"],
            fields["first_surname"],
            fields["second_surname"],
            fields["birth_date"],
            fields["sex"],
        ),
    )
    return make_citizen(**fields)


def _with_check_digit(first17: str) -> str:
    return first17 + check_digit(first17)


def _variant(kind: str, base: Citizen) -> dict:
    """The fields of ``base`` recorded again with one near-duplicate ``kind``."""
    fields = {
        "given_names": base.given_names,
        "first_surname": base.first_surname,
        "second_surname": base.second_surname,
        "birth_date": base.birth_date,
        "sex": base.sex,
    }
    curp = base.curp
    if kind == "fecha_invertida":
        swapped = duplicates.swapped_day_and_month(base.birth_date)
        fields["birth_date"] = swapped
        fields["curp"] = _with_check_digit(f"{curp[:6]}{swapped:%m%d}{curp[10:17]}")
    elif kind == "apellidos_invertidos":
        fields["first_surname"], fields["second_surname"] = base.second_surname, base.first_surname
        fields["curp"] = _curp(
            base.given_names, base.second_surname, base.first_surname, base.birth_date, base.sex
        )
    elif kind == "curp":
        letter = "Z" if curp[14] != "Z" else "Y"
        fields["curp"] = _with_check_digit(curp[:14] + letter + curp[15:17])
    elif kind == "curp_transpuesta":
        i = next(i for i in (13, 14, 0, 1, 2) if curp[i] != curp[i + 1])
        fields["curp"] = _with_check_digit(curp[:i] + curp[i + 1] + curp[i] + curp[i + 2 : 17])
    else:  # nombre: one letter less, and a CURP two characters apart
        fields["given_names"] = base.given_names[:-2] + base.given_names[-1]
        fields["curp"] = _with_check_digit(
            curp[:15] + ("X" if curp[15] != "X" else "Z") + ("1" if curp[16] != "1" else "2")
        )
    return fields


def _clean() -> None:
    DuplicateCandidate.delete().execute()
    Citizen.delete().execute()


people = st.fixed_dictionaries(
    {
        "given_names": st.sampled_from(GIVEN),
        "surnames": st.lists(st.sampled_from(SURNAMES), min_size=2, max_size=2, unique=True),
        "birth_date": st.dates(dt.date(1940, 1, 1), dt.date(2010, 12, 31)),
        "sex": st.sampled_from(["H", "M"]),
    }
)


def _fields(drawn: dict) -> dict:
    first, second = drawn["surnames"]
    return {
        "given_names": drawn["given_names"],
        "first_surname": first,
        "second_surname": second,
        "birth_date": drawn["birth_date"],
        "sex": drawn["sex"],
    }


@pytest.mark.parametrize("kind", KINDS)
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=people)
def test_a_person_and_their_variant_of_each_kind_are_a_pair(app, kind, drawn):
    if kind == "fecha_invertida":
        assume(duplicates.swapped_day_and_month(drawn["birth_date"]) is not None)
    _clean()
    base = _person(**_fields(drawn))
    variant = make_citizen(**_variant(kind, base))
    assert duplicates.check_people([variant.id]) == 1
    pair = DuplicateCandidate.get()
    assert (pair.citizen_a_id, pair.citizen_b_id) == (base.id, variant.id)
    assert pair.kind == kind and pair.status == "pendiente"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(one=people, other=people)
def test_two_clearly_different_people_are_not_a_pair(app, one, other):
    first, second = _fields(one), _fields(other)
    assume(first["given_names"] != second["given_names"])
    assume(set(one["surnames"]).isdisjoint(other["surnames"]))
    assume(abs((first["birth_date"] - second["birth_date"]).days) > 40)
    _clean()
    a, b = _person(**first), _person(**second)
    assert duplicates.check_people([a.id, b.id]) == 0
    assert DuplicateCandidate.select().count() == 0


def test_the_queue_task_run_twice_stores_the_pair_once(app):
    base = _person(**_fields(_drawn()))
    twin = make_citizen(**_variant("curp", base))
    assert tasks.check_duplicates.call_local([twin.id]) == 1
    assert tasks.check_duplicates.call_local([twin.id, base.id]) == 0
    assert DuplicateCandidate.select().count() == 1


def test_the_database_refuses_the_same_pair_twice(app):
    a, b = make_citizen(), make_citizen()
    DuplicateCandidate.create(citizen_a=a, citizen_b=b, score=90.0, kind="nombre")
    with pytest.raises(IntegrityError), Citizen._meta.database.atomic():
        DuplicateCandidate.create(citizen_a=a, citizen_b=b, score=95.0, kind="curp")


def test_the_database_refuses_a_pair_in_the_other_order(app):
    a, b = make_citizen(), make_citizen()
    DuplicateCandidate.create(citizen_a=a, citizen_b=b, score=90.0, kind="nombre")
    for first, second in ((b, a), (a, a)):
        with pytest.raises(IntegrityError), Citizen._meta.database.atomic():
            DuplicateCandidate.create(citizen_a=first, citizen_b=second, score=90.0, kind="nombre")
    assert DuplicateCandidate.select().count() == 1


def test_a_dismissed_pair_is_not_proposed_again(app):
    base = _person(**_fields(_drawn()))
    twin = make_citizen(**_variant("apellidos_invertidos", base))
    duplicates.check_people([twin.id])
    duplicates.dismiss(DuplicateCandidate.get().id, Actor.staff(make_staff("admin_estatal")), None)
    assert duplicates.check_people([twin.id]) == 0
    assert DuplicateCandidate.get().status == "descartado"


def _drawn() -> dict:
    return {
        "given_names": "Guadalupe",
        "surnames": ["Hernández", "Olvera"],
        "birth_date": dt.date(1985, 3, 9),
        "sex": "M",
    }


def test_a_first_digital_id_sign_in_checks_the_new_person(app):
    base = _person(**_fields(_drawn()))
    twin = _variant("fecha_invertida", base)
    identity = DigitalIdentity(
        issuer="https://llave.example.org",
        subject="sub-1",
        curp=twin["curp"],
        given_names=twin["given_names"],
        first_surname=twin["first_surname"],
        second_surname=twin["second_surname"],
        birth_date=twin["birth_date"],
        sex=twin["sex"],
        email="",
    )
    citizen, outcome = record.record_for(identity)
    assert outcome == "created"
    pair = DuplicateCandidate.get()
    assert {pair.citizen_a_id, pair.citizen_b_id} == {base.id, citizen.id}
    assert pair.kind == "fecha_invertida"
    record.record_for(identity)  # a second sign-in finds the record: nothing new
    assert DuplicateCandidate.select().count() == 1


def test_a_counter_registration_checks_the_new_person(app):
    make_municipality()
    base = _person(**_fields(_drawn()))
    twin = _variant("curp_transpuesta", base)
    staff = make_staff("revisor")
    citizen = record.register_at_counter(
        record.CounterRegistration(
            curp=twin["curp"],
            given_names=twin["given_names"],
            first_surname=twin["first_surname"],
            second_surname=twin["second_surname"],
            birth_date=twin["birth_date"],
            sex=twin["sex"],
            municipality="22014",
            id_type="pasaporte",
            id_number="G12345678",
        ),
        Actor.staff(staff),
    )
    pair = DuplicateCandidate.get()
    assert {pair.citizen_a_id, pair.citizen_b_id} == {base.id, citizen.id}
    assert pair.kind == "curp_transpuesta"


def test_a_finished_roll_queues_its_new_people_in_chunks(app, tmp_path, monkeypatch):
    make_municipality()
    rows = [person(n) for n in range(5)]
    # Already in the registry with the surnames the other way round.
    known = make_citizen(
        curp=_curp("Luz", "Olvera", "Gómez", dt.date(1990, 3, 1), "M"),
        given_names="Luz",
        first_surname="Olvera",
        second_surname="Gómez",
        birth_date=dt.date(1990, 3, 1),
        sex="M",
    )
    chunks: list[list[int]] = []

    def check(ids):
        chunks.append(list(ids))
        return duplicates.check_people(ids)

    monkeypatch.setattr(duplicates, "CHECK_CHUNK", 2)
    monkeypatch.setattr(tasks, "check_duplicates", check)
    program = make_program()
    path = write_roll(tmp_path / "p.csv", rows)
    batch, _ = writing.prepare_batch(path, "p.csv", program)
    assert writing.run_batch(batch.id, path).status == "terminado"
    assert [len(c) for c in chunks] == [2, 2, 1]
    new_people = {c.id for c in Citizen.select().where(Citizen.origin == "import")}
    assert {i for c in chunks for i in c} == new_people
    luz = Citizen.get((Citizen.given_names == "Luz") & (Citizen.origin == "import"))
    pair = DuplicateCandidate.get()
    assert (pair.citizen_a_id, pair.citizen_b_id, pair.kind) == (
        known.id,
        luz.id,
        "apellidos_invertidos",
    )


def test_people_an_unfinished_import_is_creating_are_left_out(app):
    base = _person(**_fields(_drawn()))
    staged = make_citizen(origin="import", **_variant("curp", base))
    program = make_program()
    batch = ImportBatch.create(program=program, filename="p.csv", sha256="1" * 64)
    Enrollment.create(
        citizen=staged,
        program=program,
        exclusion_key=f"programa:{program.slug}",
        source="padron",
        import_batch=str(batch.id),
        active=False,
    )
    assert duplicates.check_people([base.id]) == 0
    batch.status = "terminado"
    batch.save()
    assert duplicates.check_people([base.id]) == 1


def test_roll_people_of_an_unknown_or_unfinished_batch_are_none(app):
    program = make_program()
    batch = ImportBatch.create(program=program, filename="p.csv", sha256="2" * 64)
    assert list(duplicates.roll_people(batch.id)) == []
    assert list(duplicates.roll_people(10**9)) == []


# --- The review page ------------------------------------------------------------------------


@pytest.fixture
def pair(app):
    base = _person(**_fields(_drawn()))
    twin = make_citizen(**_variant("fecha_invertida", base))
    make_application(twin, make_program(name="Apoyo Alimentario"))
    duplicates.check_people([twin.id])
    return DuplicateCandidate.get()


def test_the_pair_is_shown_side_by_side_with_differences_marked(pair, login):
    client = login(make_staff("admin_estatal"))
    page = html(client.get("/oficina/duplicados"))
    section = page.find(id=f"par-{pair.id}").parent
    assert "Día y mes de nacimiento intercambiados" in section.find("h2").text
    rows = {tr.find("th").text: tr for tr in section.find("tbody").find_all("tr")}
    born = rows["Fecha de nacimiento"]
    assert "differs" in born["class"] and born.find("mark") and "Distinto" in born.text
    assert "differs" not in (rows["Nombre(s)"].get("class") or [])
    assert "Igual" in rows["Nombre(s)"].text
    assert "1: Apoyo Alimentario" in rows["Solicitudes"].text
    assert section.find("textarea", attrs={"name": "motivo"})


@pytest.mark.parametrize("role", ["revisor", "entrega", "supervisor", "admin_dependencia"])
def test_only_the_state_admin_may_review_or_decide(pair, login, role):
    client = login(make_staff(role))
    assert client.get("/oficina/duplicados").status_code == 403
    response = client.post(
        f"/oficina/duplicados/{pair.id}",
        data={"accion": "fusionar", "conservar": pair.citizen_a_id, "motivo": "Igual."},
    )
    assert response.status_code == 403
    assert Citizen.select().count() == 2


def test_anonymous_and_citizens_cannot_reach_the_review(pair, client, login):
    assert client.get("/oficina/duplicados").status_code == 302
    citizen_client = login(Citizen.get_by_id(pair.citizen_a_id))
    assert citizen_client.get("/oficina/duplicados").status_code in (302, 403)


def test_a_merge_with_a_reason_is_audited(pair, login):
    client = login(make_staff("admin_estatal"))
    response = client.post(
        f"/oficina/duplicados/{pair.id}",
        data={
            "accion": "fusionar",
            "conservar": pair.citizen_a_id,
            "motivo": "Misma credencial de elector y domicilio.",
        },
    )
    assert response.status_code == 303
    assert Citizen.get_or_none(Citizen.id == pair.citizen_b_id) is None
    assert CitizenMerge.get().moved["reason"] == "Misma credencial de elector y domicilio."
    event = AuditEvent.get(AuditEvent.action == "citizen.merge")
    assert event.details["motivo"] == "Misma credencial de elector y domicilio."
    assert event.details["kind"] == "fecha_invertida"


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Escriba por qué son la misma persona"),
        ("   ", "Escriba por qué son la misma persona"),
        ("x" * 501, "hasta 500 caracteres"),
        ("Su CURP es GOHG850309MQTMRD05", "No escriba CURP"),
        ("Llamé al 4421234567", "No escriba CURP, correos ni teléfonos"),
    ],
)
def test_a_merge_without_a_proper_reason_is_refused_and_changes_nothing(
    pair, login, reason, message
):
    client = login(make_staff("admin_estatal"))
    response = client.post(
        f"/oficina/duplicados/{pair.id}",
        data={"accion": "fusionar", "conservar": pair.citizen_a_id, "motivo": reason},
    )
    assert response.status_code == 422
    assert message in html(response).get_text()
    assert Citizen.select().count() == 2
    assert DuplicateCandidate.get_by_id(pair.id).status == "pendiente"
    assert not CitizenMerge.select().exists()
    assert not AuditEvent.select().where(AuditEvent.action == "citizen.merge").exists()


def test_a_merge_keeping_someone_outside_the_pair_is_refused(pair, login):
    client = login(make_staff("admin_estatal"))
    stranger = make_citizen()
    response = client.post(
        f"/oficina/duplicados/{pair.id}",
        data={"accion": "fusionar", "conservar": stranger.id, "motivo": "Igual."},
    )
    assert response.status_code == 422
    assert "Elija cuál de los dos registros se conserva." in html(response).get_text()
    assert Citizen.select().count() == 3


def test_a_dismissal_is_audited_with_its_reason(pair, login):
    client = login(make_staff("admin_estatal"))
    response = client.post(
        f"/oficina/duplicados/{pair.id}",
        data={"accion": "descartar", "motivo": "Son hermanas gemelas."},
    )
    assert response.status_code == 303
    assert DuplicateCandidate.get_by_id(pair.id).status == "descartado"
    event = AuditEvent.get(AuditEvent.action == "duplicate.dismiss")
    assert event.details == {"motivo": "Son hermanas gemelas."}


def test_decisions_need_the_csrf_token(pair, login, app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = login(make_staff("admin_estatal"))
    response = client.post(f"/oficina/duplicados/{pair.id}", data={"accion": "descartar"})
    assert response.status_code == 400
    assert DuplicateCandidate.get_by_id(pair.id).status == "pendiente"


def test_the_review_is_paged_by_position(app, login):
    for n in range(12):  # a page holds 10 pairs (portal/rolls/views.py)
        a, b = make_citizen(), make_citizen()
        DuplicateCandidate.create(citizen_a=a, citizen_b=b, score=80.0 + n, kind="nombre")
    client = login(make_staff("admin_estatal"))
    first = html(client.get("/oficina/duplicados"))
    shown = [s["id"] for s in first.find_all(id=re.compile(r"^par-\d+$"))]
    assert len(shown) == 10
    following = first.find("a", rel="next")["href"]
    assert "despues=" in following
    second = html(client.get(following))
    rest = [s["id"] for s in second.find_all(id=re.compile(r"^par-\d+$"))]
    assert len(rest) == 2 and not set(rest) & set(shown)


def test_a_queue_that_cannot_take_the_task_does_not_undo_the_sign_in(app, monkeypatch, caplog):
    def broken(_ids):
        raise ConnectionError("GOHG850309MQTMRD05 no cupo en la cola")

    monkeypatch.setattr(tasks, "check_duplicates", broken)
    fields = _fields(_drawn())
    curp = _curp(*(fields[k] for k in ("given_names", "first_surname", "second_surname")),
                 fields["birth_date"], fields["sex"])  # fmt: skip
    identity = DigitalIdentity(
        issuer="https://llave.example.org",
        subject="sub-2",
        curp=curp,
        given_names=fields["given_names"],
        first_surname=fields["first_surname"],
        second_surname=fields["second_surname"],
        birth_date=fields["birth_date"],
        sex=fields["sex"],
        email="",
    )
    citizen, outcome = record.record_for(identity)
    assert outcome == "created" and Citizen.get_by_id(citizen.id).curp == curp
    assert "ConnectionError" in caplog.text and curp not in caplog.text
