"""The delivery calendar (issue 16, item 2): the agency sets the date and place of
each period, for everyone or one municipality's turn; the person sees the next
date and place and is told when it is set, when it changes, and before it."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.delivery import calendar, periods
from portal.models import AuditEvent, DeliveryDate, Notice, Outbox
from tests.delivery.period_builders import confirm, make_beneficiary
from tests.factories import make_delivery_point, make_municipality, make_program, make_staff
from tests.support.html import html


@pytest.fixture
def world(app):
    """Period 1 collected; period 2, the current one, still to collect."""
    application, credential, point, operator = make_beneficiary()
    confirm(credential, operator, point, period=1)
    citizen = application.citizen
    citizen.notify_channel = "email"
    citizen.save()
    program = application.program
    admin = make_staff("admin_dependencia", agency=program.agency)
    second = periods.program_periods(program)[1]
    return {
        "application": application,
        "program": program,
        "point": point,
        "admin": admin,
        "period": second,
        "day": second.starts + dt.timedelta(days=3),
    }


def _notices(application):
    return list(
        Notice.select()
        .where((Notice.application == application) & Notice.title.contains("fecha y lugar"))
        .order_by(Notice.id)
    )


def test_setting_a_date_tells_the_person_and_their_page_shows_it(world, login):
    application = world["application"]
    saved = calendar.set_date(
        world["program"], 2, world["day"], world["point"].id, world["admin"], hours="9:00 a 14:00"
    )
    assert saved.kind == "nueva"
    [notice] = _notices(application)
    assert "Ya hay fecha y lugar" in notice.body and world["point"].name in notice.body
    assert "periodo 2" in notice.body
    assert Outbox.select().where(Outbox.notice == notice).count() == 1  # by e-mail too
    page = html(login(application.citizen).get(f"/mis-solicitudes/{application.folio}"))
    shown = page.select_one("#fecha-entrega").get_text(" ", strip=True)
    assert world["point"].name in shown and "9:00 a 14:00" in shown
    entry = AuditEvent.select().where(AuditEvent.action == "entrega.calendario").get()
    assert entry.details["periodo"] == 2 and entry.details["cambio"] == "nueva"


def test_changing_the_date_or_place_tells_the_person_again(world):
    program, admin = world["program"], world["admin"]
    calendar.set_date(program, 2, world["day"], world["point"].id, admin)
    other = make_delivery_point(program, name="Auditorio municipal")
    changed = calendar.set_date(program, 2, world["day"], other.id, admin)
    assert changed.kind == "cambio"
    latest = _notices(world["application"])[-1]
    assert "Cambió la fecha o el lugar" in latest.body and "Auditorio municipal" in latest.body
    # Saving the same again changes nothing and tells nobody.
    assert calendar.set_date(program, 2, world["day"], other.id, admin).kind == "igual"
    assert len(_notices(world["application"])) == 2
    assert DeliveryDate.select().count() == 1


def test_a_municipality_turn_takes_precedence_for_its_people(world, login):
    program, admin, application = world["program"], world["admin"], world["application"]
    calendar.set_date(program, 2, world["day"], world["point"].id, admin)
    turn_point = make_delivery_point(program, name="Plaza de su municipio")
    later = world["day"] + dt.timedelta(days=2)
    calendar.set_date(
        program, 2, later, turn_point.id, admin, municipality=application.municipality
    )
    assert calendar.date_for(application, 2).point_id == turn_point.id
    # A change of the date for everyone no longer concerns this person.
    told = len(_notices(application))
    calendar.set_date(program, 2, world["day"] + dt.timedelta(days=1), world["point"].id, admin)
    assert len(_notices(application)) == told
    page = html(login(application.citizen).get(f"/mis-solicitudes/{application.folio}"))
    assert "Plaza de su municipio" in page.select_one("#fecha-entrega").get_text()


def test_the_reminder_goes_out_once_a_few_days_before(world):
    program, admin, application = world["program"], world["admin"], world["application"]
    calendar.set_date(program, 2, world["day"], world["point"].id, admin)
    too_early = world["day"] - dt.timedelta(days=calendar.REMINDER_DAYS + 1)
    assert calendar.send_reminders(too_early) == 0
    on_time = world["day"] - dt.timedelta(days=calendar.REMINDER_DAYS)
    assert calendar.send_reminders(on_time) == 1
    assert calendar.send_reminders(on_time) == 0
    assert "Recordatorio" in _notices(application)[-1].body
    # A new day needs a new reminder.
    calendar.set_date(program, 2, world["day"] + dt.timedelta(days=1), world["point"].id, admin)
    assert calendar.send_reminders(on_time + dt.timedelta(days=1)) == 1


def test_a_person_who_already_collected_the_period_is_not_told(world):
    application = world["application"]
    credential = application.credentials.get()
    operator = make_staff("entrega", agency=world["program"].agency)
    confirm(credential, operator, world["point"], period=2)
    calendar.set_date(world["program"], 2, world["day"], world["point"].id, world["admin"])
    assert _notices(application) == []


def test_without_a_date_the_person_is_told_it_will_be_announced(world, login):
    application = world["application"]
    page = html(login(application.citizen).get(f"/mis-solicitudes/{application.folio}"))
    assert "aún no fija la fecha" in page.select_one("#fecha-entrega").get_text()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"period": 9}, "periodo", "no está en el calendario"),
        ({"day": "outside"}, "fecha", "dentro del periodo 2"),
        ({"point": "other-program"}, "punto", "punto de entrega de este programa"),
        ({"municipality": "99999"}, "municipio", "no está en el catálogo"),
        ({"hours": "x" * 61}, "horario", "a lo más 60"),
    ],
)
def test_bad_dates_are_refused_naming_the_field_and_nothing_is_written(world, change, field, words):
    program = world["program"]
    period = change.get("period", 2)
    day = world["period"].ends + dt.timedelta(days=1) if change.get("day") else world["day"]
    point_id = world["point"].id
    if change.get("point"):
        point_id = make_delivery_point(make_program(program.agency)).id
    with pytest.raises(calendar.CalendarError) as refused:
        calendar.set_date(
            program,
            period,
            day,
            point_id,
            world["admin"],
            municipality=change.get("municipality", ""),
            hours=change.get("hours", ""),
        )
    assert refused.value.field == field and words in refused.value.message
    assert DeliveryDate.select().count() == 0
    assert _notices(world["application"]) == []


# The back-office page ---------------------------------------------------------


def _form(world, **overrides):
    data = {
        "periodo": "2",
        "municipio": "",
        "fecha": world["day"].isoformat(),
        "punto": str(world["point"].id),
        "horario": "de 9:00 a 14:00",
    }
    data.update(overrides)
    return data


def test_the_agency_admin_sets_a_date_from_the_calendar_page(world, login):
    client = login(world["admin"])
    index = html(client.get("/oficina/calendario"))
    assert world["program"].name in index.get_text()
    url = f"/oficina/calendario/{world['program'].slug}"
    page = client.get(url)
    assert page.status_code == 200
    done = client.post(url, data=_form(world))
    assert done.status_code == 303
    table = html(client.get(url)).select_one("#calendario")
    assert world["point"].name in table.get_text()
    assert len(_notices(world["application"])) == 1


def test_a_date_outside_the_period_is_refused_on_the_page_with_its_message(world, login):
    client = login(world["admin"])
    url = f"/oficina/calendario/{world['program'].slug}"
    outside = (world["period"].ends + dt.timedelta(days=1)).isoformat()
    refused = client.post(url, data=_form(world, fecha=outside))
    assert refused.status_code == 422
    assert "dentro del periodo 2" in html(refused).select_one("#fecha-field").get_text()
    missing = client.post(url, data=_form(world, fecha=""))
    assert missing.status_code == 422
    assert DeliveryDate.select().count() == 0


def test_another_agency_or_another_role_cannot_set_dates(world, login, client):
    url = f"/oficina/calendario/{world['program'].slug}"
    stranger = make_staff("admin_dependencia")
    assert login(stranger).get(url).status_code == 404
    assert client.post(url, data=_form(world)).status_code == 404
    reviewer = make_staff("revisor", agency=world["program"].agency)
    assert login(reviewer).get(url).status_code == 403
    assert DeliveryDate.select().count() == 0


def test_the_calendar_list_shows_only_the_admins_agencys_programs(world, login):
    other = make_program(name="Programa de otra dependencia", benefit_period="mensual",
                         benefit_schedule=world["program"].benefit_schedule)  # fmt: skip
    page = html(login(world["admin"]).get("/oficina/calendario"))
    links = [a.get_text(strip=True) for a in page.select("main a")]
    assert world["program"].name in links and other.name not in links
    assert login(world["admin"]).get(f"/oficina/calendario/{other.slug}").status_code == 404
    theirs = html(login(make_staff("admin_dependencia", other.agency)).get("/oficina/calendario"))
    assert other.name in [a.get_text(strip=True) for a in theirs.select("main a")]


def test_a_municipal_turn_needs_a_municipality_of_the_catalog(world, login):
    make_municipality()
    client = login(world["admin"])
    url = f"/oficina/calendario/{world['program'].slug}"
    refused = client.post(url, data=_form(world, municipio="99999"))
    assert refused.status_code == 422
    assert DeliveryDate.select().count() == 0
