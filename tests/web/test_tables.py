"""portal.web.tables.find and BaseModel.get_by_id: the same rows as peewee's own
look-ups, with the statement's text built once (both engines)."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.models import Application, Citizen, Program, Requirement, StaffUser, WebSession
from portal.web import tables
from portal.web.tables import Prepared, Slot, find
from tests.factories import make_application, make_citizen, make_program, make_staff


@pytest.fixture
def rows(app):
    citizen = make_citizen(profile={"household_size": 4, "ocupacion": "hogar"})
    program = make_program()
    application = make_application(citizen=citizen, program=program)
    return citizen, program, application, make_staff()


def test_find_gives_what_get_or_none_gives_for_every_column_type(rows):
    citizen, program, application, staff = rows
    for model, row in ((Citizen, citizen), (Program, program), (Application, application),
                       (StaffUser, staff)):  # fmt: skip
        found = find(model, model.id, row.id)
        expected = model.get_or_none(model.id == row.id)
        assert type(found) is model
        assert found.__data__ == expected.__data__
        assert found.__data__ == model.get_by_id(row.id).__data__
    # JSON, dates and datetimes come back converted, as peewee converts them.
    assert find(Citizen, Citizen.id, citizen.id).profile == {
        "household_size": 4,
        "ocupacion": "hogar",
    }
    assert isinstance(find(Citizen, Citizen.id, citizen.id).birth_date, dt.date)
    assert isinstance(find(Application, Application.id, application.id).created_at, dt.datetime)


def test_find_by_another_unique_column_and_missing_rows(rows):
    citizen, _program, application, _staff = rows
    assert find(Citizen, Citizen.curp, citizen.curp).id == citizen.id
    assert find(Application, Application.folio, application.folio).id == application.id
    assert find(Citizen, Citizen.curp, "XEXX010101HNEXXXA4") is None
    assert find(WebSession, WebSession.id_hash, "0" * 64) is None
    assert find(Program, Program.id, 10**9) is None


def test_get_by_id_still_raises_does_not_exist(rows):
    with pytest.raises(Program.DoesNotExist):
        Program.get_by_id(10**9)


def test_the_statement_is_built_once_and_values_change(rows, monkeypatch):
    citizen, _program, _application, _staff = rows
    other = make_citizen()
    find(Citizen, Citizen.id, citizen.id)
    built = []
    original = Citizen.select

    def counting(*args, **kwargs):
        built.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(Citizen, "select", counting)
    assert find(Citizen, Citizen.id, other.id).id == other.id
    assert find(Citizen, Citizen.id, citizen.id).id == citizen.id
    assert built == []
    assert any(key[0] is Citizen and key[1] == "id" for key in tables._LOOKUPS)


def test_a_row_found_is_a_fresh_object_each_time(rows):
    """Callers may change what they got (a view edits a record): the next
    look-up must not hand them the same object."""
    citizen, *_ = rows
    first = find(Citizen, Citizen.id, citizen.id)
    first.given_names = "Otro nombre"
    assert find(Citizen, Citizen.id, citizen.id).given_names == citizen.given_names
    assert find(Citizen, Citizen.id, citizen.id) is not first


# Prepared queries ---------------------------------------------------------------


REQUIREMENTS = Prepared(
    lambda: (
        Requirement.select()
        .where(Requirement.program == Slot("program"))
        .order_by(Requirement.position, Requirement.id)
    )
)
SINCE = Prepared(
    lambda ids: (
        Application.select(Application.id)
        .where(
            Application.id.in_(Slot.many("ids", ids)) & (Application.created_at >= Slot("since"))
        )
        .order_by(Application.id)
        .tuples()
    )
)


def test_a_prepared_query_gives_what_the_query_gives(rows):
    _citizen, program, *_ = rows
    other = make_program(slug="otro-programa")
    for p in (program, other):
        expected = [
            r.__data__
            for r in Requirement.select()
            .where(Requirement.program == p.id)
            .order_by(Requirement.position, Requirement.id)
        ]
        assert expected
        assert [r.__data__ for r in REQUIREMENTS(program=p.id)] == expected
    # A model instance where the column takes its id, as peewee accepts.
    assert [r.id for r in REQUIREMENTS(program=program)] == [
        r.id for r in REQUIREMENTS(program=program.id)
    ]


def test_prepared_values_are_converted_like_peewee_converts_them(rows):
    """A datetime compared with a column goes through the column's db_value
    (on SQLite a formatted string): the slot remembers that converter."""
    citizen, program, application, _staff = rows
    later = make_application(citizen=make_citizen(), program=program)
    ids = [application.id, later.id]
    long_ago = dt.datetime(2000, 1, 1)
    assert list(SINCE(ids=ids, since=long_ago)) == [(application.id,), (later.id,)]
    assert list(SINCE(ids=ids, since=dt.datetime(2999, 1, 1))) == []
    # Another length of list is built once more and gives its own rows.
    assert list(SINCE(ids=[later.id], since=long_ago)) == [(later.id,)]
    assert list(SINCE(ids=[*ids, 10**9], since=long_ago)) == [(application.id,), (later.id,)]


def test_a_prepared_insert_writes_what_create_writes(app):
    """Every column type (text, integer, null, datetime, JSON) converted as
    peewee converts it, the new id returned, the statement built once."""
    from portal.backoffice.models import AuditEvent

    insert = tables.PreparedInsert(AuditEvent)
    when = dt.datetime(2026, 12, 4, 1, 2, 3, 456789)
    values = {
        "created_at": when,
        "actor_kind": "personal",
        "actor_id": 7,
        "role": "revisor",
        "agency_id": None,
        "object_type": "solicitud",
        "object_id": "VU-1",
        "action": "caso_visto",
        "outcome": "ok",
        "request_id": "r1",
        "details": {"motivo": "revisión", "n": [1, 2]},
        "prev_hash": "0" * 64,
    }
    ids = [insert(**values, hash=f"{n:064x}") for n in range(3)]
    created = AuditEvent.create(**values, hash="f" * 64)
    assert len(insert._built) == 1
    assert ids == sorted(set(ids)) and created.id == ids[-1] + 1
    written = AuditEvent.get_by_id(ids[0]).__data__
    expected = AuditEvent.get_by_id(created.id).__data__
    for key in ("id", "hash"):
        written.pop(key), expected.pop(key)
    assert written == expected
    assert written["created_at"] == when and written["details"] == {
        "motivo": "revisión",
        "n": [1, 2],
    }
