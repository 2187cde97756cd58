"""A brigade member registers three people with no signal, in Chromium.

Signed in online, the brigade page installs its service worker and the
catalogs; with the network off (Playwright's ``set_offline``) it reloads from
the service worker and three people are captured, one with a CURP already
registered with other data and one with a document photo. Back online the sync
is interrupted after the first record and retried: the server holds exactly
the right people and applications, once each, and the conflict is shown and
resolved. IndexedDB holds no record in plain text. axe finds nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from portal.field.models import FieldSubmission
from portal.models import Agency, Application, Citizen, StaffUser
from portal.web.extensions import db
from tests.application_builders import jpeg_bytes

from ..factories import make_citizen, make_program, make_staff, valid_curp
from .conftest import assert_accessible
from .test_narrow_screens_e2e import MEASURE, PHONE
from .test_oficina_review_e2e import _sign_in

PIN = "sierra-gorda-2026"
REGISTERED_NAME = "Eufemia"


@pytest.fixture
def brigade(live_app):
    """A SEDESOQ reviewer on a brigade, a program of theirs that takes
    applications with a photo of an ID, and a person already registered."""
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        agency = Agency.get(Agency.slug == "sedesoq")
        member = make_staff(
            "revisor", agency, email=f"brigada-{uuid.uuid4().hex[:6]}@sedesoq.example.org"
        )
        program = make_program(agency, requirements=("identificacion",), name="Apoyo de brigada")
        registered = make_citizen(
            given_names=REGISTERED_NAME,
            first_surname="Olvera",
            birth_date=dt.date(1971, 8, 2),
            sex="M",
        )
        db.close()
    people = [
        {
            "curp": valid_curp(dt.date(1988, 3, 9), "M"),
            "given_names": "Rosa María",
            "first_surname": "Hernández",
            "birth_date": "1988-03-09",
            "program": program.slug,
            "photo": True,
        },
        {
            "curp": valid_curp(dt.date(1990, 5, 17), "M"),
            "given_names": "Juana",
            "first_surname": "Reséndiz",
            "birth_date": "1990-05-17",
            "program": "",
            "photo": False,
        },
        {
            # The registered person's CURP, typed with other names: a conflict.
            "curp": registered.curp,
            "given_names": "Josefina",
            "first_surname": "Martínez",
            "birth_date": "1971-08-02",
            "program": program.slug,
            "photo": True,
        },
    ]
    return member, program, registered, people


def _unlock(page):
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_label("PIN o frase").fill(PIN)
    if page.locator("#pin2-field").is_visible():
        page.get_by_label("Escriba el PIN otra vez").fill(PIN)
    page.locator("#abrir").click()
    page.wait_for_selector("#trabajo:not([hidden])")


def _register(page, person, program):
    page.get_by_label("CURP", exact=True).fill(person["curp"])
    page.get_by_label("Nombre(s)").fill(person["given_names"])
    page.get_by_label("Primer apellido").fill(person["first_surname"])
    page.get_by_label("Fecha de nacimiento").fill(person["birth_date"])
    page.get_by_label("Sexo, como dice la CURP").select_option("M")
    page.get_by_label("Identificación que presentó").select_option("ine")
    page.get_by_label("Número de la identificación").fill("123456789")
    page.get_by_label("Municipio", exact=True).select_option("22014")
    page.locator("#program").select_option(person["program"])
    if person["photo"]:
        requirement = program.requirements.get().id
        page.locator(f"[id='doc-{requirement}']").set_input_files(
            files=[{"name": "ine.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((800, 500))}]
        )
    page.get_by_role("button", name="Guardar en este dispositivo").click()
    page.wait_for_selector(f"#cola li >> text={person['given_names']}")


STORED = """async () => {
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open('brigada'); r.onsuccess = () => ok(r.result); r.onerror = no;
  });
  const all = name => new Promise(ok => {
    const r = db.transaction(name).objectStore(name).getAll(); r.onsuccess = () => ok(r.result);
  });
  const bytes = v => v instanceof ArrayBuffer ? new Uint8Array(v) : ArrayBuffer.isView(v) ? v : null;
  const flat = v => {
    const b = bytes(v);
    if (b) return Array.from(b, c => String.fromCharCode(c)).join('');
    if (v && typeof v === 'object') return Object.values(v).map(flat).join('|');
    return String(v);
  };
  const keys = name => new Promise(ok => {
    const r = db.transaction(name).objectStore(name).getAllKeys(); r.onsuccess = () => ok(r.result);
  });
  // The catalogs are public (programs, places: a colonia may bear a person's
  // name); everything else at rest must be unreadable.
  const records = await all('records'), meta = await all('meta'), names = await keys('meta');
  const kept = meta.filter((_, i) => names[i] !== 'catalog');
  return {count: records.length, text: flat(records) + flat(kept), meta: names};
}"""


def _db(live_app, work):
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return work()
        finally:
            db.close()


def test_three_people_registered_offline_are_applied_once_each(
    browser, live_app, base_url, brigade
):
    member, program, registered, people = brigade
    context = browser.new_context(viewport=PHONE, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(page, base_url, member.email, check=False)
    page.wait_for_url(lambda url: "/oficina/entrar" not in url)
    page.goto(base_url + "/oficina/brigada")
    page.wait_for_selector("body[data-ready=true]")
    assert_accessible(page)
    _unlock(page)
    page.wait_for_selector("body[data-offline-ready=true]")
    page.wait_for_selector(f"#program option[value='{program.slug}']", state="attached")
    assert_accessible(page)

    # No signal: the page comes back from the service worker.
    context.set_offline(True)
    page.reload()
    _unlock(page)
    assert "Sin conexión" in page.locator("#red").inner_text()
    for person in people:
        _register(page, person, program)
    assert page.locator("#cola li[data-state=pendiente]").count() == 3
    assert_accessible(page)
    size = page.evaluate(MEASURE)
    assert size["width"] <= size["screen"], size

    # At rest, nothing is readable: not the CURPs, not the names.
    stored = page.evaluate(STORED)
    assert stored["count"] == 3
    assert sorted(stored["meta"]) == ["catalog", "lock"], stored["meta"]
    for person in people:
        assert person["curp"] not in stored["text"]
        assert person["given_names"] not in stored["text"]

    # Back online: the first record goes through, then the connection drops.
    context.set_offline(False)
    sent = []

    def drop_after_the_first(route):
        sent.append(route.request)
        if len(sent) == 1:
            route.continue_()
        else:
            route.abort("internetdisconnected")

    page.route("**/oficina/brigada/registros", drop_after_the_first)
    page.get_by_role("button", name="Sincronizar").click()
    page.wait_for_selector("#cola-resumen >> text=se interrumpió")
    assert page.locator("#cola li[data-state=sincronizado]").count() == 1
    assert page.locator("#cola li[data-state=pendiente]").count() == 2
    staff_id = member.id
    assert (
        _db(
            live_app,
            lambda: FieldSubmission.select().where(FieldSubmission.staff == staff_id).count(),
        )
        == 1
    )

    # Retried: each record is sent again with its UUID, the first is not.
    page.unroute("**/oficina/brigada/registros")
    page.get_by_role("button", name="Sincronizar").click()
    page.wait_for_selector("#cola-resumen >> text=Sincronización terminada")
    assert page.locator("#cola li[data-state=sincronizado]").count() == 2
    conflict = page.locator("#cola li[data-state=conflicto]")
    assert conflict.count() == 1
    assert "Esa CURP ya está registrada con otros datos" in conflict.inner_text()
    assert REGISTERED_NAME not in conflict.inner_text()
    assert_accessible(page)

    curps = [p["curp"] for p in people]

    def server_state():
        rows = list(FieldSubmission.select().where(FieldSubmission.staff == staff_id))
        citizens = {c.curp: c for c in Citizen.select().where(Citizen.curp.in_(curps))}
        applications = {
            a.citizen_id: a for a in Application.select().where(Application.program == program.id)
        }
        return rows, citizens, applications, StaffUser.get_by_id(staff_id)

    rows, citizens, applications, _staff = _db(live_app, server_state)
    assert sorted(r.status for r in rows) == ["aplicado", "aplicado", "conflicto"]
    assert len(citizens) == 3  # the two new people, and the one registered before
    first, second = citizens[curps[0]], citizens[curps[1]]
    assert (first.given_names, second.given_names) == ("Rosa María", "Juana")
    assert first.origin == second.origin == "assisted"
    assert citizens[curps[2]].given_names == REGISTERED_NAME  # untouched
    assert set(applications) == {first.id}
    assert applications[first.id].status == "enviada"
    assert applications[first.id].assisted_by_id == staff_id

    # The conflict is resolved on the server: the registered person's data stay.
    conflict.get_by_role("link", name="Resolver este conflicto").click()
    page.wait_for_url(re.compile(r"/oficina/brigada/conflictos/"))
    assert "Nombre(s)" in page.locator("#campos").inner_text()
    assert_accessible(page)
    size = page.evaluate(MEASURE)
    assert size["width"] <= size["screen"], size
    page.get_by_role("button", name="Conservar los datos registrados").click()
    page.wait_for_selector("h1 >> text=Registro resuelto")
    assert_accessible(page)

    rows, citizens, applications, _staff = _db(live_app, server_state)
    assert sorted(r.status for r in rows) == ["aplicado", "aplicado", "aplicado"]
    assert set(applications) == {first.id, registered.id}
    assert citizens[curps[2]].given_names == REGISTERED_NAME

    # The device learns the resolution on its next sync; nothing is applied twice.
    page.goto(base_url + "/oficina/brigada")
    _unlock(page)
    page.get_by_role("button", name="Sincronizar").click()
    page.wait_for_selector("#cola-resumen >> text=Sincronización terminada")
    assert page.locator("#cola li[data-state=sincronizado]").count() == 3
    rows, citizens, applications, _staff = _db(live_app, server_state)
    assert len(rows) == 3 and len(citizens) == 3 and len(applications) == 2

    # Locking forgets the key: the records are no longer on the screen.
    page.get_by_role("button", name="Bloquear").click()
    assert page.locator("#cola li").count() == 0
    assert errors == []
    context.close()
