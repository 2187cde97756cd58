"""The facts the eligibility rules read of each citizen (portal/citizens/facts.py)
say what the record and its answers say after every write that changes them,
so the live rule preview, which reads only them, never drifts from the registry."""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
import re
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.backoffice.audit import Actor
from portal.catalog import preview as rule_preview
from portal.catalog.schema import OPERATORS_BY_KIND, Condition
from portal.citizens import facts, record
from portal.citizens.oidc import DigitalIdentity
from portal.demo import data as demo
from portal.demo.synthetic import draw_profile, generate_citizens
from portal.eligibility import answers
from portal.eligibility.profile import EMPLOYMENTS, FIELDS, RULE_FIELDS, STUDENT_LEVELS
from portal.models import Citizen, CitizenFacts, CitizenMerge, DuplicateCandidate
from portal.rolls import duplicates, writing
from portal.web.database import db
from tests.factories import make_citizen, make_municipality, make_program, make_staff, valid_curp
from tests.padron_builders import person, write_roll

ROOT = Path(__file__).resolve().parents[2]
QUERETARO, CORREGIDORA = "22014", "22006"
ON = dt.date(2026, 6, 15)
_serial = count(1)
# Children a guardian may apply for in the property below (the same child may
# come back, and then their record is updated).
CHILD_CURPS = [valid_curp(dt.date(2015 + i, 3, 3), "M") for i in range(3)]


def expected(citizen_id: int) -> dict:
    """The facts, read in Python from the record as it is now: a value of its
    field's JSON type, else None; the record's municipality, else the answered one."""
    citizen = Citizen.get_by_id(citizen_id)
    profile = citizen.profile if isinstance(citizen.profile, dict) else {}

    def is_number(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def typed(name: str, test) -> object:
        value = profile.get(name)
        return value if test(value) else None

    ages = profile.get("children_ages")
    numbers = [float(a) for a in ages if is_number(a)] if isinstance(ages, list) else None
    answered_municipality = typed("municipality", lambda v: isinstance(v, str))
    return {
        "municipality": citizen.municipality_id,
        "lives_in": citizen.municipality_id or answered_municipality,
        "birth_date": citizen.birth_date,
        "sex": citizen.sex,
        **{n: float(v) if (v := typed(n, is_number)) is not None else None for n in facts.NUMBERS},
        **{n: typed(n, lambda v: isinstance(v, str)) for n in facts.TEXTS},
        **{n: typed(n, lambda v: isinstance(v, bool)) for n in facts.BOOLEANS},
        "children": None if numbers is None else len(numbers),
        "youngest_child": min(numbers) if numbers else None,
        "eldest_child": max(numbers) if numbers else None,
    }


def kept(citizen_id: int) -> dict | None:
    row = CitizenFacts.select().where(CitizenFacts.citizen == citizen_id).dicts().first()
    if row is None:
        return None
    del row["citizen"]
    return row


def assert_registry_kept() -> None:
    """Every citizen has its facts, equal to what its record says, and no
    facts are left of a record that is gone."""
    citizens = sorted(Citizen.select(Citizen.id).scalars())
    assert sorted(CitizenFacts.select(CitizenFacts.citizen).scalars()) == citizens
    for citizen_id in citizens:
        assert kept(citizen_id) == expected(citizen_id), Citizen.get_by_id(citizen_id).profile


def identity(curp: str | None = None, **overrides) -> DigitalIdentity:
    n = next(_serial)
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=n)
    fields = {
        "issuer": "https://llave.example.org",
        "subject": f"sub-{n}",
        "curp": curp or valid_curp(birth, "M"),
        "given_names": "Ana",
        "first_surname": "López",
        "second_surname": "Ruiz",
        "birth_date": birth,
        "sex": "M",
        "email": "",
    }
    fields.update(overrides)
    return DigitalIdentity(**fields)


@pytest.fixture
def place(app):
    make_municipality(QUERETARO, "Querétaro")
    make_municipality(CORREGIDORA, "Corregidora")


@pytest.fixture
def staff(app):
    return make_staff("revisor")


# Each write path --------------------------------------------------------------------------


def test_a_first_digital_id_sign_in_keeps_the_new_records_facts(place):
    citizen, outcome = record.record_for(identity())
    assert outcome == "created"
    assert kept(citizen.id) == expected(citizen.id)
    assert kept(citizen.id)["children"] is None and kept(citizen.id)["lives_in"] is None


def test_answers_saved_merged_typed_at_the_counter_and_forgotten_are_kept(place, staff):
    citizen, _ = record.record_for(identity())
    record.merge_answers(citizen, {"household_size": 4, "municipality": CORREGIDORA})
    assert kept(citizen.id)["household_size"] == 4.0
    assert kept(citizen.id)["lives_in"] == CORREGIDORA  # the record names none
    answers.save_citizen_answers(citizen.id, {"children_ages": [9, 2, 15], "disability": False})
    assert (kept(citizen.id)["children"], kept(citizen.id)["youngest_child"]) == (3, 2.0)
    assert kept(citizen.id)["eldest_child"] == 15.0 and kept(citizen.id)["disability"] is False
    answers.answer_at_counter(citizen.id, "employment", "hogar", Actor.staff(staff))
    assert kept(citizen.id) == expected(citizen.id)
    assert kept(citizen.id)["employment"] == "hogar"
    record.forget_answers(citizen, Actor.citizen(citizen))
    assert kept(citizen.id) == expected(citizen.id)
    assert kept(citizen.id)["household_size"] is None and kept(citizen.id)["lives_in"] is None


def test_the_municipality_of_the_address_moves_the_person(place, staff):
    citizen = make_citizen(municipality=QUERETARO, profile={"municipality": CORREGIDORA})
    record.update_contact(citizen, {}, CORREGIDORA, Actor.citizen(citizen))
    assert (kept(citizen.id)["municipality"], kept(citizen.id)["lives_in"]) == (CORREGIDORA,) * 2
    record.update_contact(citizen, {}, None, Actor.citizen(citizen))
    # No municipality on the record: the one answered in the questionnaire counts.
    assert (kept(citizen.id)["municipality"], kept(citizen.id)["lives_in"]) == (None, CORREGIDORA)


def test_a_counter_registration_keeps_the_facts(place, staff):
    born = dt.date(1961, 7, 4)
    citizen = record.register_at_counter(
        record.CounterRegistration(
            curp=valid_curp(born, "H"),
            given_names="Luis",
            first_surname="Mora",
            second_surname="",
            birth_date=born,
            sex="H",
            municipality=QUERETARO,
            id_type="pasaporte",
            id_number="G12345678",
        ),
        Actor.staff(staff),
    )
    assert kept(citizen.id) == expected(citizen.id)
    assert (kept(citizen.id)["birth_date"], kept(citizen.id)["sex"]) == (born, "H")


def test_a_childs_record_made_or_updated_by_a_guardian_keeps_its_facts(place):
    guardian = make_citizen(municipality=QUERETARO)
    details = record.ChildDetails(valid_curp(dt.date(2019, 4, 2), "H"), "Leo", "Mora", "")
    child, created = record.record_for_child(details, {"disability": True}, guardian, on=ON)
    assert created and kept(child.id)["disability"] is True
    assert kept(child.id)["municipality"] == QUERETARO
    again, created = record.record_for_child(
        details, {"student_level": "primaria"}, guardian, on=ON
    )
    assert again.id == child.id and not created
    assert kept(child.id) == expected(child.id)
    assert kept(child.id)["student_level"] == "primaria"


def test_a_roll_import_keeps_the_facts_of_the_people_it_records(place, tmp_path):
    existing = make_citizen(profile={"household_size": 2})
    path = write_roll(tmp_path / "padron.csv", [person(n) for n in range(15)])
    batch, pending = writing.prepare_batch(path, path.name, make_program())
    assert pending
    batch = writing.run_batch(batch.id, path, today=dt.date(2026, 3, 1))
    assert batch.new_citizens == 15
    assert_registry_kept()
    assert kept(existing.id)["household_size"] == 2.0


def test_discarding_a_lost_import_takes_the_facts_of_the_records_it_made(place, tmp_path):
    class LostRun(Exception):
        pass

    existing = make_citizen()
    path = write_roll(tmp_path / "padron.csv", [person(n) for n in range(12)])
    batch, _ = writing.prepare_batch(path, path.name, make_program())

    def die(processed: int, _total: int) -> None:
        if processed >= 5:
            raise LostRun

    with pytest.raises(LostRun):
        writing.run_batch(batch.id, path, progress=die, parallel=False)
    writing.fail_batch(batch.id, "perdida")
    writing.discard_staged(batch.id)
    # The facts do not count as something that still points at a record.
    assert [c.id for c in Citizen.select()] == [existing.id]
    assert_registry_kept()


def test_merging_duplicates_removes_the_merged_records_facts(place):
    staff = make_staff("admin_estatal")
    survivor = make_citizen(profile={"household_size": 3})
    merged = make_citizen(profile={"household_size": 5})
    candidate = DuplicateCandidate.create(
        citizen_a=survivor.id, citizen_b=merged.id, score=0.97, kind="nombre_parecido"
    )
    duplicates.merge(
        candidate.id,
        survivor.id,
        Actor.staff(staff),
        staff.id,
        reason="Misma credencial de elector y domicilio.",
    )
    assert kept(merged.id) is None
    assert kept(survivor.id) == expected(survivor.id)
    assert_registry_kept()


def test_the_bulk_registry_load_keeps_facts_with_or_without_answers(app, monkeypatch):
    demo.load_municipalities()
    monkeypatch.setattr(demo, "BULK_CHUNK", 7)
    people = list(generate_citizens(30, seed=41))
    assert demo.bulk_insert_registry(iter(people[:10])) == 10
    rng = random.Random(41)
    assert demo.bulk_insert_registry(iter(people), lambda p: draw_profile(p, rng, ON)) == 20
    assert_registry_kept()
    assert sum(1 for c in Citizen.select() if c.profile) == 20
    assert CitizenFacts.select().where(CitizenFacts.employment.is_null(False)).count() > 0


def test_the_demo_people_who_answered_keep_their_facts(app):
    demo.load_municipalities()
    people = list(generate_citizens(12, seed=42))
    rng = random.Random(42)
    demo._insert_new(((p, draw_profile(p, rng, ON)) for p in people), set())
    assert Citizen.select().count() == 12
    assert_registry_kept()


def test_deleting_a_record_deletes_its_facts(place):
    citizen = make_citizen()
    Citizen.delete().where(Citizen.id == citizen.id).execute()
    assert kept(citizen.id) is None


def test_migration_0041_fills_the_facts_of_the_records_already_there(place, monkeypatch):
    """The backfill reads the rows as facts.keep does, chunk after chunk."""
    people = [
        make_citizen(profile={"children_ages": [], "pregnant": True}),
        make_citizen(municipality=None, profile={"municipality": CORREGIDORA, "disability": None}),
        make_citizen(profile={"household_size": "cuatro", "household_income_monthly": 9000.5}),
        make_citizen(profile={"children_ages": [3, "x", True, 11.5], "employment": 7}),
        make_citizen(profile={}),
    ]
    CitizenFacts.delete().execute()
    spec = importlib.util.spec_from_file_location(
        "citizen_facts_0041", ROOT / "migrations" / "0041_citizen_facts.py"
    )
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    monkeypatch.setattr(migration, "CHUNK", 2)
    migration._backfill(db.obj)
    assert_registry_kept()
    assert kept(people[3].id)["children"] == 2  # the numbers of the list, no others
    assert kept(people[2].id)["household_size"] is None


def test_keep_is_idempotent_and_ignores_ids_without_a_record(place):
    citizen = make_citizen(profile={"indigenous": True})
    facts.keep([citizen.id, citizen.id, 10_000_000])
    facts.keep_range(1, 10_000_000)
    assert_registry_kept()


def test_every_rule_field_and_operator_is_judged_from_the_facts():
    """A field the rules may use that the facts do not hold would be counted
    as unknown in the preview; none is."""
    for name in RULE_FIELDS:
        assert name in rule_preview._KNOWN, name
        for op in OPERATORS_BY_KIND[FIELDS[name].kind]:
            value = {"between": (1, 2), "in": (1,), "not_in": (1,)}.get(op, 1)
            if op in ("is_true", "is_false"):
                value = None
            sql = rule_preview._Sql(sqlite=True)
            condition = Condition(name, op, value, "razón")
            compiled = rule_preview.compile_condition(sql, condition, ON, "22")
            assert compiled is not None, (name, op)


# Writes of citizen rows in the portal's code, by the shapes it writes them in.
_CITIZEN_WRITES = re.compile(
    r"Citizen\.(create|update|insert|insert_many|replace|bulk_create|bulk_update)\("
    r"|citizen\.save\(|INSERT INTO \"?citizen\b|UPDATE \"?citizen\b"
    r"|insert_many\(\s*\"citizen\""
)


def test_every_module_that_writes_citizen_rows_keeps_their_facts():
    """A new write path (another branch, a new feature) must keep the facts too,
    or the preview drifts: a module that writes citizen rows calls facts.keep."""
    writers = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if _CITIZEN_WRITES.search(text):
            writers.append(path.relative_to(ROOT).as_posix())
            assert "keep_facts(" in text or "facts.keep" in text, path
    assert "portal/citizens/record.py" in writers and "portal/rolls/writing.py" in writers


# Property: after any sequence of writes, the facts are the record's ------------------------

odd_values = st.one_of(
    st.text(alphabet="abcñ 0123", max_size=5),
    st.integers(-5, 50),
    st.booleans(),
    st.none(),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.lists(st.one_of(st.integers(0, 17), st.text(alphabet="xy", max_size=2)), max_size=3),
)
values_by_field = {
    "household_size": st.integers(1, 8),
    "household_income_monthly": st.one_of(
        st.integers(0, 40).map(lambda n: n * 250), st.integers(0, 900_000).map(lambda c: c / 100)
    ),
    "children_ages": st.lists(st.integers(0, 17), max_size=4),
    "student_level": st.sampled_from(STUDENT_LEVELS),
    "employment": st.sampled_from(EMPLOYMENTS),
    "disability": st.booleans(),
    "indigenous": st.booleans(),
    "pregnant": st.booleans(),
    "municipality": st.sampled_from((QUERETARO, CORREGIDORA, "11020")),
}
# Some answers of each field's type, now and then one of another type.
answer_changes = st.lists(
    st.sampled_from(sorted(values_by_field)), unique=True, max_size=4
).flatmap(
    lambda keys: st.fixed_dictionaries(
        {k: st.one_of(values_by_field[k], values_by_field[k], odd_values) for k in keys}
    )
)
who = st.integers(0, 20)
steps = st.one_of(
    st.tuples(st.just("sign_in"), st.sampled_from((QUERETARO, None))),
    st.tuples(st.just("save_answers"), who, answer_changes),
    st.tuples(st.just("merge_answers"), who, answer_changes),
    st.tuples(st.just("answer_at_counter"), who, answer_changes),
    st.tuples(st.just("forget_answers"), who),
    st.tuples(st.just("move"), who, st.sampled_from((QUERETARO, CORREGIDORA, None))),
    st.tuples(st.just("child"), who, st.integers(0, 2), answer_changes),
    st.tuples(st.just("register_at_counter"), st.sampled_from((QUERETARO, CORREGIDORA))),
    st.tuples(st.just("merge_duplicates"), who, who),
    st.tuples(st.just("bulk_load"), st.integers(0, 3), st.booleans()),
)


def _apply(step: tuple, staff) -> None:
    kind, *args = step
    ids = sorted(Citizen.select(Citizen.id).scalars())
    if kind == "sign_in":
        citizen, _ = record.record_for(identity())
        if args[0]:
            record.update_contact(citizen, {}, args[0], Actor.citizen(citizen))
        return
    if kind == "register_at_counter":
        n = next(_serial)
        born = dt.date(1950, 1, 1) + dt.timedelta(days=n)
        record.register_at_counter(
            record.CounterRegistration(
                valid_curp(born, "H"), "Luis", "Mora", "", born, "H",
                args[0], "pasaporte", "G12345678",
            ),
            Actor.staff(staff),
        )  # fmt: skip
        return
    if kind == "bulk_load":
        seed, with_answers = args
        people = list(generate_citizens(2, seed=100 + seed))
        rng = random.Random(seed)
        demo.bulk_insert_registry(
            iter(people), (lambda p: draw_profile(p, rng, ON)) if with_answers else None
        )
        return
    if not ids:
        return
    citizen = Citizen.get_by_id(ids[args[0] % len(ids)])
    if kind == "save_answers":
        answers.save_citizen_answers(citizen.id, args[1])
    elif kind == "merge_answers":
        record.merge_answers(citizen, args[1])
    elif kind == "answer_at_counter":
        for field, value in args[1].items():
            answers.answer_at_counter(citizen.id, field, value, Actor.staff(staff))
    elif kind == "forget_answers":
        record.forget_answers(citizen, Actor.citizen(citizen))
    elif kind == "move":
        record.update_contact(citizen, {}, args[1], Actor.citizen(citizen))
    elif kind == "child":
        details = record.ChildDetails(CHILD_CURPS[args[1]], "Eva", "Mora", "")
        try:
            record.record_for_child(details, args[2], citizen, on=ON)
        except record.NotAChild:
            pass
    elif kind == "merge_duplicates":
        other = Citizen.get_by_id(ids[args[1] % len(ids)])
        if other.id == citizen.id:
            return
        low, high = sorted((citizen.id, other.id))
        candidate, _ = DuplicateCandidate.get_or_create(
            citizen_a=low, citizen_b=high, defaults={"score": 0.9, "kind": "nombre_parecido"}
        )
        if candidate.status == "pendiente":
            duplicates.merge(
                candidate.id, citizen.id, Actor.staff(staff), staff.id,
                reason="Misma credencial de elector y domicilio.",
            )  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(steps, min_size=1, max_size=10))
def test_after_any_sequence_of_writes_the_facts_are_what_the_records_say(place, sequence):
    CitizenMerge.delete().execute()
    Citizen.delete().execute()
    demo.load_municipalities()  # the synthetic people's
    staff = make_staff("admin_estatal")
    for step in sequence:
        _apply(step, staff)
        assert_registry_kept()
