"""An agency admin uploads a demo roll with bad rows in Chromium, watches the
import's progress, downloads the rejected-rows report, and the public
statistics and open data count the new beneficiaries; the same upload also
works with JavaScript off, through the refresh link.

The import runs on the queue, worked here by a thread of the test's own
process (``roll_queue``), so the test holds it at a gate: the page is seen while
the import is still running, whatever the machine's speed, and the htmx poll is
what reveals the end.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.demo.data import DEMO_PASSWORD, STAFF_DOMAIN
from portal.models import Enrollment, Program
from portal.rolls import writing as padron
from portal.transparency.tasks import rebuild_open_data
from portal.web.extensions import db
from tests.padron_builders import person, write_roll

from .conftest import assert_accessible, queue_worker

PROGRAM = "adultos-mayores"  # agency sedesoq; rule: 65 years or more
ADMIN = f"admin_dependencia.sedesoq@{STAFF_DOMAIN}"
BORN = dt.date(1950, 5, 10)
OUTSIDE_STATE = "09015"  # Cuauhtémoc, Ciudad de México


@pytest.fixture(autouse=True)
def roll_queue(live_app) -> Iterator[None]:
    """The live server's queue consumer for roll imports and their previews."""
    from portal.rolls import tasks

    with queue_worker(live_app, (tasks.import_roll.task_class, tasks.preview_roll.task_class)):
        yield


@pytest.fixture
def gate(monkeypatch) -> Iterator[threading.Event]:
    """Hold every import started by the live server until the test opens the gate."""
    opened = threading.Event()
    run_batch = padron.run_batch

    def held(*args, **kwargs):
        opened.wait(timeout=60)
        return run_batch(*args, **kwargs)

    monkeypatch.setattr(padron, "run_batch", held)
    yield opened
    opened.set()


def _program_state(live_app) -> tuple[str, int]:
    """The program's name and its active beneficiaries, read from the database."""
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        try:
            program = Program.get(Program.slug == PROGRAM)
            count = (
                Enrollment.select()
                .where((Enrollment.program == program) & Enrollment.active)
                .count()
            )
            return program.name, count
        finally:
            db.close()


def demo_roll(path: Path, first: int, good: int) -> tuple[Path, list[list[str]]]:
    """``good`` consistent people, then one bad row of each kind the import must catch."""
    rows = [person(n, sex="MH"[n % 2], born=BORN) for n in range(first, first + good)]
    bad_digit = person(first + good, born=BORN)
    bad_digit[0] = bad_digit[0][:17] + str((int(bad_digit[0][17]) + 1) % 10)
    bad_digit[1] = '=HIPERVINCULO("http://ejemplo.invalid")'  # must come back formula-safe
    wrong_sex = person(first + good + 1, sex="M", born=BORN)
    wrong_sex[5] = "Hombre"
    outside = person(first + good + 2, born=BORN, municipality=OUTSIDE_STATE)
    repeated = list(rows[0])
    write_roll(path, [*rows, bad_digit, wrong_sex, outside, repeated])
    return path, rows


def check(page, axe: bool) -> None:
    # axe needs timers, which do not run with JavaScript off; the same pages
    # are checked in the journey with JavaScript on.
    if axe:
        assert_accessible(page)


def sign_in(page, axe: bool = True) -> None:
    page.goto("/oficina/entrar")
    check(page, axe)
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/oficina/entrar" not in url)


def upload(page, program_name: str, path: Path, axe: bool = True) -> None:
    page.goto("/oficina/padrones")
    check(page, axe)
    page.select_option("select[name=program]", label=program_name)
    page.set_input_files("input[name=file]", str(path))
    page.click("main button[type=submit]")
    page.wait_for_url("**/oficina/padrones/*")


def wait_for_preview(page, javascript: bool = True) -> None:
    """The dry run appears (the fragment polls itself; without JavaScript, the
    person follows the refresh link)."""
    for _attempt in range(60):
        if page.locator("#vista-previa").count():
            return
        if javascript:
            page.wait_for_timeout(250)
        else:
            page.wait_for_timeout(500)
            page.click("#estado-lote >> text=Actualizar")
    raise AssertionError("the preview did not appear")


def test_agency_admin_uploads_a_roll_watches_it_and_the_public_figures_follow(
    page, live_server, live_app, gate, tmp_path
):
    program_name, before = _program_state(live_app)
    path, good = demo_roll(tmp_path / "padron-adultos-mayores.csv", first=0, good=12)

    sign_in(page)
    upload(page, program_name, path)
    wait_for_preview(page)
    status = page.locator("#estado-lote")
    assert "se cargarán 12 y se rechazarán 4" in " ".join(status.inner_text().split())
    assert page.locator("#nuevas").count() and page.locator("#rechazadas").count()
    assert _program_state(live_app)[1] == before  # nothing written by the preview
    assert_accessible(page)
    page.click("text=Confirmar la carga")
    page.wait_for_url("**/oficina/padrones/*")
    assert "Cargando" in status.inner_text()
    assert status.get_attribute("hx-get")  # the fragment polls itself
    assert_accessible(page)

    gate.set()
    page.wait_for_selector("#estado-lote >> text=Carga terminada", timeout=30_000)
    assert status.get_attribute("hx-get") is None  # polling stops once finished
    assert "16 filas, 12 aceptadas (12 personas nuevas) y 4 rechazadas" in status.inner_text()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.click("text=Descargar el reporte de filas rechazadas (CSV)")
    report = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text("utf-8"))))
    assert report[0] == ["fila", "curp", "nombre", "motivos"]
    reasons = {int(row[0]): row[3] for row in report[1:]}
    assert sorted(reasons) == [14, 15, 16, 17]
    assert "verificador" in reasons[14]
    assert "sexo" in reasons[15].lower()
    assert "no es un municipio del estado" in reasons[16]
    assert "ya aparece en la fila 2" in reasons[17]
    assert report[1][2].startswith("'=")  # the formula arrives as text

    # The public pages, as an anonymous visitor would see them once the
    # queue's minute task has rebuilt the open data the import marked.
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        try:
            rebuild_open_data.call_local()
        finally:
            db.close()
    public = page.context.browser.new_context(base_url=live_server)
    visitor = public.new_page()
    try:
        visitor.goto("/estadisticas")
        assert_accessible(visitor)
        chart = visitor.locator("#g-programa-caption").locator("xpath=..")
        row = chart.locator("tbody tr", has=visitor.locator(f"th:text-is('{program_name}')"))
        assert row.locator("td").inner_text() == f"{before + len(good):,}"

        visitor.goto("/datos-abiertos")
        assert_accessible(visitor)
        assert visitor.get_by_text(program_name, exact=False).count() >= 1
        response = visitor.request.get(f"/datos-abiertos/padron/{PROGRAM}.json")
        published = json.loads(response.text())
        names = {entry["nombre"] for entry in published}
        assert {" ".join(r[1:4]) for r in good} <= names
        assert all(r[0] not in response.text() for r in good)  # no CURP is ever published
    finally:
        public.close()


def test_upload_works_without_javascript(browser, live_server, live_app, gate, tmp_path):
    program_name, before = _program_state(live_app)
    path, good = demo_roll(tmp_path / "padron-sin-js.csv", first=100, good=5)
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, axe=False)
        upload(page, program_name, path, axe=False)
        wait_for_preview(page, javascript=False)
        page.click("text=Confirmar la carga")
        assert "Cargando" in page.locator("#estado-lote").inner_text()

        gate.set()
        for _attempt in range(60):
            if "Carga terminada" in page.locator("#estado-lote").inner_text():
                break
            page.wait_for_timeout(500)
            page.click("text=Actualizar el avance")
        assert (
            "9 filas, 5 aceptadas (5 personas nuevas) y 4 rechazadas"
            in page.locator("#estado-lote").inner_text()
        )
        with page.expect_download() as download_info:
            page.click("text=Descargar el reporte de filas rechazadas (CSV)")
        assert len(Path(download_info.value.path()).read_text("utf-8").splitlines()) == 5
        assert _program_state(live_app)[1] == before + len(good)
    finally:
        context.close()
