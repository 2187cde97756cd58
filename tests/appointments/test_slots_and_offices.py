"""Opening slots, and loading the state's offices from their file."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.appointments import offices
from portal.appointments.models import Office, Slot
from portal.appointments.slots import OFFICE, AppointmentError, Place, Run, bookable, open_slots
from portal.models import AuditEvent
from tests.appointments.builders import make_office, make_slot
from tests.factories import make_municipality, make_staff

MONDAY = dt.date(2030, 1, 7)
BEFORE = dt.datetime(2030, 1, 6, 12, 0)


def week(**overrides) -> Run:
    fields = {
        "first_day": MONDAY,
        "days": 7,
        "starts": dt.time(9),
        "ends": dt.time(11),
        "length": 30,
        "capacity": 4,
    }
    fields.update(overrides)
    return Run(**fields)


def test_a_week_of_slots_skips_the_weekend_and_is_audited(app):
    place = Place(OFFICE, make_office())
    staff = make_staff("admin_estatal")
    assert open_slots(place, week(), staff, now=BEFORE) == 5 * 4
    days = {s.day for s in Slot.select()}
    assert len(days) == 5 and all(d.weekday() < 5 for d in days)
    assert {s.capacity for s in Slot.select()} == {4}
    entry = AuditEvent.get(AuditEvent.action == "citas.horarios")
    assert entry.details["horarios"] == 20


def test_opening_the_same_week_again_changes_nothing(app):
    place = Place(OFFICE, make_office())
    staff = make_staff("admin_estatal")
    open_slots(place, week(), staff, now=BEFORE)
    entries = AuditEvent.select().count()
    assert open_slots(place, week(), staff, now=BEFORE) == 0
    assert Slot.select().count() == 20
    assert AuditEvent.select().count() == entries


def test_weekends_when_asked(app):
    place = Place(OFFICE, make_office())
    assert open_slots(place, week(weekends=True), make_staff("admin_estatal"), now=BEFORE) == 28


def test_times_of_today_already_gone_are_not_opened(app):
    place = Place(OFFICE, make_office())
    now = dt.datetime.combine(MONDAY, dt.time(10, 0))
    made = open_slots(place, week(days=1), make_staff("admin_estatal"), now=now)
    # 9:00, 9:30 and 10:00 have begun: only 10:30 is opened.
    assert made == 1
    assert [s.starts for s in Slot.select()] == [dt.time(10, 30)]


@pytest.mark.parametrize(
    ("run", "field"),
    [
        (week(first_day=dt.date(2030, 1, 5)), "desde"),
        (week(days=0), "dias"),
        (week(days=15), "dias"),
        (week(capacity=0), "capacidad"),
        (week(capacity=501), "capacidad"),
        (week(length=2), "duracion"),
        (week(starts=dt.time(12), ends=dt.time(11)), "hasta"),
        (week(starts=dt.time(9), ends=dt.time(9, 20)), "hasta"),
    ],
)
def test_bad_runs_are_refused_on_their_field_and_open_nothing(app, run, field):
    place = Place(OFFICE, make_office())
    with pytest.raises(AppointmentError) as refused:
        open_slots(place, run, make_staff("admin_estatal"), now=BEFORE)
    assert refused.value.field == field
    assert Slot.select().count() == 0


def test_bookable_lists_only_coming_slots_with_free_places(app):
    office = make_office()
    place = Place(OFFICE, office)
    now = dt.datetime.combine(MONDAY, dt.time(10, 0))
    free = make_slot(office, day=MONDAY, starts=dt.time(11))
    make_slot(office, day=MONDAY, starts=dt.time(9))  # begun
    full = make_slot(office, day=MONDAY, starts=dt.time(12), capacity=1)
    Slot.update(booked=1).where(Slot.id == full.id).execute()
    make_slot(make_office(), day=MONDAY, starts=dt.time(11))  # another office
    assert [s.id for s in bookable(place, now=now)] == [free.id]


def test_offices_load_from_the_shipped_file_and_again_idempotently(app):
    make_municipality("22014", "Querétaro")
    first = offices.load()
    assert first["nuevas"] == 3
    centro = Office.get(Office.slug == "centro-queretaro")
    assert centro.municipality_id == "22014" and centro.lat is not None
    entries = AuditEvent.select().count()
    again = offices.load()
    assert again == {"nuevas": 0, "actualizadas": 0, "iguales": 3, "desactivadas": 0}
    assert AuditEvent.select().count() == entries


def test_loading_a_changed_file_updates_and_deactivates(app, tmp_path):
    offices.load()
    changed = tmp_path / "offices.yaml"
    changed.write_text(
        "offices:\n"
        "  - slug: centro-queretaro\n"
        "    name: Oficina Centro (nueva sede)\n"
        "    address: Calle Nueva 1\n",
        encoding="utf-8",
    )
    counts = offices.load(changed)
    assert counts == {"nuevas": 0, "actualizadas": 1, "iguales": 0, "desactivadas": 2}
    assert Office.get(Office.slug == "centro-queretaro").name == "Oficina Centro (nueva sede)"
    assert Office.select().where(Office.active).count() == 1


@pytest.mark.parametrize(
    "text",
    [
        "offices:\n  - name: Sin clave\n    address: X\n",
        "offices:\n  - {slug: a, name: A, address: X}\n  - {slug: a, name: B, address: Y}\n",
        "offices:\n  - {slug: a, address: X}\n",
    ],
)
def test_a_bad_offices_file_is_refused_and_loads_nothing(app, tmp_path, text):
    bad = tmp_path / "offices.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError):
        offices.load(bad)
    assert Office.select().count() == 0


def test_the_offices_command_loads_the_file(app):
    result = app.test_cli_runner().invoke(args=["offices", "load"])
    assert result.exit_code == 0, result.output
    assert "nuevas: 3" in result.output
    result = app.test_cli_runner().invoke(args=["offices", "load"])
    assert "iguales: 3" in result.output


def test_the_appointments_commands_run(app):
    runner = app.test_cli_runner()
    assert "recordatorios: 0" in runner.invoke(args=["appointments", "remind"]).output
    assert "inasistencias: 0" in runner.invoke(args=["appointments", "sweep"]).output
