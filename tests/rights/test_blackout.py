"""Electoral blackout: what it suppresses (notices nobody asked for, call
announcements) and what it must not (the rights of people who already applied)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.applications import notices, workflow
from portal.backoffice.audit import Actor
from portal.models import AuditEvent, BlackoutPeriod, Call, Notice
from portal.rights import blackout
from portal.rights.holidays import local_today
from portal.vocabulary import AuditAction
from portal.web import pagecache
from tests.factories import (
    make_application,
    make_citizen,
    make_municipality,
    make_program,
    make_staff,
)
from tests.support.html import html, page_text


@pytest.fixture
def admin(app):
    return make_staff("admin_estatal")


@pytest.fixture
def today(app):
    return local_today()


def _statewide(admin, today, **overrides):
    fields = {
        "election": "Proceso electoral local 2026-2027",
        "starts": today - dt.timedelta(days=1),
        "ends": today + dt.timedelta(days=30),
    }
    fields.update(overrides)
    return blackout.set_period(Actor.staff(admin), **fields)


def _actions(action):
    return list(AuditEvent.select().where(AuditEvent.action == action))


# The domain ----------------------------------------------------------------------------


def test_a_statewide_period_is_in_force_everywhere_and_a_municipal_one_only_there(
    app, admin, today
):
    make_municipality("22014", "Querétaro")
    make_municipality("22006", "Corregidora")
    assert blackout.in_force(today, "22014") is None
    blackout.set_period(
        Actor.staff(admin), "Elección municipal", today, today + dt.timedelta(days=3), "22006"
    )
    assert blackout.in_force(today, "22014") is None
    assert blackout.in_force(today, None) is None
    assert blackout.in_force(today, "22006").election == "Elección municipal"
    _statewide(admin, today)
    assert blackout.in_force(today, "22014") is not None
    assert blackout.in_force(today, None) is not None


def test_periods_are_read_once_per_page_cache_time_and_a_change_here_is_seen_at_once(
    app, admin, today, monkeypatch
):
    # Every page asks for the period in force: the process keeps the periods
    # for PAGE_CACHE_SECONDS instead of asking the database each time.
    app.config["PAGE_CACHE_SECONDS"] = 10
    clock = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: clock[0])
    reads = []
    real = blackout._UPCOMING
    monkeypatch.setattr(blackout, "_UPCOMING", lambda **k: reads.append(k) or real(**k))
    blackout.forget_periods()
    assert blackout.in_force(today) is None
    assert blackout.in_force(today, "22014") is None
    assert len(reads) == 1
    # Set here: seen at once.
    period = _statewide(admin, today)
    assert blackout.in_force(today).id == period.id
    assert len(reads) == 2
    # Withdrawn by another process (written behind this one's back): seen
    # once the kept periods are older than PAGE_CACHE_SECONDS.
    BlackoutPeriod.update(withdrawn_at=dt.datetime(2026, 1, 1)).where(
        BlackoutPeriod.id == period.id
    ).execute()
    clock[0] += 9
    assert blackout.in_force(today) is not None
    clock[0] += 2
    assert blackout.in_force(today) is None
    assert len(reads) == 3
    # Another day is another read.
    blackout.in_force(today + dt.timedelta(days=1))
    assert len(reads) == 4


def test_a_period_covers_its_first_and_last_day_and_no_other(app, admin, today):
    starts, ends = today + dt.timedelta(days=5), today + dt.timedelta(days=9)
    _statewide(admin, today, starts=starts, ends=ends)
    assert blackout.in_force(starts - dt.timedelta(days=1)) is None
    assert blackout.in_force(starts) is not None
    assert blackout.in_force(ends) is not None
    assert blackout.in_force(ends + dt.timedelta(days=1)) is None


def test_a_withdrawn_period_is_no_longer_in_force_and_stays_on_record(app, admin, today):
    period = _statewide(admin, today)
    blackout.withdraw(Actor.staff(admin), period.id)
    assert blackout.in_force(today) is None
    assert BlackoutPeriod.get_by_id(period.id).withdrawn_at is not None
    assert len(_actions(AuditAction.BLACKOUT_WITHDRAW)) == 1
    with pytest.raises(blackout.BlackoutRefused, match="ya estaba retirada"):
        blackout.withdraw(Actor.staff(admin), period.id)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"election": "  "}, "nombre del proceso"),
        ({"election": "x" * 201}, "hasta 200"),
        ({"starts": dt.timedelta(days=5), "ends": dt.timedelta(days=2)}, "antes de empezar"),
        ({"starts": dt.timedelta(days=-9), "ends": dt.timedelta(days=-2)}, "ya terminó"),
        ({"starts": dt.timedelta(days=0), "ends": dt.timedelta(days=400)}, "a lo más un año"),
        ({"municipality_code": "99999"}, "No existe el municipio"),
    ],
)
def test_bad_periods_are_refused_in_spanish_and_nothing_is_written(
    app, admin, today, overrides, message
):
    for name in ("starts", "ends"):
        if name in overrides:
            overrides[name] = today + overrides[name]
    with pytest.raises(blackout.BlackoutRefused, match=message):
        _statewide(admin, today, **overrides)
    assert BlackoutPeriod.select().count() == 0
    assert _actions(AuditAction.BLACKOUT_SET) == []


def test_the_same_election_cannot_overlap_itself_in_one_place(app, admin, today):
    _statewide(admin, today)
    with pytest.raises(blackout.BlackoutRefused, match="Ya hay una veda"):
        _statewide(admin, today, starts=today + dt.timedelta(days=3))
    assert BlackoutPeriod.select().count() == 1


def test_setting_a_period_audits_the_call_announcements_it_withholds(app, admin, today):
    program = make_program()
    later = Call.create(
        program=program,
        opens=today + dt.timedelta(days=10),
        closes=today + dt.timedelta(days=40),
    )
    Call.create(
        program=program,
        opens=today + dt.timedelta(days=90),
        closes=today + dt.timedelta(days=120),
    )
    period = _statewide(admin, today)
    (entry,) = _actions(AuditAction.BLACKOUT_SET)
    assert entry.object_id == str(period.id)
    assert entry.details["convocatorias_sin_anuncio"] == [later.id]
    assert entry.details["municipio"] == "todo el estado"


# Notices: held back when nobody asked for them, never about one's own procedures -------


def test_a_notice_nobody_asked_for_is_held_back_and_audited(app, admin, today):
    citizen = make_citizen()
    _statewide(admin, today)
    sent = notices.announce(
        citizen, "Nueva convocatoria", "Abrió una convocatoria.", "/programas", "convocatoria"
    )
    assert sent is None
    assert Notice.select().count() == 0
    (entry,) = _actions(AuditAction.BLACKOUT_SUPPRESS)
    assert entry.object_id == str(citizen.id)
    assert entry.details == {"que": "convocatoria", "veda": blackout.in_force(today).id}


def test_a_notice_nobody_asked_for_goes_out_outside_a_blackout(app, admin, today):
    citizen = make_citizen()
    make_municipality("22006", "Corregidora")
    blackout.set_period(
        Actor.staff(admin), "Elección municipal", today, today + dt.timedelta(days=3), "22006"
    )
    sent = notices.announce(citizen, "Nueva convocatoria", "Abrió.", "/programas", "convocatoria")
    assert sent is not None and sent.link == "/programas"
    assert _actions(AuditAction.BLACKOUT_SUPPRESS) == []


def test_notices_about_the_persons_own_application_go_out_during_a_blackout(
    app, admin, today, reviewer, program
):
    citizen = make_citizen()
    application = make_application(citizen, program)
    _statewide(admin, today)
    workflow.transition(application, "en_revision", Actor.staff(reviewer))
    workflow.transition(
        application,
        "requiere_correccion",
        Actor.staff(reviewer),
        reason="Falta la página 2 de su identificación.",
    )
    statuses = {n.status for n in Notice.select().where(Notice.citizen == citizen)}
    assert statuses == {"en_revision", "requiere_correccion"}
    assert _actions(AuditAction.BLACKOUT_SUPPRESS) == []


# Pages -------------------------------------------------------------------------------


def test_program_page_withholds_calls_not_yet_open_but_keeps_the_open_one(client, admin, today):
    program = make_program()
    Call.create(
        program=program,
        opens=dt.date(2028, 3, 1),
        closes=dt.date(2028, 4, 1),
    )
    before = page_text(html(client.get(f"/programas/{program.slug}")))
    assert "Después:" in before
    _statewide(admin, today)
    page = html(client.get(f"/programas/{program.slug}"))
    text = page_text(page)
    assert "Después:" not in text
    assert "2028" not in text
    assert "Abierta" in text  # the call already open stays: people keep applying
    assert page.select_one(".blackout-banner .legal-legend") is not None


def test_catalog_does_not_announce_a_call_that_has_not_opened(client, admin, today):
    program = make_program()
    Call.delete().where(Call.program == program).execute()
    Call.create(
        program=program, opens=today + dt.timedelta(days=20), closes=today + dt.timedelta(days=50)
    )
    assert "Abre el" in page_text(html(client.get("/programas")))
    _statewide(admin, today)
    text = page_text(html(client.get("/programas")))
    assert "Abre el" not in text
    assert program.name in text  # the program itself is still listed


def test_no_banner_outside_a_blackout(client):
    assert html(client.get("/")).select_one(".blackout-banner") is None


def test_a_municipal_blackout_shows_the_banner_to_its_residents_only(client, login, admin, today):
    make_municipality("22006", "Corregidora")
    resident = make_citizen(municipality="22006")
    other = make_citizen()
    blackout.set_period(
        Actor.staff(admin), "Elección municipal", today, today + dt.timedelta(days=3), "22006"
    )
    assert html(client.get("/")).select_one(".blackout-banner") is None
    login(other)
    assert html(client.get("/mis-datos")).select_one(".blackout-banner") is None
    login(resident)
    banner = html(client.get("/mis-datos")).select_one(".blackout-banner")
    assert banner is not None
    assert "Elección municipal" in page_text(banner)


def test_people_who_applied_keep_following_their_application_during_a_blackout(
    client, login, admin, today
):
    citizen = make_citizen()
    application = make_application(citizen)
    _statewide(admin, today)
    login(citizen)
    page = client.get(f"/mis-solicitudes/{application.folio}")
    assert page.status_code == 200
    assert application.folio in page_text(html(page))


# The state admin's page -------------------------------------------------------------------


def test_state_admin_sets_and_withdraws_a_period_from_the_back_office(client, login, admin, today):
    make_municipality("22006", "Corregidora")
    login(admin)
    page = html(client.get("/oficina/veda"))
    assert page.find("select", {"name": "municipality"}) is not None
    response = client.post(
        "/oficina/veda",
        data={
            "election": "Proceso electoral local 2026-2027",
            "municipality": "22006",
            "starts": today.isoformat(),
            "ends": (today + dt.timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 303
    period = BlackoutPeriod.get()
    assert period.municipality_id == "22006"
    assert period.created_by_id == admin.id
    listed = page_text(html(client.get("/oficina/veda")))
    assert "Corregidora" in listed and "Vigente" in listed
    assert client.post(f"/oficina/veda/{period.id}/retirar").status_code == 303
    assert BlackoutPeriod.get_by_id(period.id).withdrawn_at is not None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"election": "", "starts": "2027-01-01", "ends": "2027-02-01"}, "nombre del proceso"),
        ({"election": "Proceso", "starts": "mañana", "ends": "2027-02-01"}, "día/mes/año"),
        ({"election": "Proceso", "starts": "2027-03-01", "ends": "2027-02-01"}, "antes de empezar"),
        (
            {
                "election": "Proceso",
                "starts": "2027-01-01",
                "ends": "2027-02-01",
                "municipality": "x",
            },
            "Opción inválida",
        ),
    ],
)
def test_a_bad_period_answers_422_with_its_reason(client, login, admin, data, message):
    login(admin)
    response = client.post("/oficina/veda", data=data)
    assert response.status_code == 422
    assert re.search(message, page_text(html(response).select_one(".error-summary")))
    assert BlackoutPeriod.select().count() == 0


def test_withdrawing_a_period_that_does_not_exist_is_404(client, login, admin):
    login(admin)
    assert client.post("/oficina/veda/999/retirar").status_code == 404


@pytest.mark.parametrize("role", ["revisor", "entrega", "supervisor", "admin_dependencia"])
def test_only_the_state_admin_sets_blackouts(client, login, role):
    login(make_staff(role))
    assert client.get("/oficina/veda").status_code == 403
    assert client.post("/oficina/veda", data={"election": "x"}).status_code == 403


def test_a_municipal_period_withholds_no_public_announcement(app, admin, today):
    make_municipality("22006", "Corregidora")
    program = make_program()
    Call.create(
        program=program, opens=today + dt.timedelta(days=2), closes=today + dt.timedelta(days=9)
    )
    blackout.set_period(
        Actor.staff(admin), "Elección municipal", today, today + dt.timedelta(days=5), "22006"
    )
    (entry,) = _actions(AuditAction.BLACKOUT_SET)
    assert entry.details["convocatorias_sin_anuncio"] == []
    assert blackout.announces_calls()


def test_the_error_page_renders_without_the_banner_when_the_database_fails(app, monkeypatch):
    from peewee import OperationalError

    from portal.rights import views

    def down(*args, **kwargs):
        raise OperationalError("database is down")

    monkeypatch.setattr(blackout, "in_force", down)
    with app.test_request_context("/"):
        assert views.page_blackout() is None
