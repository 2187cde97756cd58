"""Every page fits a 412-pixel phone (issue 15, item 3).

Chromium at 412 × 823 walks every GET page of the portal as each kind of
visitor: nobody signed in, a citizen signed in through the digital ID's real
pages, and the demo staff of every role. On each page the document must not be
wider than the screen and axe must find nothing. The pages come from the app's
``url_map``: each endpoint is either in ``PAGES`` (who opens it, and the demo
facts that fill its path) or in ``SKIPPED`` (with the reason), and a test checks
that no endpoint is in neither, so a new page cannot be forgotten.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from flask import url_for

from portal.applications import guardian as guardians
from portal.applications import workflow as apps
from portal.applications.documents import get_storage
from portal.appointments import bookings
from portal.appointments.models import Office, Purpose
from portal.appointments.slots import OFFICE, Place, bookable
from portal.backoffice.audit import Actor
from portal.citizens import record
from portal.complaints import desk as complaints
from portal.delivery import handover as delivery
from portal.delivery.views.credential import private_key
from portal.demo import data as demo
from portal.eligibility import household
from portal.models import (
    Agency,
    Application,
    Citizen,
    Complaint,
    Delivery,
    DeliveryPoint,
    Program,
    ReportObligation,
    StaffUser,
    Submission,
    Thread,
)
from portal.models.rights import ArcoRequest
from portal.rights import arco
from portal.rolls import uploads
from portal.secretariat import calendar, messaging, validation
from portal.vocabulary import ApplicationStatus, Role
from portal.web.auth import may_open
from portal.web.extensions import db

from . import test_sign_in_e2e
from .conftest import AXE, AXE_TAGS
from .test_padron_e2e import demo_roll
from .test_sign_in_e2e import sign_in_at_provider

S = ApplicationStatus
# The digital ID's real provider, with the live portal as its client.
provider = test_sign_in_e2e.provider
PHONE = {"width": 412, "height": 823}
SMALLEST_TEXT = 12  # pixels
ANONYMOUS, CITIZEN, STAFF = "anonimo", "ciudadano", "personal"
# The persona that signs in at the digital ID (no other e2e test uses it).
PERSONA, PERSONA_CURP = "jorge", "SAOJ810615HQTNRR01"
# The staff who walk the back office: the demo SEDESOQ team and the state admin.
AGENCY = "sedesoq"
STAFF_ROLES = [r.value for r in Role]

# endpoint: (who opens it, {path parameter: name of a fact of `world`}).
# ANONYMOUS pages are opened by nobody signed in and by the citizen; STAFF pages
# by every role that may open them (``may_open``, read off the views).
PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "public.home": (ANONYMOUS, {}),
    "catalog.index": (ANONYMOUS, {}),
    "catalog.detail": (ANONYMOUS, {"slug": "program"}),
    "questionnaire.start": (ANONYMOUS, {}),
    "questionnaire.question": (ANONYMOUS, {"field": "question"}),
    "questionnaire.review": (ANONYMOUS, {}),
    "questionnaire.results": (ANONYMOUS, {}),
    "questionnaire.saved": (ANONYMOUS, {}),
    "questionnaire.household_page": (ANONYMOUS, {}),
    "questionnaire.para_solicitar.question": (CITIZEN, {"slug": "program", "field": "question"}),
    "transparency.statistics": (ANONYMOUS, {}),
    "transparency.open_data": (ANONYMOUS, {}),
    "transparency.dictionary": (ANONYMOUS, {}),
    "territory.nearest_points": (ANONYMOUS, {}),
    "profile.privacy": (ANONYMOUS, {}),
    "auth.start": (ANONYMOUS, {}),
    "delivery.scanned": (ANONYMOUS, {"token": "token"}),
    "oficina_auth.login": (ANONYMOUS, {}),
    "profile.my_data": (CITIZEN, {}),
    "profile.privacy_notice": (CITIZEN, {}),
    "profile.edit": (CITIZEN, {}),
    "profile.correction": (CITIZEN, {}),
    "rights.new_request": (CITIZEN, {}),
    "rights.request_detail": (CITIZEN, {"folio": "arco_folio"}),
    "applications.notices": (CITIZEN, {}),
    "applications.index": (CITIZEN, {}),
    "applications.apply": (CITIZEN, {"slug": "unapplied_program"}),
    "applications.apply_for_child": (
        CITIZEN,
        {"slug": "unapplied_program", "member": "child_member"},
    ),
    "applications.detail": (CITIZEN, {"folio": "approved_folio"}),
    "applications.receipt": (CITIZEN, {"folio": "approved_folio"}),
    "applications.receipt_slip": (CITIZEN, {"folio": "approved_folio"}),
    "applications.documents": (CITIZEN, {"folio": "sent_folio"}),
    "applications.cancel": (CITIZEN, {"folio": "sent_folio"}),
    "credential.mine": (CITIZEN, {"folio": "approved_folio"}),
    "outreach.preferences": (CITIZEN, {}),
    "recertification.task": (CITIZEN, {"folio": "approved_folio"}),
    "oficina.queue": (STAFF, {}),
    "oficina.case": (STAFF, {"folio": "case_folio"}),
    "oficina_auth.kiosk": (STAFF, {}),
    "oficina_admin.audit": (STAFF, {}),
    "oficina_admin.calls": (STAFF, {}),
    "oficina_admin.agencies": (STAFF, {}),
    "oficina_admin.agency_new": (STAFF, {}),
    "oficina_admin.agency_edit": (STAFF, {"agency_id": "agency_id"}),
    "oficina_admin.staff_list": (STAFF, {}),
    "oficina_admin.staff_new": (STAFF, {}),
    "oficina_admin.staff_edit": (STAFF, {"staff_id": "staff_id"}),
    "oficina_admin.programs": (STAFF, {}),
    "oficina_admin.program_edit": (STAFF, {"slug": "program"}),
    "oficina_admin.program_translation": (STAFF, {"slug": "program", "language": "language"}),
    "oficina_editor.program_new": (STAFF, {}),
    "oficina_editor.program_editor": (STAFF, {"slug": "program"}),
    "oficina_editor.history": (STAFF, {"slug": "program"}),
    "oficina_editor.version": (STAFF, {"slug": "program", "number": "program_version"}),
    "oficina_assisted.start": (STAFF, {}),
    "oficina_assisted.register": (STAFF, {}),
    "oficina_assisted.person": (STAFF, {}),
    "oficina_assisted.apply_for_child": (STAFF, {}),
    "oficina_assisted.application": (STAFF, {"folio": "assisted_folio"}),
    "oficina_assisted.receipt": (STAFF, {"folio": "assisted_folio"}),
    "oficina_assisted.receipt_slip": (STAFF, {"folio": "assisted_folio"}),
    "oficina_assisted.contact": (STAFF, {}),
    "oficina_assisted.credential": (STAFF, {"folio": "assisted_folio"}),
    "oficina_assisted.credential_slip": (STAFF, {"folio": "assisted_folio"}),
    "field.page": (STAFF, {}),
    "field.conflicts": (STAFF, {}),
    "oficina_questionnaire.question": (STAFF, {"field": "question"}),
    "oficina_questionnaire.review": (STAFF, {}),
    "oficina_questionnaire.results": (STAFF, {}),
    "oficina_recertification.review": (STAFF, {"folio": "approved_folio"}),
    "delivery.index": (STAFF, {}),
    "delivery.receipt": (STAFF, {"delivery_id": "delivery_id"}),
    "delivery_calendar.index": (STAFF, {}),
    "delivery_calendar.program": (STAFF, {"slug": "program"}),
    "delivery_ending.form": (STAFF, {"folio": "approved_folio"}),
    "credential_office.search": (STAFF, {}),
    "credential_office.detail": (STAFF, {"folio": "approved_folio"}),
    "rights_office.queue": (STAFF, {}),
    "rights_office.answer": (STAFF, {"folio": "arco_folio"}),
    "rights_office.counter_request": (STAFF, {}),
    "rights_office.blackouts": (STAFF, {}),
    "complaints.new": (ANONYMOUS, {}),
    "complaints.follow": (ANONYMOUS, {}),
    "complaints.statistics": (ANONYMOUS, {}),
    "complaints.mine": (CITIZEN, {}),
    "complaints.mine_detail": (CITIZEN, {"folio": "complaint_folio"}),
    "complaints_office.queue": (STAFF, {}),
    "complaints_office.detail": (STAFF, {"folio": "complaint_folio"}),
    "padron.index": (STAFF, {}),
    "padron.batch": (STAFF, {"batch_id": "batch_id"}),
    "padron.statistics": (STAFF, {}),
    "padron.federal_index": (STAFF, {}),
    "padron.duplicates_index": (STAFF, {}),
    "planning.index": (STAFF, {}),
    "planning.program": (STAFF, {"slug": "program", "year": "year"}),
    "planning.goals": (STAFF, {"slug": "program", "year": "year"}),
    "planning.budget": (STAFF, {"slug": "program", "year": "year"}),
    "secretariat.index": (STAFF, {}),
    "secretariat.overdue": (STAFF, {}),
    "secretariat.new_obligation": (STAFF, {}),
    "secretariat.notices": (STAFF, {}),
    "secretariat.send": (STAFF, {"obligation_id": "obligation_id"}),
    "secretariat.submissions": (STAFF, {}),
    "secretariat.submission": (STAFF, {"submission_id": "submission_id"}),
    "secretariat.threads": (STAFF, {}),
    "secretariat.new_thread": (STAFF, {"tema": "topic", "id": "obligation_id"}),
    "secretariat.thread": (STAFF, {"thread_id": "thread_id"}),
    "appointments.index": (CITIZEN, {}),
    "appointments.book_office": (CITIZEN, {"office_id": "office_id"}),
    "appointments.book_delivery": (CITIZEN, {"folio": "approved_folio"}),
    "appointments.detail": (CITIZEN, {"booking_id": "booking_id"}),
    "appointments_office.index": (STAFF, {}),
    "appointments_office.point_day": (STAFF, {"place_id": "point_id"}),
    "appointments_office.point_slots": (STAFF, {"place_id": "point_id"}),
    "appointments_office.office_day": (STAFF, {"place_id": "office_id"}),
    "appointments_office.office_slots": (STAFF, {"place_id": "office_id"}),
}

# Endpoints no person reads as a page, each with the reason.
SKIPPED: dict[str, str] = {
    "assets.static_file": "the stylesheet, scripts and images themselves",
    "public.healthz": "a health check for the load balancer, not a page",
    "public.language": "only sets the language and redirects back",
    "auth.callback": "the digital ID's redirect, walked by signing in",
    "auth.kiosk_anonymous_reset": "only clears a kiosk visit and redirects home",
    "questionnaire.next_step": "only redirects to the next question",
    "oficina_questionnaire.next_step": "only redirects to the next question",
    "questionnaire.para_solicitar.start_pass": "only redirects to the first missing answer",
    "questionnaire.para_solicitar.next_step": "only redirects to the next missing answer",
    "oficina.next_pending": "only redirects to the next case in the queue",
    "credential.public_keys": "a JSON key set for delivery points",
    "credential.mine_png": "the QR code as a PNG image",
    "profile.download": "the personal data as a JSON or CSV download",
    "rights.response_pdf": "the office's answer as a PDF",
    "rights_office.office_response_pdf": "the office's answer as a PDF",
    "complaints.statistics_csv": "the public counts as CSV",
    "complaints_office.attachment": "a complaint's attached file",
    "applications.download": "a document as the person uploaded it",
    "oficina.document": "a document as the person uploaded it",
    "transparency.catalog": "open data download (CSV, JSON)",
    "transparency.beneficiaries": "open data download (CSV, JSON)",
    "transparency.roll": "open data download (CSV, JSON)",
    "transparency.statistics_csv": "open data download (CSV)",
    "oficina_admin.audit_export": "the audit trail as CSV",
    "padron.report": "the rejected rows as CSV",
    "padron.federal_download": "the federal roll file",
    "planning.summary_csv": "spreadsheet download",
    "planning.summary_xlsx": "spreadsheet download",
    "planning.progress_csv": "spreadsheet download",
    "planning.progress_xlsx": "spreadsheet download",
    "secretariat.attachment": "a message's attachment as it was checked and stored",
    "field.service_worker": "the brigade page's service worker script",
    "field.manifest": "the brigade page's web app manifest (JSON)",
    "field.session_token": "the brigade device's session and CSRF token (JSON)",
    "field.catalog": "the catalogs a brigade device downloads (JSON)",
    "field.conflict": (
        "a record's conflict opens only for its agency's brigade staff; "
        "measured at 412 px in tests/e2e/test_field_offline_e2e.py"
    ),
}

# The page's width; the widest thing that sticks out past the right edge of the
# screen, outside any box that scrolls or clips on its own (null when the page
# fits); the smallest chart text in pixels as drawn.
MEASURE = """() => {
  const root = document.documentElement, limit = root.clientWidth;
  const clipped = el => {
    for (let p = el.parentElement; p && p !== root; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  const name = el => {
    const parts = [];
    for (let e = el; e && e !== root && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) { parts.unshift(part + '#' + e.id); break; }
      if (e.classList.length) part += '.' + [...e.classList].join('.');
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  let widest = null, right = limit;
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > right + 0.5 && !clipped(el)) { widest = el; right = box.right; }
  }
  // Chart text as drawn: its font size in the drawing's units times the scale.
  const sizes = [...document.querySelectorAll('svg text')].map(
    t => parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM() || {a: 1}).a);
  return {width: root.scrollWidth, screen: limit,
          widest: widest && name(widest), right: Math.round(right),
          smallest_chart_text: sizes.length ? Math.min(...sizes) : null};
}"""


def test_every_get_endpoint_is_walked_or_skipped_for_a_reason(live_app):
    endpoints = {r.endpoint for r in live_app.url_map.iter_rules() if "GET" in r.methods}
    assert sorted(endpoints - PAGES.keys() - SKIPPED.keys()) == []
    assert sorted((PAGES.keys() | SKIPPED.keys()) - endpoints) == []
    assert sorted(PAGES.keys() & SKIPPED.keys()) == []
    with live_app.app_context():
        staff_pages = {e for e, (who, _) in PAGES.items() if who == STAFF}
        for endpoint in staff_pages:
            assert any(may_open(endpoint, role) for role in STAFF_ROLES), endpoint


STATE_ACCOUNTS = {
    Role.ADMIN_ESTATAL: "estatal",
    Role.SECRETARIA: "secretaria",
    Role.VENTANILLA_ESTATAL: "ventanilla",
}


def _staff(role: str) -> StaffUser:
    if role in STATE_ACCOUNTS:
        return StaffUser.get(StaffUser.email == f"{STATE_ACCOUNTS[role]}@{demo.STAFF_DOMAIN}")
    return StaffUser.get(StaffUser.email == f"{role}.{AGENCY}@{demo.STAFF_DOMAIN}")


def _answers_like(person: Citizen) -> tuple[Citizen, list[Program]]:
    """A demo person of the same sex and about the same age, and the open
    programs they may receive: their answers make ``person`` eligible too."""
    today = dt.date.today()
    near = dt.timedelta(days=5 * 365)
    donors = (
        Citizen.select()
        .join(Application, on=Application.citizen == Citizen.id)
        .where(
            (Citizen.sex == person.sex)
            & Citizen.birth_date.between(person.birth_date - near, person.birth_date + near)
        )
        .distinct()
        .order_by(Citizen.id)
    )
    best: tuple[Citizen, list[Program]] | None = None
    for donor in donors:
        programs = [
            p
            for p in Program.select().order_by(Program.id)
            if apps.open_call(p, today) and not apps.eligibility_reasons(donor, p, today)
        ]
        if best is None or len(programs) > len(best[1]):
            best = donor, programs
    assert best is not None and len(best[1]) >= 2, "no demo person to answer like"
    return best


def _carry_out(person: Citizen, program: Program, step: str, key: str) -> Application:
    plan = demo.Plan(0, key, person.curp, program, False, False, False, 0.0, "1234", step)
    team = demo.teams()[program.agency_id]
    return demo.carry_out(plan, person, team, demo.Scans(), get_storage(), dt.date.today(), "QRO")


@pytest.fixture(scope="module")
def world(live_app, tmp_path_factory) -> dict[str, Any]:
    """The demo facts that fill the pages' paths. The persona gets a history
    through the domain, as the demo gives the synthetic people theirs: an
    approved application with its credential, one sent, a rights request."""
    with live_app.app_context():
        db.connect(reuse_if_open=True)
        person = Citizen.get(Citizen.curp == PERSONA_CURP)
        donor, programs = _answers_like(person)
        record.merge_answers(person, donor.profile)
        contact = {
            "email": "jorge.santos.ortiz.de.la.concepcion@correo-electronico.example.org",
            "phone": "4421234567",
            "notify_channel": "email",
            "road_type": "Calle",
            "road_name": "Prolongación Ignacio Zaragoza Poniente",
            "exterior_number": "1234",
            "postal_code": "76000",
            "locality": "Santiago de Querétaro",
        }
        record.update_contact(person, contact, donor.municipality_id, Actor.citizen(person))
        person = Citizen.get_by_id(person.id)
        if not guardians.children(person.id):
            household.add_member(
                person.id, household.Member("hija_hijo", 7, "M", "primaria", False)
            )
        child_member = guardians.children(person.id)[0][0]
        approved = Application.get_or_none(
            (Application.citizen == person.id) & (Application.idempotency_key == "narrow-1")
        ) or _carry_out(person, programs[0], S.APROBADA, "narrow-1")
        sent = Application.get_or_none(
            (Application.citizen == person.id) & (Application.idempotency_key == "narrow-2")
        ) or next(
            _carry_out(person, p, S.ENVIADA, "narrow-2")
            for p in programs[1:]
            if not apps.eligibility_reasons(person, p, dt.date.today())
        )
        request = ArcoRequest.get_or_none(ArcoRequest.citizen == person.id) or arco.file_request(
            "acceso",
            "Quiero saber qué datos personales tienen de mí y con quién los comparten.",
            Actor.citizen(person),
            citizen=person,
        )
        # About the agency's program and sent on to the internal control body:
        # the agency's roles and the state admin both open it.
        complaint = Complaint.get_or_none(Complaint.citizen == person.id) or complaints.escalate(
            complaints.file_complaint(
                complaints.Filing(
                    "queja",
                    "entrega",
                    "En el módulo de entrega me pidieron una cooperación para darme el apoyo.",
                    Program.get(Program.agency == Agency.get(Agency.slug == AGENCY).id).id,
                    place="Módulo de entrega de la Prolongación Ignacio Zaragoza Poniente",
                ),
                citizen=person,
            ).complaint.folio,
            _staff(Role.ADMIN_DEPENDENCIA),
        )
        credential = delivery.current_credential(approved)
        unapplied = next(
            p
            for p in programs
            if p.id not in (approved.program_id, sent.program_id)
            and not apps.eligibility_reasons(person, p, dt.date.today())
        )
        agency = Agency.get(Agency.slug == AGENCY)
        roll_program = Program.get(Program.agency == agency.id)
        path, _rows = demo_roll(tmp_path_factory.mktemp("padron") / "padron.csv", 500, 3)
        folder = uploads.uploads_folder(live_app.instance_path)
        with path.open("rb") as source:
            # Left at its preview, the batch page's longest state.
            batch, pending = uploads.receive(
                folder,
                source,
                path.name,
                roll_program,
                _staff(Role.ADMIN_DEPENDENCIA).id,
                preview=True,
            )
        if pending:
            uploads.run_preview(folder, batch.id)
        agency_programs = Program.select(Program.id).where(Program.agency == agency.id)
        in_agency = Application.program.in_(agency_programs)
        case = (
            Application.select()
            .where(in_agency & (Application.status == S.EN_REVISION))
            .order_by(Application.id)
            .first()
        )
        assisted = (
            Application.select()
            .where(in_agency & Application.assisted_by.is_null(False))
            .order_by(Application.id)
            .first()
        )
        handed = Delivery.select().join(Application).where(in_agency).order_by(Delivery.id).first()
        obligation, submission, thread = _secretariat_facts(agency, roll_program)
        office = Office.select().where(Office.active).order_by(Office.id).first()
        point = (
            DeliveryPoint.select()
            .join(Program)
            .where((Program.agency == agency.id) & DeliveryPoint.active)
            .order_by(DeliveryPoint.id)
            .first()
        )
        booking = bookings.live_booking(person.id, Purpose.VENTANILLA) or bookings.book(
            person, bookable(Place(OFFICE, office))[0].id, Purpose.VENTANILLA
        )
        facts = {
            "program": approved.program.slug,
            "program_version": approved.program.version,
            "unapplied_program": unapplied.slug,
            "child_member": child_member,
            "question": "household_size",
            "token": delivery.token_for(credential, private_key(), approved),
            "approved_folio": approved.folio,
            "sent_folio": sent.folio,
            "arco_folio": request.folio,
            "complaint_folio": complaint.folio,
            "case_folio": case.folio,
            "assisted_folio": assisted.folio,
            "agency_id": agency.id,
            "staff_id": _staff(Role.REVISOR).id,
            "language": "en",
            "delivery_id": handed.id,
            "batch_id": batch.id,
            "year": dt.date.today().year,
            "obligation_id": obligation.id,
            "submission_id": submission.id,
            "thread_id": thread.id,
            "topic": "obligacion",
            "office_id": office.id,
            "point_id": point.id,
            "booking_id": booking.id,
        }
        db.close()
    return facts


def _secretariat_facts(agency: Agency, program: Program):
    """An obligation of the agency, its quarterly report sent, and a thread about it."""
    secretariat = _staff(Role.SECRETARIA)
    admin = _staff(Role.ADMIN_DEPENDENCIA)
    obligation = ReportObligation.get_or_none(ReportObligation.agency == agency.id)
    if obligation is None:
        obligation = calendar.create_obligation(
            secretariat,
            agency_id=agency.id,
            program_id=program.id,
            kind="avance_trimestral",
            title="Avance del cuarto trimestre de los programas de la dependencia",
            due_on=dt.date.today() + dt.timedelta(days=3),
            remind_days=5,
        )
    submission = Submission.get_or_none(Submission.agency == agency.id) or (
        validation.submit_quarterly_report(obligation, 4, Actor.staff(admin))
    )
    thread = Thread.get_or_none(Thread.agency == agency.id) or messaging.start(
        admin,
        "envio",
        submission.id,
        "Una duda sobre el gasto de diciembre del programa",
        "El gasto de diciembre se cierra el día 5. ¿Podemos enviarlo después de la fecha?",
    )
    return obligation, submission, thread


def _pages_of(app, visitor: str, facts: dict[str, Any]) -> list[tuple[str, str]]:
    """(endpoint, path) of every page ``visitor`` opens."""
    with app.test_request_context():
        wanted = []
        for endpoint, (who, params) in PAGES.items():
            if visitor in (ANONYMOUS, CITIZEN):
                opens = who == ANONYMOUS or (who == CITIZEN and visitor == CITIZEN)
            else:
                opens = who == STAFF and may_open(endpoint, visitor)
            if opens:
                values = {name: facts[fact] for name, fact in params.items()}
                wanted.append((endpoint, url_for(endpoint, **values)))
    return wanted


def _axe(page) -> list[dict]:
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]


def _sign_in_citizen(page, base_url) -> None:
    page.goto(base_url + "/entrar")
    page.get_by_role("button", name="Continuar a la Llave Digital").click()
    sign_in_at_provider(page, PERSONA)
    page.wait_for_url(f"{base_url}/**")
    if "/mis-datos/aviso" in page.url:
        page.get_by_label("Leí el aviso de privacidad").check()
        page.get_by_role("button", name="Aceptar y continuar").click()
        page.wait_for_url(f"{base_url}/mis-datos**")


def _sign_in_staff(page, base_url, role: str) -> None:
    page.goto(base_url + "/oficina/entrar")
    page.get_by_label("Correo").fill(_staff(role).email)
    page.get_by_label("Contraseña").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(lambda url: "/oficina/entrar" not in url)


@pytest.mark.usefixtures("provider")
@pytest.mark.parametrize("visitor", [ANONYMOUS, CITIZEN, *STAFF_ROLES])
def test_every_page_fits_a_412_pixel_screen(browser, live_app, base_url, world, visitor):
    context = browser.new_context(viewport=PHONE, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    if visitor == CITIZEN:
        _sign_in_citizen(page, base_url)
    elif visitor != ANONYMOUS:
        with live_app.app_context():
            _sign_in_staff(page, base_url, visitor)
    problems = []
    pages = _pages_of(live_app, visitor, world)
    for endpoint, path in pages:
        response = page.goto(base_url + path)
        found: dict[str, Any] = {}
        if response is None or response.status != 200:
            found["status"] = response and response.status
        size = page.evaluate(MEASURE)
        small_text = (size["smallest_chart_text"] or SMALLEST_TEXT) < SMALLEST_TEXT
        if size["width"] > size["screen"] or small_text:
            found["size"] = size
        violations = _axe(page)
        if violations:
            found["axe"] = violations
        if found:
            problems.append({"page": endpoint, "path": path, "ended_at": page.url, **found})
    context.close()
    assert pages
    assert problems == [], json.dumps(problems, indent=1, ensure_ascii=False)
