"""Issue 15, item 2: every time a person reads is the state's local time.

Times are stored in UTC; 01:30 UTC on 2 December is 19:30 on 1 December in
Querétaro (UTC-6 all year), and that is what the pages, the downloads and the
CLI say. No page says "UTC".
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from flask import Blueprint

from portal.models import Application, AuditEvent, Notice
from portal.web import formatting
from tests.application_builders import submitted
from tests.factories import make_citizen, make_program, make_staff
from tests.support.html import html

LATE_UTC = dt.datetime(2026, 12, 2, 1, 30)  # 19:30 the day before, local
LOCAL = "01/12/2026 19:30"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture(autouse=True)
def sign_in_pages(app):
    if "auth.sign_out" not in app.view_functions:
        bp = Blueprint("auth", __name__)
        bp.add_url_rule("/entrar", "start", lambda: "entrar")
        bp.add_url_rule("/salir", "sign_out", lambda: "salir", methods=["POST"])
        app.register_blueprint(bp)


@pytest.fixture
def late_application(app):
    citizen = make_citizen()
    application = submitted(citizen, make_program(requirements=("identificacion",)))
    Application.update(submitted_at=LATE_UTC).where(Application.id == application.id).execute()
    Notice.update(created_at=LATE_UTC).where(Notice.citizen == citizen).execute()
    return citizen, Application.get_by_id(application.id)


def test_the_wall_clock_is_six_hours_behind_utc_all_year(app):
    assert formatting.wall_clock(LATE_UTC).strftime("%d/%m/%Y %H:%M") == LOCAL
    july = dt.datetime(2026, 7, 1, 12, 0)  # no daylight saving since 2022
    assert formatting.wall_clock(july).hour == 6
    assert formatting.local_date(LATE_UTC) == dt.date(2026, 12, 1)
    with app.test_request_context():
        assert formatting.local_datetime(LATE_UTC) == LOCAL
        assert formatting.local_datetime(LATE_UTC, seconds=True) == LOCAL + ":00"
        assert formatting.local_datetime(None) == ""
    assert formatting.plain_datetime(LATE_UTC) == f"{LOCAL} (hora del centro de México)"


def test_the_receipt_says_local_time_and_names_the_zone_once(login, late_application):
    citizen, application = late_application
    text = html(login(citizen).get(f"/mis-solicitudes/{application.folio}/comprobante")).get_text()
    assert LOCAL in text and "hora del centro de México" in text
    assert "UTC" not in text


def test_the_application_and_the_inbox_say_local_time(login, late_application):
    citizen, application = late_application
    client = login(citizen)
    for url in (f"/mis-solicitudes/{application.folio}", "/avisos"):
        text = html(client.get(url)).get_text()
        assert "UTC" not in text, url
    assert LOCAL in html(client.get("/avisos")).get_text()


def test_the_audit_trail_says_local_time_with_seconds(login, late_application):
    client = login(make_staff("admin_estatal"))
    assert AuditEvent.select().count() > 0  # the submission's
    AuditEvent.update(created_at=LATE_UTC).execute()
    page = html(client.get("/oficina/auditoria"))
    assert "hora del centro de México" in page.find("thead").get_text()
    assert LOCAL + ":00" in page.find("tbody").get_text()
    assert "UTC" not in page.get_text()


def test_the_personal_data_download_gives_moments_with_their_offset(login, late_application):
    citizen, application = late_application
    data = json.loads(login(citizen).get("/mis-datos/descargar.json").get_data(as_text=True))
    row = next(a for a in data["applications"] if a["folio"] == application.folio)
    assert row["submitted_at"] == "2026-12-01T19:30:00-06:00"


def test_no_template_prints_a_time_in_utc():
    """Times go through the |local_datetime filter, never strftime, never "UTC"."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bUTC\b", text) or re.search(r"strftime\([^)]*%H", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []
