"""Every route of the app against every kind of visitor.

``RULES`` holds one rule per endpoint; a route without a rule fails
``test_every_route_has_a_rule``, so a new area must say who may use it. Each
endpoint is then requested (every method it answers) as: anonymous, a citizen
who owns the object and one who does not, each staff role of the object's
agency and of another agency, and a state admin. Whoever the rule does not
allow must be refused: sent to sign in (anonymous), 403, or 404 for an object
that is someone else's. Whoever it allows must not be refused.

To add an area: add its endpoints to RULES and, if its URLs take a new
parameter, say in ``_params`` which object fills it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pytest

from portal.applications.uploads import inspect_upload
from portal.appointments import bookings
from portal.appointments.models import Purpose
from portal.backoffice.audit import Actor
from portal.complaints import desk
from portal.delivery import handover as delivery
from portal.delivery import recertification
from portal.eligibility import household
from portal.models import (
    Document,
    DuplicateCandidate,
    Enrollment,
    ImportBatch,
    ProgramVersion,
    Recertification,
    ThreadMessage,
)
from portal.rights import arco, blackout
from portal.rights.holidays import local_today
from portal.secretariat import calendar, messaging, validation
from portal.web.assets import asset
from tests.application_builders import MINIMAL_PDF, submitted
from tests.appointments.builders import make_office, make_slot
from tests.conftest import sign_in_as
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_delivery_point,
    make_program,
    make_staff,
)
from tests.field.builders import conflict_of

ALL_STAFF = ("revisor", "entrega", "supervisor", "admin_dependencia", "admin_estatal")
REVIEWERS = ("revisor", "supervisor", "admin_dependencia", "admin_estatal")
PROGRAM_ADMINS = ("admin_dependencia", "admin_estatal")
STATE = ("admin_estatal",)
COUNTER = ("revisor", "admin_dependencia")
RECERTIFIERS = ("revisor", "supervisor", "admin_dependencia")
# An agency's complaint desk: the state admins see only complaints about no program
# and those sent on to the internal control body, never an agency's own.
COMPLAINT_DESK = ("revisor", "supervisor", "admin_dependencia")
# Only roles no persona has (the secretariat's, the state counter's): every persona is refused.
NO_PERSONA: tuple[str, ...] = ()
AGENCY_ADMIN = ("admin_dependencia",)


@dataclass(frozen=True)
class Rule:
    """``who``: "anyone", "citizen" or "staff". ``own``: the URL names an object
    that belongs to one citizen or one agency. ``roles``: staff roles allowed."""

    who: str
    own: bool = False
    roles: tuple[str, ...] = ()


ANYONE = Rule("anyone")
SIGNED_IN = Rule("signed_in")
CITIZEN = Rule("citizen")
CITIZEN_OWN = Rule("citizen", own=True)


def staff(roles=ALL_STAFF, own=False) -> Rule:
    return Rule("staff", own=own, roles=roles)


RULES: dict[str, Rule] = {
    # Public pages and sign-in.
    "public.home": ANYONE,
    "public.language": ANYONE,
    "public.healthz": ANYONE,
    "assets.static_file": ANYONE,
    "catalog.index": ANYONE,
    "catalog.detail": ANYONE,
    "questionnaire.start": ANYONE,
    "questionnaire.next_step": ANYONE,
    "questionnaire.question": ANYONE,
    "questionnaire.review": ANYONE,
    "questionnaire.results": ANYONE,
    "questionnaire.save": ANYONE,
    "questionnaire.saved": ANYONE,
    "questionnaire.resume": ANYONE,
    "questionnaire.restart": ANYONE,
    "profile.privacy": ANYONE,
    "auth.start": ANYONE,
    "auth.go_to_provider": ANYONE,
    "auth.callback": ANYONE,
    "auth.sign_out": ANYONE,
    "auth.extend_session": SIGNED_IN,
    "auth.kiosk_anonymous_reset": ANYONE,
    "oficina_auth.login": ANYONE,
    "oficina_auth.logout": ANYONE,
    # The citizen's own pages.
    "profile.my_data": CITIZEN,
    "profile.privacy_notice": CITIZEN,
    "profile.download": CITIZEN,
    "profile.edit": CITIZEN,
    "profile.correction": CITIZEN,
    "applications.apply": CITIZEN,
    # Applying for a child of one's household: the member is in the owner's list only.
    "applications.apply_for_child": CITIZEN_OWN,
    "applications.index": CITIZEN,
    "applications.notices": CITIZEN,
    "applications.detail": CITIZEN_OWN,
    "applications.documents": CITIZEN_OWN,
    "applications.download": CITIZEN_OWN,
    "applications.receipt": CITIZEN_OWN,
    "applications.receipt_slip": CITIZEN_OWN,
    "applications.resubmit": CITIZEN_OWN,
    "applications.submit": CITIZEN_OWN,
    "applications.upload": CITIZEN_OWN,
    "applications.cancel": CITIZEN_OWN,
    # Back office.
    "oficina_auth.kiosk": staff(),
    "oficina.queue": staff(REVIEWERS),
    "oficina.next_pending": staff(REVIEWERS),
    "oficina.case": staff(REVIEWERS, own=True),
    "oficina.document": staff(REVIEWERS, own=True),
    "oficina.take": staff(REVIEWERS, own=True),
    "oficina.release": staff(REVIEWERS, own=True),
    "oficina.flag": staff(REVIEWERS, own=True),
    "oficina.review_document": staff(REVIEWERS, own=True),
    "oficina.request_correction": staff(REVIEWERS, own=True),
    "oficina.approve": staff(REVIEWERS, own=True),
    "oficina.reject": staff(REVIEWERS, own=True),
    "oficina.approve_with_override": staff(("supervisor",), own=True),
    "oficina_assisted.start": staff(COUNTER),
    "oficina_assisted.register": staff(COUNTER),
    "oficina_assisted.person": staff(COUNTER),
    "oficina_assisted.apply": staff(COUNTER),
    "oficina_assisted.apply_for_child": staff(COUNTER),
    "oficina_assisted.application": staff(COUNTER, own=True),
    "oficina_assisted.upload": staff(COUNTER, own=True),
    "oficina_assisted.submit": staff(COUNTER, own=True),
    "oficina_assisted.receipt": staff(COUNTER, own=True),
    "oficina_assisted.receipt_slip": staff(COUNTER, own=True),
    "oficina_questionnaire.next_step": staff(COUNTER),
    "oficina_questionnaire.question": staff(COUNTER),
    "oficina_questionnaire.review": staff(COUNTER),
    "oficina_questionnaire.results": staff(COUNTER),
    "oficina_admin.programs": staff(PROGRAM_ADMINS),
    "oficina_admin.program_edit": staff(PROGRAM_ADMINS, own=True),
    "oficina_admin.audit": staff(STATE),
    "oficina_admin.audit_export": staff(STATE),
    "oficina_admin.staff_list": staff(STATE),
    "oficina_admin.staff_new": staff(STATE),
    "oficina_admin.staff_edit": staff(STATE),
    "oficina_admin.staff_deactivate": staff(STATE),
    "oficina_admin.staff_reactivate": staff(STATE),
    "oficina_admin.agencies": staff(STATE),
    "oficina_admin.agency_new": staff(STATE),
    "oficina_admin.agency_edit": staff(STATE),
    # Delivery: the holder's QR, the public check, the operator's pages.
    "credential.mine": CITIZEN_OWN,
    "credential.mine_png": CITIZEN_OWN,
    "credential.public_keys": ANYONE,
    "delivery.scanned": ANYONE,
    "delivery.index": staff(("entrega",)),
    "delivery.check": staff(("entrega",)),
    "delivery.confirm": staff(("entrega",)),
    "delivery.receipt": staff(("entrega",), own=True),
    "credential_office.search": staff(("entrega", "admin_dependencia")),
    "credential_office.detail": staff(("entrega", "admin_dependencia"), own=True),
    "credential_office.reissue": staff(("entrega", "admin_dependencia"), own=True),
    "credential_office.revoke": staff(("entrega", "admin_dependencia"), own=True),
    "delivery_calendar.index": staff(("admin_dependencia",)),
    "delivery_calendar.program": staff(("admin_dependencia",), own=True),
    "delivery_calendar.set_date": staff(("admin_dependencia",), own=True),
    "delivery_ending.form": staff(("supervisor", "admin_dependencia"), own=True),
    "delivery_ending.end": staff(("supervisor", "admin_dependencia"), own=True),
    # Re-certification (issue 16, item 5): the person's proof; the agency's reviewers judge it.
    "recertification.task": CITIZEN_OWN,
    "recertification.upload": CITIZEN_OWN,
    "oficina_recertification.review": staff(RECERTIFIERS, own=True),
    "oficina_recertification.accept": staff(RECERTIFIERS, own=True),
    "oficina_recertification.ask_correction": staff(RECERTIFIERS, own=True),
    # Data-protection rights and the electoral blackout.
    "rights.new_request": CITIZEN,
    "rights.request_detail": CITIZEN_OWN,
    "rights.response_pdf": CITIZEN_OWN,
    "rights_office.counter_request": staff(("revisor", "admin_dependencia", "admin_estatal")),
    "rights_office.queue": staff(STATE),
    "rights_office.answer": staff(STATE),
    "rights_office.office_response_pdf": staff(STATE),
    "rights_office.blackouts": staff(STATE),
    "rights_office.withdraw_blackout": staff(STATE),
    # Waiting lists (issue 16, item 9): each call's places and waiting count.
    "oficina_admin.calls": staff(REVIEWERS),
    # Planning (issue 16, items 6-8): budgets, goals and indicators, progress.
    "planning.index": staff(PROGRAM_ADMINS),
    "planning.summary_csv": staff(PROGRAM_ADMINS),
    "planning.summary_xlsx": staff(PROGRAM_ADMINS),
    "planning.program": staff(PROGRAM_ADMINS, own=True),
    "planning.progress_csv": staff(PROGRAM_ADMINS, own=True),
    "planning.progress_xlsx": staff(PROGRAM_ADMINS, own=True),
    "planning.budget": staff(PROGRAM_ADMINS, own=True),
    "planning.goals": staff(PROGRAM_ADMINS, own=True),
    "planning.set_goal": staff(PROGRAM_ADMINS, own=True),
    "planning.add_indicator": staff(PROGRAM_ADMINS, own=True),
    # Content in other languages (issue 20, item 5): a program's texts per language.
    "oficina_admin.program_translation": staff(PROGRAM_ADMINS, own=True),
    # The guided program editor, drafts and review (issue 17, items 1-4).
    "oficina_editor.program_new": staff(PROGRAM_ADMINS),
    "oficina_editor.program_editor": staff(PROGRAM_ADMINS, own=True),
    "oficina_editor.history": staff(("supervisor", *PROGRAM_ADMINS), own=True),
    "oficina_editor.version": staff(("supervisor", *PROGRAM_ADMINS), own=True),
    "oficina_editor.submit": staff(PROGRAM_ADMINS, own=True),
    "oficina_editor.publish": staff(("supervisor",), own=True),
    "oficina_editor.send_back": staff(("supervisor",), own=True),
    # The federal single roll (issue 16, item 10): the program's agency admin and the state.
    "padron.federal_index": staff(PROGRAM_ADMINS),
    "padron.federal_download": staff(PROGRAM_ADMINS, own=True),
    # Rolls, duplicates and statistics in the back office.
    "padron.index": staff(PROGRAM_ADMINS),
    "padron.batch": staff(PROGRAM_ADMINS, own=True),
    "padron.report": staff(PROGRAM_ADMINS, own=True),
    # The preview of an upload (issue 17, item 8): committed or discarded by the same admins.
    "padron.commit": staff(PROGRAM_ADMINS, own=True),
    "padron.discard": staff(PROGRAM_ADMINS, own=True),
    "padron.statistics": staff(PROGRAM_ADMINS),
    "padron.duplicates_index": staff(STATE),
    "padron.decide": staff(STATE),
    # Transparency: public, and never personal data (tests/rolls/test_padron_views.py).
    "transparency.open_data": ANYONE,
    "transparency.dictionary": ANYONE,
    "transparency.catalog": ANYONE,
    "transparency.beneficiaries": ANYONE,
    "transparency.roll": ANYONE,
    "transparency.statistics": ANYONE,
    "transparency.statistics_csv": ANYONE,
    # The household in the questionnaire (issue 18, item 2): the person's own answers,
    # in the session or their record; the pass that asks what a program still needs
    # is a signed-in citizen's (any citizen: the slug names a public program).
    "questionnaire.household_page": ANYONE,
    "questionnaire.remove_member": ANYONE,
    "questionnaire.para_solicitar.start_pass": CITIZEN,
    "questionnaire.para_solicitar.next_step": CITIZEN,
    "questionnaire.para_solicitar.question": CITIZEN,
    # The secretariat (issue 17, items 5-7): the calendar, validation and messages are
    # the secretariat's (role secretaria, no persona) and the agency admin's, scoped to
    # their agency; overdue board, new obligations and decisions the secretariat's only.
    "secretariat.index": staff(AGENCY_ADMIN),
    "secretariat.overdue": staff(NO_PERSONA),
    "secretariat.new_obligation": staff(NO_PERSONA),
    "secretariat.mark_done": staff(AGENCY_ADMIN, own=True),
    "secretariat.send": staff(AGENCY_ADMIN, own=True),
    "secretariat.notices": staff(),
    "secretariat.submissions": staff(AGENCY_ADMIN),
    "secretariat.submission": staff(AGENCY_ADMIN, own=True),
    "secretariat.take": staff(NO_PERSONA, own=True),
    "secretariat.decide": staff(NO_PERSONA, own=True),
    "secretariat.threads": staff(AGENCY_ADMIN),
    "secretariat.new_thread": staff(AGENCY_ADMIN, own=True),
    "secretariat.thread": staff(AGENCY_ADMIN, own=True),
    "secretariat.reply": staff(AGENCY_ADMIN, own=True),
    "secretariat.attachment": staff(AGENCY_ADMIN, own=True),
    # Appointments (docs/appointments.md): people's own bookings; an agency's
    # points for its delivery staff; the state's offices for the state.
    "appointments.index": CITIZEN,
    "appointments.book_office": CITIZEN,
    "appointments.book_delivery": CITIZEN_OWN,
    "appointments.detail": CITIZEN_OWN,
    "appointments.change": CITIZEN_OWN,
    "appointments.cancel": CITIZEN_OWN,
    "appointments_office.index": staff(("entrega", "admin_dependencia", "admin_estatal")),
    "appointments_office.point_day": staff(("entrega", "admin_dependencia"), own=True),
    "appointments_office.point_slots": staff(("admin_dependencia",), own=True),
    "appointments_office.office_day": staff(STATE),
    "appointments_office.office_slots": staff(STATE),
    "appointments_office.attendance": staff(("entrega", "admin_dependencia"), own=True),
    "appointments_office.book_for_person": staff(("entrega", "admin_dependencia"), own=True),
    # Territory (issue 19, items 1-3): the nearest delivery points, for anyone; a signed-in
    # citizen starts from their own record's locality, never named in the URL.
    "territory.nearest_points": ANYONE,
    # Complaints and reports (issue 18, item 7): anyone files and follows one (folio and
    # code posted); the signed-in person's own; the desk of the program's agency.
    "complaints.new": ANYONE,
    "complaints.follow": ANYONE,
    "complaints.statistics": ANYONE,
    "complaints.statistics_csv": ANYONE,
    "complaints.mine": CITIZEN,
    "complaints.mine_detail": CITIZEN_OWN,
    "complaints_office.queue": staff(REVIEWERS),
    "complaints_office.detail": staff(COMPLAINT_DESK, own=True),
    "complaints_office.attachment": staff(COMPLAINT_DESK, own=True),
    "complaints_office.assign": staff(COMPLAINT_DESK, own=True),
    "complaints_office.answer": staff(COMPLAINT_DESK, own=True),
    "complaints_office.escalate": staff(COMPLAINT_DESK, own=True),
    # The state counter and outreach (issue 18, items 4 and 6): the counter takes down
    # the checked person's contact and prints an approved application's credential
    # (the state counter, ventanilla_estatal, is no persona); the person's consent.
    "oficina_assisted.contact": staff(COUNTER),
    # Field registration offline (portal/field/): the service worker and the
    # manifest carry no data; a record in conflict is its agency's brigade staff's.
    "field.page": staff(COUNTER),
    "field.service_worker": ANYONE,
    "field.manifest": ANYONE,
    "field.session_token": staff(COUNTER),
    "field.catalog": staff(COUNTER),
    "field.sync_record": staff(COUNTER),
    "field.conflicts": staff(COUNTER),
    "field.conflict": staff(COUNTER, own=True),
    "oficina_assisted.credential": staff(COUNTER, own=True),
    "oficina_assisted.credential_slip": staff(COUNTER, own=True),
    "outreach.preferences": CITIZEN,
}

# Endpoints whose object must be in a particular state for its owner to see it.
PARAM_OVERRIDES = {
    "applications.apply_for_child": {"member": "index"},
    "credential.mine_png": {"folio": "approved_folio"},
    "credential_office.detail": {"folio": "approved_folio"},
    "credential_office.reissue": {"folio": "approved_folio"},
    "credential_office.revoke": {"folio": "approved_folio"},
    "delivery_calendar.program": {"slug": "scheduled_slug"},
    "delivery_calendar.set_date": {"slug": "scheduled_slug"},
    "delivery_ending.form": {"folio": "approved_folio"},
    "delivery_ending.end": {"folio": "approved_folio"},
    "recertification.task": {"folio": "renewing_folio"},
    "recertification.upload": {"folio": "renewing_folio"},
    "oficina_recertification.review": {"folio": "renewing_folio"},
    "oficina_recertification.accept": {"folio": "renewing_folio"},
    "oficina_recertification.ask_correction": {"folio": "renewing_folio"},
    "rights.request_detail": {"folio": "arco_folio"},
    "rights.response_pdf": {"folio": "arco_folio"},
    "rights_office.answer": {"folio": "arco_folio"},
    "rights_office.office_response_pdf": {"folio": "arco_folio"},
    "appointments.book_delivery": {"folio": "approved_folio"},
    "appointments_office.office_day": {"place_id": "office_id"},
    "appointments_office.office_slots": {"place_id": "office_id"},
    "complaints.mine_detail": {"folio": "complaint_folio"},
    "complaints_office.detail": {"folio": "complaint_folio"},
    "complaints_office.attachment": {"folio": "complaint_folio"},
    "complaints_office.assign": {"folio": "complaint_folio"},
    "complaints_office.answer": {"folio": "complaint_folio"},
    "complaints_office.escalate": {"folio": "complaint_folio"},
    "oficina_assisted.credential": {"folio": "approved_folio"},
    "oficina_assisted.credential_slip": {"folio": "approved_folio"},
}

# Endpoints that name their object in the query string: argument -> key of ``params``.
QUERY_ARGS = {
    "secretariat.new_thread": {"tema": "topic", "id": "program_id"},
}

# Endpoints whose allowed use changes their object even on an empty POST (a complaint
# sent on leaves the agency's hands): each persona gets a fresh object of its own,
# argument -> key of the function in ``params`` that makes one.
FRESH_PER_PERSONA = {
    "complaints_office.escalate": {"folio": "new_complaint_folio"},
}

PERSONAS = [
    "anonymous",
    "citizen_own",
    "citizen_other",
    *(f"{role}_own" for role in ("revisor", "entrega", "admin_dependencia")),
    *(f"{role}_other" for role in ("revisor", "entrega", "admin_dependencia")),
    "admin_estatal",
]


def _routes(app):
    return sorted(
        {(r.endpoint, m) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}
    )


def test_every_route_has_a_rule(app):
    missing = sorted({endpoint for endpoint, _ in _routes(app)} - set(RULES))
    assert not missing, f"routes without an authorization rule in RULES: {missing}"


def test_every_rule_names_a_route(app):
    assert not set(RULES) - {endpoint for endpoint, _ in _routes(app)}


def _world():
    home, elsewhere = make_agency(slug="sedesoq"), make_agency(slug="educacion")
    program = make_program(home)
    ProgramVersion.create(program=program, version=1, snapshot={})  # its published version
    owner = make_citizen()
    application = submitted(owner, program)
    # The owner's daughter of 7, for applying for a child (portal/applications/guardian.py).
    household.add_member(owner.id, household.Member("hija_hijo", 7, "M", "primaria", False))
    people = {
        "citizen_own": owner,
        "citizen_other": make_citizen(),
        "admin_estatal": make_staff("admin_estatal"),
    }
    for role in ("revisor", "entrega", "admin_dependencia"):
        people[f"{role}_own"] = make_staff(role, home)
        people[f"{role}_other"] = make_staff(role, elsewhere)
    document = Document.select().where(Document.application == application.id).first()
    target = make_staff("revisor", home)
    approved = make_application(owner, make_program(home), status="aprobada")
    delivery.issue_credential(approved)
    operator = make_staff("entrega", home)
    handed = make_application(make_citizen(), program, status="aprobada")
    handed_over = delivery.confirm_delivery(
        delivery.issue_credential(handed),
        operator,
        make_delivery_point(program),
        delivery.IdCheck("ine", "1234"),
    )
    scheduled = make_program(home, benefit_schedule={"starts": "2026-01-01", "ends": "2026-12-31"})
    renewing = make_program(
        home,
        requirements=("constancia-estudios",),
        recertification={"every_months": 12, "document": "constancia-estudios", "grace_days": 30},
    )
    renewal = make_application(owner, renewing, status="aprobada")
    Enrollment.create(
        citizen=owner, program=renewing, exclusion_key=renewing.exclusion_key, application=renewal
    )
    recertification.create_missing(dt.date.today())
    arco_request = arco.file_request(
        "acceso", "Quiero saber qué datos míos tienen.", Actor.citizen(owner), citizen=owner
    )
    arco.respond(
        arco_request.folio,
        people["admin_estatal"],
        "procedente",
        "Le enviamos la relación de sus datos.",
        inspect_upload(MINIMAL_PDF, "respuesta.pdf"),
    )
    veda = blackout.set_period(
        Actor.staff(people["admin_estatal"]),
        "Elección de prueba",
        dt.date.today() + dt.timedelta(days=300),
        dt.date.today() + dt.timedelta(days=330),
    )
    batch = ImportBatch.create(program=program, filename="padron.csv", sha256="0" * 64)
    candidate = DuplicateCandidate.create(
        citizen_a=people["citizen_other"], citizen_b=make_citizen(), score=96.0, kind="nombre"
    )
    # The secretariat: an obligation, a submission and a thread (with an attachment)
    # of the home agency.
    secretary = make_staff("secretaria")
    obligation = calendar.create_obligation(
        secretary,
        agency_id=home.id,
        program_id=program.id,
        kind="avance_trimestral",
        title="Avance del tercer trimestre",
        due_on=local_today() + dt.timedelta(days=10),
        remind_days=5,
    )
    reporter = make_staff("admin_dependencia", home)
    sent = validation.submit(
        "program_version", program.id, home, [("Reglas", {})], Actor.staff(reporter), title="V1"
    )
    thread = messaging.start(
        reporter,
        "programa",
        program.id,
        "Reglas 2027",
        "Les enviamos las reglas.",
        inspect_upload(MINIMAL_PDF, "reglas.pdf"),
    )
    message = ThreadMessage.get(ThreadMessage.thread == thread.id)
    # A delivery booking of the owner's approved application, at the agency's point.
    point = make_delivery_point(approved.program)
    booking = bookings.book(owner, make_slot(point=point).id, Purpose.ENTREGA, application=approved)

    # A complaint of the owner about the home agency's program, with an attachment.
    def new_complaint_folio(attachment=None) -> str:
        filing = desk.Filing(
            "queja", "programa", "No me dieron el apoyo en la fecha anunciada.", program.id
        )
        return desk.file_complaint(filing, citizen=owner, attachment=attachment).complaint.folio

    complaint_folio = new_complaint_folio(inspect_upload(MINIMAL_PDF, "prueba.pdf"))
    params = {
        "complaint_folio": complaint_folio,
        "new_complaint_folio": new_complaint_folio,
        "obligation_id": obligation.id,
        "submission_id": sent.id,
        "thread_id": thread.id,
        "message_id": message.id,
        "topic": "programa",
        "program_id": program.id,
        "index": 0,  # the questionnaire's household: the first person listed
        "office_id": make_office().id,
        "point_id": point.id,
        "place_id": point.id,
        "kind": "punto",
        "booking_id": booking.id,
        "approved_folio": approved.folio,
        "renewing_folio": renewal.folio,
        "recertification_id": Recertification.get(Recertification.application == renewal.id).id,
        "scheduled_slug": scheduled.slug,
        "arco_folio": arco_request.folio,
        "period_id": veda.id,
        "token": "123456",
        "delivery_id": handed_over.delivery.id,
        "batch_id": batch.id,
        "candidate_id": candidate.id,
        "dimension": "municipio",
        "folio": application.folio,
        "slug": program.slug,
        "document_id": document.id,
        "requirement_id": document.requirement_id,
        "staff_id": target.id,
        "agency_id": home.id,
        "citizen_id": owner.id,
        "lang": "es",
        "language": "en",
        "fmt": "json",
        "field": "household_size",
        "hashed": asset("css/portal.css").removeprefix("/static/"),
        "key": conflict_of(people["revisor_own"]),  # a brigade record in conflict
        "year": dt.date.today().year,  # planning: a fiscal year
        "number": 1,  # a program's version
    }
    return people, params


def _allowed(rule: Rule, persona: str) -> bool:
    if rule.who == "anyone":
        return True
    if rule.who == "signed_in":
        return persona != "anonymous"
    if rule.who == "citizen":
        return persona == "citizen_own" or (persona == "citizen_other" and not rule.own)
    if persona in ("anonymous", "citizen_own", "citizen_other"):
        return False
    role = persona.removesuffix("_own").removesuffix("_other")
    if role not in rule.roles:
        return False
    return not (rule.own and persona.endswith("_other"))


def _refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("Location", "")
    return response.status_code in (302, 303) and ("/entrar" in location)


@pytest.mark.parametrize("endpoint", sorted(RULES))
def test_route_is_refused_to_everyone_its_rule_does_not_allow(app, endpoint, caplog):
    people, params = _world()
    rule = RULES[endpoint]
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    for url_rule in rules:
        names = PARAM_OVERRIDES.get(endpoint, {})
        values = {k: params[names.get(k, k)] for k in url_rule.arguments}
        query = {k: params[v] for k, v in QUERY_ARGS.get(endpoint, {}).items()}
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
            for persona in PERSONAS:
                fresh = {k: params[v]() for k, v in FRESH_PER_PERSONA.get(endpoint, {}).items()}
                path = url_rule.build({**values, **fresh}, append_unknown=False)[1]
                if query:
                    path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
                client = app.test_client()
                if persona != "anonymous":
                    sign_in_as(client, people[persona])
                caplog.clear()
                with caplog.at_level(logging.WARNING):
                    response = client.open(path, method=method)
                # 503 is the sign-in page saying the digital ID is down, not a crash.
                assert response.status_code != 500, (endpoint, method, persona)
                if rule.who == "anyone":
                    # Open to all: sign-in and sign-out pages may redirect to sign-in.
                    assert response.status_code not in (401, 403), (endpoint, method, persona)
                elif _allowed(rule, persona):
                    assert not _refused(response), (endpoint, method, persona, response.status_code)
                else:
                    assert _refused(response), (endpoint, method, persona, response.status_code)
                    if response.status_code in (403, 404):
                        assert "acceso rechazado" in caplog.text


def test_fields_a_form_does_not_offer_change_nothing(app, login):
    from portal.models import Application, Program, StaffUser

    people, params = _world()
    application = Application.get(Application.folio == params["folio"])
    admin = login(people["admin_dependencia_own"])
    program = Program.get(Program.slug == params["slug"])
    other_agency = people["revisor_other"].agency_id
    admin.post(
        f"/oficina/programas/{program.slug}",
        data={
            "version": "1",
            "name": "x",
            "agency": str(other_agency),
            "slug": "robado",
            "active": "0",
        },
    )
    program = Program.get_by_id(program.id)
    assert (program.slug, program.agency_id, program.active) == (
        params["slug"],
        people["admin_dependencia_own"].agency_id,
        True,
    )

    reviewer = app.test_client()
    sign_in_as(reviewer, people["revisor_own"])
    reviewer.post(
        f"/oficina/solicitudes/{application.folio}/tomar",
        data={
            "version": application.version,
            "status": "aprobada",
            "assigned_to": people["revisor_other"].id,
            "program": "1",
        },
    )
    fresh = Application.get_by_id(application.id)
    assert (fresh.status, fresh.assigned_to_id, fresh.program_id) == (
        "en_revision",
        people["revisor_own"].id,
        application.program_id,
    )

    state = app.test_client()
    sign_in_as(state, people["admin_estatal"])
    target = params["staff_id"]
    before = StaffUser.get_by_id(target)
    state.post(
        f"/oficina/personal/{target}",
        data={
            "role": "revisor",
            "agency": str(before.agency_id),
            "email": "otro@x.example.org",
            "active": "0",
            "password_hash": "x",
        },
    )
    after = StaffUser.get_by_id(target)
    assert (after.email, after.active, after.password_hash) == (
        before.email,
        True,
        before.password_hash,
    )
