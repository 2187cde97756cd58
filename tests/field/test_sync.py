"""Applying offline records once each, through the counter's domain functions."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.citizens.models import Consent, IdentityCheck
from portal.field import sync
from portal.field.models import FieldFile, FieldSubmission
from portal.models import Application, AuditEvent, Call, Citizen, Document
from portal.web.database import db
from tests.application_builders import jpeg_bytes
from tests.factories import make_citizen, make_staff
from tests.field.builders import brigade, context, person_record


def photo_for(program, data=None, name="foto.jpg"):
    requirement = program.requirements.get()
    return sync.Photo(requirement.id, name, data if data is not None else jpeg_bytes())


def counts():
    return (
        Citizen.select().count(),
        Application.select().count(),
        Document.select().count(),
        IdentityCheck.select().count(),
    )


def test_a_record_registers_the_person_and_files_the_application(app):
    staff, program = brigade()
    data = person_record(program)
    result = sync.sync(data, [photo_for(program)], context(staff))
    assert result["estado"] == sync.APPLIED
    citizen = Citizen.get(Citizen.curp == data["person"]["curp"])
    assert citizen.origin == "assisted"
    application = Application.get(Application.citizen == citizen.id)
    assert application.status == "enviada"
    assert application.assisted_by_id == staff.id
    assert result["folio"] == application.folio
    assert Document.select().where(Document.application == application.id).count() == 1
    assert IdentityCheck.select().where(IdentityCheck.citizen == citizen.id).count() == 1
    row = FieldSubmission.get(FieldSubmission.uuid == data["uuid"])
    assert (row.citizen_id, row.application_id, row.record) == (citizen.id, application.id, None)
    actions = {e.action for e in AuditEvent.select().where(AuditEvent.actor_id == staff.id)}
    assert {"ventanilla.registrar", "ventanilla.identificacion", "brigada.sincronizar"} <= actions


def test_a_retried_record_returns_the_stored_outcome_and_applies_nothing_again(app):
    staff, program = brigade()
    data = person_record(program)
    first = sync.sync(data, [photo_for(program)], context(staff))
    before = counts()
    again = sync.sync(data, [photo_for(program)], context(staff))
    assert counts() == before
    assert again == {**first, "repetido": True}


def test_another_staff_members_uuid_is_not_found(app):
    staff, program = brigade()
    data = person_record(program)
    sync.sync(data, [], context(staff))
    with pytest.raises(sync.NotYours):
        sync.sync(data, [], context(make_staff("revisor", staff.agency)))


# A version-1 UUID written out: a generated one would differ between xdist workers.
UUID1 = "c3e1dbec-ef9f-11f1-b7c8-02fc00000001"


@pytest.mark.parametrize("bad", ["", "no-es-uuid", "123", UUID1, None, 7])
def test_a_record_without_a_uuid4_is_refused_and_nothing_is_stored(app, bad):
    staff, program = brigade()
    data = {**person_record(program), "uuid": bad}
    with pytest.raises(sync.BadRecord):
        sync.sync(data, [], context(staff))
    assert FieldSubmission.select().count() == 0
    assert counts() == (0, 0, 0, 0)


def test_a_record_that_is_not_an_object_is_refused(app):
    staff, _program = brigade()
    with pytest.raises(sync.BadRecord):
        sync.sync(["no"], [], context(staff))


def test_a_record_only_registering_the_person_files_nothing(app):
    staff, _program = brigade()
    result = sync.sync(person_record(), [], context(staff))
    assert result["estado"] == sync.APPLIED and result["folio"] == ""
    assert Application.select().count() == 0 and Citizen.select().count() == 1


def _conflict(data, photos, staff):
    before = counts()
    result = sync.sync(data, photos, context(staff))
    assert counts() == before, "a conflict writes nothing but itself"
    assert result["estado"] == sync.CONFLICT
    row = FieldSubmission.get(FieldSubmission.uuid == data["uuid"])
    assert row.status == sync.CONFLICT and row.record is not None
    return result


@pytest.mark.parametrize(
    ("person", "field"),
    [
        ({"curp": "GOMA850312MQTMRN09"}, "curp"),  # wrong check digit
        ({"curp": ""}, "curp"),
        ({"given_names": ""}, "given_names"),
        ({"first_surname": " "}, "first_surname"),
        ({"birth_date": "17/05/1990"}, "birth_date"),
        ({"birth_date": "1991-05-17"}, "curp"),  # disagrees with the CURP
        ({"sex": "H"}, "curp"),
        ({"sex": "Z"}, "sex"),
        ({"id_type": "tarjeta"}, "id_type"),
        ({"id_number": "12"}, "id_number"),
        ({"id_number": ""}, "id_number"),
    ],
)
def test_each_bad_field_is_a_conflict_named_on_that_field(app, person, field):
    staff, program = brigade()
    data = person_record(program)
    data["person"].update(person)
    result = _conflict(data, [photo_for(program)], staff)
    assert result["conflicto"] == sync.INVALID
    assert field in result["campos"] and result["campos"][field]


def test_a_bad_address_or_answer_is_named_on_its_field(app):
    staff, program = brigade()
    data = person_record(program)
    data["address"] = {"municipality": "22014", "postal_code": "01000", "road_type": "Autopista"}
    data["consent"] = True
    data["answers"] = {"pregunta_que_no_existe": "si"}
    result = _conflict(data, [], staff)
    assert {"postal_code", "road_type", "answers.pregunta_que_no_existe"} <= set(result["campos"])


def test_a_missing_municipality_and_a_phone_without_consent_are_refused(app):
    staff, program = brigade()
    data = person_record(program)
    data["address"] = {}
    data["phone"] = "4421234567"
    result = _conflict(data, [], staff)
    assert {"municipality", "consent"} <= set(result["campos"])


def test_contact_with_consent_is_kept_with_the_consent(app):
    staff, _program = brigade()
    data = person_record()
    data["phone"] = "442 123 4567"
    data["consent"] = True
    assert sync.sync(data, [], context(staff))["estado"] == sync.APPLIED
    citizen = Citizen.get(Citizen.curp == data["person"]["curp"])
    assert citizen.phone == "4421234567"
    assert Consent.select().where(Consent.citizen == citizen.id).count() == 1


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"MZ\x90\x00 not an image", "foto.jpg"), (b"", "foto.jpg")],
)
def test_an_unsupported_photo_is_named_on_its_document(app, content, name):
    staff, program = brigade()
    data = person_record(program)
    photo = photo_for(program, content, name)
    result = _conflict(data, [photo], staff)
    assert f"doc-{photo.requirement_id}" in result["campos"]
    assert FieldFile.select().count() == 1  # kept for the resolution, until it is resolved


def test_an_oversize_photo_is_refused(app):
    staff, program = brigade()
    data = person_record(program)
    small = sync.Context(**{**context(staff).__dict__, "max_bytes": 100})
    before = counts()
    result = sync.sync(data, [photo_for(program)], small)
    assert result["conflicto"] == sync.INVALID and counts() == before


def test_a_photo_for_another_programs_requirement_is_refused(app):
    staff, program = brigade()
    _staff2, other = brigade()
    data = person_record(program)
    result = _conflict(data, [photo_for(other)], staff)
    assert f"doc-{other.requirements.get().id}" in result["campos"]


def test_another_agencys_program_is_refused(app):
    staff, _program = brigade()
    _other_staff, other_program = brigade()
    result = _conflict(person_record(other_program), [], staff)
    assert "program" in result["campos"]


def test_the_state_counter_files_for_any_agency(app):
    _staff, program = brigade()
    state = make_staff("ventanilla_estatal")
    result = sync.sync(person_record(program), [photo_for(program)], context(state))
    assert result["estado"] == sync.APPLIED and result["folio"]


def test_a_closed_program_is_a_conflict(app):
    staff, program = brigade()
    Call.update(closes=dt.date(2026, 1, 31)).where(Call.program == program.id).execute()
    result = _conflict(person_record(program), [photo_for(program)], staff)
    assert result["conflicto"] == sync.CLOSED


def test_a_full_call_is_a_conflict_until_the_staff_member_accepts_the_waiting_list(app):
    staff, program = brigade()
    Call.update(quota=0).where(Call.program == program.id).execute()
    data = person_record(program)
    result = _conflict(data, [photo_for(program)], staff)
    assert result["conflicto"] == sync.FULL
    row = FieldSubmission.get(FieldSubmission.uuid == data["uuid"])
    resolved = sync.resolve(row, sync.WAIT, context(staff))
    assert resolved["estado"] == sync.APPLIED
    application = Application.get()
    assert application.status == "en_espera"
    assert Document.select().count() == 1  # the photo kept with the conflict was filed
    assert FieldFile.select().count() == 0


def test_a_curp_registered_with_other_data_is_a_conflict_field_by_field(app):
    staff, program = brigade()
    registered = make_citizen(given_names="Lucía", first_surname="Pérez")
    data = person_record(program, curp=registered.curp)
    result = _conflict(data, [photo_for(program)], staff)
    assert result["conflicto"] == sync.CURP_TAKEN
    assert set(result["campos"]) == {"given_names", "first_surname", "second_surname"}
    assert "Lucía" not in str(result) and "Pérez" not in str(result)


def test_the_same_person_registered_with_the_same_data_is_found_not_duplicated(app):
    staff, program = brigade()
    registered = make_citizen(given_names="Rosa", first_surname="HERNANDEZ", second_surname="Luna")
    data = person_record(program, curp=registered.curp)
    assert sync.sync(data, [photo_for(program)], context(staff))["estado"] == sync.APPLIED
    assert Citizen.select().count() == 1
    assert Application.get().citizen_id == registered.id


def test_keeping_the_registered_data_files_for_the_registered_person(app):
    staff, program = brigade()
    registered = make_citizen(given_names="Lucía")
    data = person_record(program, curp=registered.curp)
    sync.sync(data, [photo_for(program)], context(staff))
    row = FieldSubmission.get(FieldSubmission.uuid == data["uuid"])
    result = sync.resolve(row, sync.USE_REGISTERED, context(staff))
    assert result["estado"] == sync.APPLIED
    assert Citizen.get_by_id(registered.id).given_names == "Lucía"
    assert Application.get().citizen_id == registered.id
    entry = AuditEvent.get(AuditEvent.action == "brigada.resolver")
    assert entry.details["eleccion"] == sync.USE_REGISTERED
    # The device's retry now learns the resolution.
    assert sync.sync(data, [], context(staff))["estado"] == sync.APPLIED


def test_correcting_the_curp_and_retrying_registers_the_person(app):
    staff, program = brigade()
    registered = make_citizen(given_names="Lucía")
    data = person_record(program, curp=registered.curp)
    sync.sync(data, [photo_for(program)], context(staff))
    row = FieldSubmission.get(FieldSubmission.uuid == data["uuid"])
    fixed = person_record()["person"]["curp"]
    result = sync.resolve(row, sync.RETRY, context(staff), {"curp": fixed})
    assert result["estado"] == sync.APPLIED
    assert Citizen.select().count() == 2


def test_a_retry_that_still_fails_stays_a_conflict(app):
    staff, program = brigade()
    data = person_record(program)
    data["person"]["id_number"] = "1"
    sync.sync(data, [], context(staff))
    row = FieldSubmission.get(FieldSubmission.uuid == data["uuid"])
    result = sync.resolve(row, sync.RETRY, context(staff), {"id_number": "22"})
    assert result["estado"] == sync.CONFLICT and "id_number" in result["campos"]
    assert Citizen.select().count() == 0


def test_discarding_applies_nothing_and_cannot_be_resolved_twice(app):
    staff, program = brigade()
    data = person_record(program)
    data["person"]["curp"] = "X"
    sync.sync(data, [photo_for(program)], context(staff))
    row = FieldSubmission.get(FieldSubmission.uuid == data["uuid"])
    assert sync.resolve(row, sync.DISCARD, context(staff))["estado"] == sync.DISCARDED
    assert FieldFile.select().count() == 0 and FieldSubmission.get_by_id(row.id).record is None
    with pytest.raises(sync.AlreadyResolved):
        sync.resolve(row, sync.RETRY, context(staff))
    assert counts() == (0, 0, 0, 0)


def test_another_agencys_staff_cannot_resolve_it(app):
    staff, program = brigade()
    data = person_record(program, curp="X")
    sync.sync(data, [], context(staff))
    row = FieldSubmission.get(FieldSubmission.uuid == data["uuid"])
    for outsider in (make_staff("revisor"), make_staff("ventanilla_estatal")):
        with pytest.raises(sync.NotYours):
            sync.handled(outsider, row.uuid)
        with pytest.raises(sync.AlreadyResolved):
            sync.resolve(row, sync.DISCARD, context(outsider))
    assert sync.conflicts_of(make_staff("revisor")) == []


def test_the_agencys_brigade_staff_may_resolve_a_colleagues_conflict(app):
    staff, program = brigade()
    data = person_record(program, curp="X")
    sync.sync(data, [], context(staff))
    colleague = make_staff("admin_dependencia", staff.agency)
    assert [r.uuid for r in sync.conflicts_of(colleague)] == [data["uuid"]]
    row = sync.handled(colleague, data["uuid"])
    assert sync.resolve(row, sync.DISCARD, context(colleague))["estado"] == sync.DISCARDED
    assert make_staff("entrega", staff.agency) and sync.conflicts_of(staff) == []


def test_two_concurrent_retries_of_one_record_apply_it_once(app):
    staff, program = brigade()
    data = person_record(program)
    results, errors = [], []
    flask_app = app

    def send():
        with flask_app.app_context():
            try:
                results.append(sync.sync(data, [photo_for(program)], context(staff)))
            except Exception as exc:  # noqa: BLE001 - the assertion below shows it
                errors.append(exc)
            finally:
                if not db.is_closed():
                    db.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [r["estado"] for r in results] == [sync.APPLIED, sync.APPLIED]
    assert len({r["folio"] for r in results}) == 1
    assert Citizen.select().count() == 1 and Application.select().count() == 1
    assert FieldSubmission.select().count() == 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(replays=st.lists(st.integers(min_value=0, max_value=2), min_size=1, max_size=8))
def test_any_order_of_retries_applies_each_record_exactly_once(app, replays):
    """However a flaky connection repeats the three records, each is applied once."""
    staff, program = brigade()
    records = [person_record(program) for _ in range(3)]
    first = {}
    for index in [0, 1, 2, *replays]:
        result = sync.sync(records[index], [photo_for(program)], context(staff))
        first.setdefault(index, result["folio"])
        assert result["folio"] == first[index]
    curps = {r["person"]["curp"] for r in records}
    found = Citizen.select().where(Citizen.curp.in_(list(curps)))
    assert found.count() == 3
    assert Application.select().join(Citizen).where(Citizen.curp.in_(list(curps))).count() == 3


PERSON_VALUES = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=30),
    st.integers(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=1),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    changes=st.dictionaries(st.sampled_from(sync.PERSON_FIELDS), PERSON_VALUES, min_size=1),
    address=st.one_of(st.none(), st.text(max_size=5), st.dictionaries(st.text(), st.text())),
)
def test_any_bad_input_is_applied_in_full_or_leaves_only_its_conflict(app, changes, address):
    """Whatever a device sends in the person's fields, the server either applies
    the record in full or stores a conflict naming fields, and writes nothing else."""
    staff, program = brigade()
    data = person_record(program)
    data["person"].update(changes)
    data["address"] = address
    before = counts()
    result = sync.sync(data, [photo_for(program)], context(staff))
    if result["estado"] == sync.APPLIED:
        assert counts() == tuple(n + 1 for n in before[:3]) + (before[3] + 1,)
    else:
        assert result["estado"] == sync.CONFLICT and counts() == before
        assert result["campos"] or result["motivos"] or result["mensaje"]
