"""Payment and delivery history (issue 16, item 3): the person's application page,
the staff case page and the /mis-datos exports, each period with its dates,
amount, status, and when and where it was delivered."""

from __future__ import annotations

import csv
import io
import json

from tests.delivery.period_builders import confirm, make_beneficiary
from tests.factories import make_citizen, make_staff
from tests.support.html import html


def _delivered_twice(app):
    application, credential, point, operator = make_beneficiary()
    confirm(credential, operator, point, period=1)
    confirm(credential, operator, point, period=2)
    return application, point, operator


def test_the_person_sees_each_period_with_date_place_and_amount(app, login):
    application, point, _ = _delivered_twice(app)
    client = login(application.citizen)
    page = html(client.get(f"/mis-solicitudes/{application.folio}"))
    table = page.select_one("#historial-pagos").find_parent("section").select_one("table")
    rows = [
        [cell.get_text(strip=True) for cell in row.select("th, td")]
        for row in table.tbody.select("tr")
    ]
    assert len(rows) == 6
    assert rows[0][3] == "Entregado" and rows[0][5] == point.name and rows[0][2] == "$1,000"
    assert rows[1][3] == "Entregado"
    assert {row[3] for row in rows[2:]} == {"Próximo"}
    # The next payment is named above the table.
    assert "Periodo 3" in page.select_one("#periodo-actual").get_text()
    # Nobody's operator name is shown to the person.
    assert "Entregó" not in table.get_text()


def test_the_person_sees_the_period_they_can_collect_now(app, login):
    application, credential, point, operator = make_beneficiary()
    confirm(credential, operator, point, period=1)
    page = html(login(application.citizen).get(f"/mis-solicitudes/{application.folio}"))
    text = page.select_one("#periodo-actual").get_text()
    assert "Ya puede recoger su apoyo" in text and "Periodo 2" in text


def test_staff_of_the_agency_see_the_history_with_who_delivered(app, login):
    application, point, operator = _delivered_twice(app)
    reviewer = make_staff("revisor", agency=application.program.agency)
    page = html(login(reviewer).get(f"/oficina/solicitudes/{application.folio}"))
    table = page.select_one("#historial-pagos").find_parent("section").select_one("table")
    assert "Entregó" in table.thead.get_text()
    assert table.get_text().count(operator.name) == 2


def test_another_citizen_cannot_see_the_history(app, login):
    application, *_ = _delivered_twice(app)
    other = login(make_citizen(email="otra@example.org"))
    assert other.get(f"/mis-solicitudes/{application.folio}").status_code == 404


def test_the_exports_hold_every_period(app, login):
    application, point, _ = _delivered_twice(app)
    client = login(application.citizen)
    data = json.loads(client.get("/mis-datos/descargar.json").get_data(as_text=True))
    history = data["payment_history"]
    assert [row["periodo"] for row in history] == [1, 2, 3, 4, 5, 6]
    assert history[0]["folio"] == application.folio
    assert history[0]["estado"] == "Entregado" and history[0]["lugar"] == point.name
    assert history[0]["monto"] == 1000 and history[0]["entregado_el"]
    assert history[2]["estado"] == "Próximo" and history[2]["entregado_el"] == ""
    rows = list(
        csv.reader(io.StringIO(client.get("/mis-datos/descargar.csv").get_data(as_text=True)))
    )
    assert ["Historial de apoyos", "2", "Estado", "Entregado"] in rows
    page = html(client.get("/mis-datos"))
    assert "periodo 2" in page.get_text()


def test_a_person_with_no_benefit_has_an_empty_history(app, login):
    citizen = make_citizen()
    data = json.loads(login(citizen).get("/mis-datos/descargar.json").get_data(as_text=True))
    assert data["payment_history"] == []
