"""Proactive eligibility (issue 18, item 4): who is told, once per call, when a
call opens or a program version is published."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.applications import notice_texts
from portal.backoffice.audit import Actor
from portal.catalog.schema import catalog_from_dict
from portal.catalog.store import load_catalog
from portal.citizens import consents
from portal.models import Call, Notice, Program
from portal.outreach import screening, tasks
from portal.outreach.models import ProgramTip
from portal.vocabulary import ConsentPurpose
from tests.catalog_builders import catalog_data, program_data
from tests.factories import make_application, make_citizen

WOMEN_ONLY = {"field": "sex", "op": "eq", "value": "M", "reason": "Es solo para mujeres."}
LOW_INCOME = {
    "field": "household_income_monthly",
    "op": "lte",
    "value": 8000,
    "reason": "Es para hogares con menos de 8,000 pesos al mes.",
}


def publish(*programs) -> list[Program]:
    load_catalog(catalog_from_dict(catalog_data(*programs)))
    return [Program.get(Program.slug == p["slug"]) for p in programs]


def consenting(**fields):
    citizen = make_citizen(**fields)
    consents.grant(citizen, ConsentPurpose.AVISOS_PROGRAMAS, Actor.citizen(citizen))
    return citizen


def tips_of(citizen) -> list[ProgramTip]:
    return list(ProgramTip.select().where(ProgramTip.citizen == citizen.id))


def notices_of(citizen) -> list[Notice]:
    return list(Notice.select().where(Notice.citizen == citizen.id))


def test_publishing_a_program_tells_the_consenting_people_who_may_receive_it(app):
    woman = consenting(sex="M")
    [program] = publish(program_data(WOMEN_ONLY, slug="mujeres", name="Apoyo a Mujeres"))
    [notice] = notices_of(woman)
    assert notice.title == "Podría recibir Apoyo a Mujeres"
    assert notice.link == "/programas/mujeres/solicitar"
    assert "Secretaría de Desarrollo Social" in notice.body
    assert "31 de diciembre de 2027" in notice.body
    [tip] = tips_of(woman)
    assert (tip.program_id, tip.verdict) == (program.id, "eligible")


def test_the_notice_reads_in_the_language_of_whoever_reads_it(app):
    """Stored as a kind and its facts, like every notice: an English reader gets
    the interface's words in English, the program's name and agency as written."""
    woman = consenting(sex="M")
    publish(program_data(WOMEN_ONLY, slug="mujeres", name="Apoyo a Mujeres"))
    [notice] = notices_of(woman)
    assert notice.kind == "programa_posible"
    shown = notice_texts.plain(notice, "en")
    assert shown.title == "You might receive Apoyo a Mujeres"
    assert shown.body.startswith(
        "From the answers you gave us, you might receive Apoyo a Mujeres from "
        "Secretaría de Desarrollo Social. The call is open until December 31, 2027."
    )


def test_people_outside_the_rules_or_without_consent_are_not_told(app):
    man = consenting(sex="H")
    silent = make_citizen(sex="M")
    withdrawn = consenting(sex="M")
    consents.revoke(withdrawn, ConsentPurpose.AVISOS_PROGRAMAS, Actor.citizen(withdrawn))
    publish(program_data(WOMEN_ONLY, slug="mujeres"))
    for person in (man, silent, withdrawn):
        assert notices_of(person) == [] and tips_of(person) == []


def test_maybe_is_told_too_and_says_so_in_the_row(app):
    woman = consenting(sex="M")  # never answered her household income
    publish(program_data(LOW_INCOME, slug="ingreso"))
    [tip] = tips_of(woman)
    assert tip.verdict == "maybe"
    assert len(notices_of(woman)) == 1


def test_whoever_already_applied_to_the_call_is_not_told(app):
    [program] = publish(program_data(slug="abierto"))
    woman = consenting(sex="M")
    make_application(woman, program)
    call = Call.get(Call.program == program.id)
    assert screening.screen_chunk([call.id]).told == 0
    assert notices_of(woman) == []


def test_a_new_version_or_a_rerun_never_tells_twice(app):
    woman = consenting(sex="M")
    [program] = publish(program_data(WOMEN_ONLY, slug="mujeres"))
    publish(program_data(WOMEN_ONLY, slug="mujeres", summary="Texto nuevo."))
    call = Call.get(Call.program == program.id)
    assert screening.screen_chunk([call.id]).told == 0
    tasks.screen_calls([call.id])
    assert len(notices_of(woman)) == 1 and len(tips_of(woman)) == 1


TWO_CALLS = [
    {"opens": "2026-01-01", "closes": "2026-06-30", "quota": 10},
    {"opens": "2026-07-01", "closes": "2027-12-31", "quota": 10},
]
IN_THE_FIRST = dt.date(2026, 3, 1)


def test_each_call_of_a_program_tells_once(app):
    woman = consenting(sex="M")
    [program] = publish(program_data(slug="dos", calls=TWO_CALLS))
    first, second = Call.select().where(Call.program == program.id).order_by(Call.opens)
    assert [t.call_id for t in tips_of(woman)] == [second.id]  # the one open today
    screening.screen_chunk([first.id], on=IN_THE_FIRST)
    screening.screen_chunk([first.id], on=IN_THE_FIRST)
    assert sorted(t.call_id for t in tips_of(woman)) == [first.id, second.id]
    assert len(notices_of(woman)) == 2


def test_screening_goes_in_chunks_and_tells_everybody_once(app):
    women = [consenting(sex="M") for _ in range(7)]
    [program] = publish(program_data(WOMEN_ONLY, slug="mujeres", calls=[]))
    call = Call.create(
        program=program, opens=dt.date(2026, 1, 1), closes=dt.date(2027, 12, 31), quota=50
    )
    after, chunks = 0, 0
    while after is not None:
        done = screening.screen_chunk([call.id], after, size=3)
        after, chunks = done.after, chunks + 1
    assert chunks == 3
    assert all(len(notices_of(w)) == 1 for w in women)


def test_a_closed_call_or_an_inactive_program_tells_nobody(app):
    consenting(sex="M")
    [program] = publish(program_data(slug="cerrado", calls=[]))
    closed = Call.create(
        program=program, opens=dt.date(2025, 1, 1), closes=dt.date(2025, 12, 31), quota=5
    )
    assert screening.screen_chunk([closed.id]) == screening.Chunk(0, 0, None)
    Program.update(active=False).where(Program.id == program.id).execute()
    later = Call.create(
        program=program, opens=dt.date(2026, 1, 1), closes=dt.date(2027, 12, 31), quota=5
    )
    assert screening.screen_chunk([later.id]) == screening.Chunk(0, 0, None)
    assert screening.screen_chunk([999_999]) == screening.Chunk(0, 0, None)
    assert not ProgramTip.select().exists()


def test_the_morning_task_screens_the_calls_opening_today(app):
    woman = consenting(sex="M")
    [program] = publish(program_data(slug="manana", calls=[]))
    today = dt.date.today()
    call = Call.create(program=program, opens=today, closes=today + dt.timedelta(days=30), quota=5)
    assert tasks.screen_calls_opening_today.call_local() == [call.id]
    assert [t.call_id for t in tips_of(woman)] == [call.id]


EXAMPLES = itertools.count()
OPERATIONS = st.lists(
    st.sampled_from(["publish", "republish", "rerun_first", "rerun_second", "consent_new"]),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_one_notice_per_person_per_call_whatever_the_order(app, operations):
    slug = f"propiedad-{next(EXAMPLES)}"  # a program of its own: examples share the database
    people = [consenting(sex="M"), consenting(sex="M")]
    version = 0
    for operation in operations:
        if operation in ("publish", "republish"):
            version += 1
            publish(program_data(slug=slug, summary=f"Versión {version}.", calls=TWO_CALLS))
        elif operation.startswith("rerun") and version:
            program = Program.get(Program.slug == slug)
            first, second = Call.select().where(Call.program == program.id).order_by(Call.opens)
            if operation == "rerun_first":
                screening.screen_chunk([first.id], on=IN_THE_FIRST)
            else:
                tasks.screen_calls([second.id])
        elif operation == "consent_new":
            people.append(consenting(sex="M"))
    for person in people:
        tips = tips_of(person)
        assert len({t.call_id for t in tips}) == len(tips)
        assert len(notices_of(person)) == len(tips)
    if version:
        # Whoever agreed before a publication was told of the call open today.
        program = Program.get(Program.slug == slug)
        second = Call.select().where(Call.program == program.id).order_by(Call.opens.desc()).get()
        assert all(second.id in {t.call_id for t in tips_of(p)} for p in people[:2])


def test_a_catalog_published_at_once_is_one_pass_telling_of_each_program(app):
    woman = consenting(sex="M")
    publish(program_data(WOMEN_ONLY, slug="mujeres"), program_data(slug="todos"))
    assert sorted(t.program.slug for t in tips_of(woman)) == ["mujeres", "todos"]
    calls = [t.call_id for t in tips_of(woman)]
    assert screening.screen_chunk(calls).told == 0
    assert len(notices_of(woman)) == 2
