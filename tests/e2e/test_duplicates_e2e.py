"""Probable duplicates found by the queue, reviewed in Chromium (issue 17,
item 9): a clerk of the state counter registers a woman whose record already
exists with her surnames the other way round; the queue compares the new
person with her block as she is added (no shell command), and the state admin
sees the pair side by side on /oficina/duplicados, refuses a merge without a
reason on its field, then dismisses one pair and merges another. axe (zero
violations) on every page."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.models import AuditEvent, Citizen, CitizenMerge, DuplicateCandidate
from portal.rolls import tasks
from portal.vocabulary import AuditAction
from portal.web.extensions import db
from tests.factories import make_citizen, make_municipality, make_staff, valid_curp

from .conftest import assert_accessible, portal_of_its_own, queue_worker
from .test_state_counter_e2e import _sign_in

BORN = dt.date(1990, 5, 17)


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with portal_of_its_own(tmp_path_factory.mktemp("duplicates-e2e")) as served:
        app, base = served
        with app.app_context():
            db.connect(reuse_if_open=True)
            make_municipality()
            clerk = make_staff("ventanilla_estatal", email="ventanilla@estado.example.org")
            admin = make_staff("admin_estatal", email="admin@estado.example.org")
            known = make_citizen(
                curp=valid_curp(BORN, "M"),
                given_names="Rosa",
                first_surname="Gómez",
                second_surname="Pérez",
                birth_date=BORN,
                sex="M",
            )
            db.close()
        with queue_worker(app, (tasks.check_duplicates.task_class,)):
            yield app, base, clerk.email, admin.email, known.id


@pytest.fixture
def browser_context(browser):
    context = browser.new_context()
    yield context
    context.close()


def _register(page, base, curp, given, first, second, born):
    page.goto(base + "/oficina/ventanilla")
    page.get_by_label("CURP de la persona").fill(curp)
    page.get_by_role("button", name="Buscar").click()
    assert page.url.endswith("/oficina/ventanilla/registro")
    page.get_by_label("Nombre(s)").fill(given)
    page.get_by_label("Primer apellido").fill(first)
    page.get_by_label("Segundo apellido").fill(second)
    page.get_by_label("Fecha de nacimiento").fill(born.isoformat())
    page.get_by_label("Sexo").select_option("M")
    page.get_by_label("Número o folio de la identificación").fill(
        str(100_000_000 + born.toordinal())
    )  # a CIC
    assert_accessible(page)
    page.get_by_role("button", name="Crear expediente").click()
    assert page.url.endswith("/oficina/ventanilla/persona"), page.locator("main").inner_text()


def _pairs(app) -> list[tuple[int, int, str]]:
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return [
                (row.citizen_a_id, row.citizen_b_id, row.status)
                for row in DuplicateCandidate.select().order_by(DuplicateCandidate.id)
            ]
        finally:
            db.close()


def _wait_for_pairs(page, app, count: int) -> None:
    for _ in range(100):
        if len(_pairs(app)) >= count:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the queue did not find {count} pair(s): {_pairs(app)}")


def test_pairs_found_by_the_queue_are_reviewed_side_by_side(browser_context, portal):
    app, base, clerk, admin, known_id = portal
    page = browser_context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, base, clerk)
    # The same woman with her surnames the other way round, and her birth date
    # with day and month swapped (a second, different person is kept apart).
    _register(page, base, valid_curp(BORN, "M"), "Rosa", "Pérez", "Gómez", BORN)
    _wait_for_pairs(page, app, 1)
    swapped = dt.date(1990, 12, 5)  # and 1990-05-12: day and month the other way round
    _register(page, base, valid_curp(swapped, "M"), "Lucía", "Ortiz", "Luna", swapped)
    _register(
        page,
        base,
        valid_curp(dt.date(1990, 5, 12), "M"),
        "Lucía",
        "Ortiz",
        "Luna",
        dt.date(1990, 5, 12),
    )
    _wait_for_pairs(page, app, 2)

    staff = browser_context.browser.new_context()
    try:
        desk = staff.new_page()
        desk.set_default_timeout(15_000)
        _sign_in(desk, base, admin)
        desk.goto(base + "/oficina/duplicados")
        assert_accessible(desk)
        cards = desk.locator("main section.card")
        assert cards.count() == 2
        first = cards.filter(has_text="Rosa")
        text = " ".join(first.inner_text().split())
        assert "Gómez" in text and "Pérez" in text
        assert "apellidos" in text.lower()  # the reason names the swapped surnames
        other = cards.filter(has_text="Lucía")
        assert "día y mes" in " ".join(other.inner_text().split()).lower()

        # Dismiss the Lucías: not the same person; the decision is audited.
        other.get_by_label("Motivo de la decisión").fill("Son hermanas: actas distintas.")
        other.get_by_role("button", name="No son la misma persona").click()
        desk.wait_for_url("**/oficina/duplicados")
        assert "Par descartado" in desk.locator("main").inner_text()
        assert_accessible(desk)

        # Merge the Rosas, keeping the older record.
        first = desk.locator("main section.card").filter(has_text="Rosa")
        first.get_by_label(f"Registro {known_id}", exact=False).check()
        first.get_by_label("Motivo de la decisión").fill("Misma acta de nacimiento.")
        first.get_by_role("button", name="Unir registros").click()
        desk.wait_for_url("**/oficina/duplicados")
        assert "Registros unidos" in desk.locator("main").inner_text()
        assert desk.locator("main section.card").count() == 0
        assert_accessible(desk)
    finally:
        staff.close()

    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            # The merged record is gone with its pair (its history is the merge's);
            # the dismissed pair stays, so the queue never proposes it again.
            assert [status for *_ids, status in _pairs(app)] == ["descartado"]
            assert CitizenMerge.get().survivor_id == known_id
            rosas = Citizen.select().where(Citizen.given_names == "Rosa")
            assert [c.id for c in rosas] == [known_id]  # the other record merged into it
            assert Citizen.select().where(Citizen.given_names == "Lucía").count() == 2
            decided = AuditEvent.select().where(
                AuditEvent.action.in_([AuditAction.CITIZEN_MERGE, AuditAction.DUPLICATE_DISMISS])
            )
            assert decided.count() == 2
        finally:
            db.close()
