"""Integrity on every path: random sequences of the real domain operations.

A Hypothesis state machine registers people (by digital ID, at the counter,
from a roll), files, uploads, submits, reviews, corrects, approves (with and
without a supervisor's exception, by staff allowed and forbidden to), rejects,
cancels, delivers and merges duplicate records, over a small catalog: a
program only for women, one for people 65 and over, two that cannot be
combined. Every refusal must leave the data as it was (an audit entry of the
refusal aside), and after every step the invariants below hold over the whole
database.

``INTEGRITY_EXAMPLES`` and ``INTEGRITY_STEPS`` set the size of the run
(``make integrity`` runs a long one); ``INTEGRITY_STATS`` names a JSON file
that receives the figures of the run (see bench/integrity.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import time
import uuid
from collections import Counter
from pathlib import Path

from flask import current_app
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from peewee import fn

from portal.applications import assistance
from portal.applications import workflow as apps
from portal.applications.documents import get_storage
from portal.applications.uploads import inspect_upload
from portal.applications.workflow import TRANSITIONS
from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.citizens.record import AlreadyRegistered, CounterRegistration, IdentityMismatch
from portal.citizens.record import register_at_counter as register
from portal.delivery import handover as delivery
from portal.eligibility import answers
from portal.models import (
    ALL_MODELS,
    Application,
    ApplicationEvent,
    Assistance,
    AuditEvent,
    Call,
    Citizen,
    Credential,
    Delivery,
    DeliveryPoint,
    Document,
    DuplicateCandidate,
    Enrollment,
    Notice,
    Program,
    Requirement,
    StaffUser,
)
from portal.rolls import duplicates
from portal.rolls import writing as padron
from portal.vocabulary import (
    BENEFICIARY_STATUSES,
    LIVE_STATUSES,
    ApplicationStatus,
    AuditAction,
    DocumentStatus,
    Role,
)
from portal.web.database import is_sqlite
from portal.web.extensions import db
from tests.application_builders import MINIMAL_PDF, jpeg_bytes
from tests.conftest import _truncate_all
from tests.factories import (
    make_agency,
    make_delivery_point,
    make_municipality,
    make_program,
    valid_curp,
)
from tests.padron_builders import HEADER, person, write_roll

S = ApplicationStatus
EXAMPLES = int(os.environ.get("INTEGRITY_EXAMPLES", "30"))
STEPS = int(os.environ.get("INTEGRITY_STEPS", "30"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# What a refused act may still write: the audit entry saying it was refused.
REFUSAL_ACTIONS = {AuditAction.APPROVAL_REFUSED, AuditAction.DELIVERY_REFUSE}
APPROVABLE = (S.ENVIADA, S.EN_REVISION)
# Places in the call of "Cuidado Infantil": small, so the quota is reached and freed.
CUIDADO_PLACES = 2
WOMEN_ONLY = {"field": "sex", "op": "eq", "value": "M", "reason": "Es solo para mujeres."}
SENIORS = {"field": "age", "op": "gte", "value": 65, "reason": "Es para personas de 65 años o más."}

_numbers = itertools.count(1)
# Figures of the whole run (every example): steps and each act's outcomes.
FIGURES: Counter = Counter()

birth_dates = st.one_of(
    st.dates(dt.date(1935, 1, 1), dt.date(2008, 12, 31)),
    # Around the 65th birthday, where the seniors' rule flips.
    st.integers(-3, 3).map(lambda d: _years_ago(65) + dt.timedelta(days=d)),
)
sexes = st.sampled_from(["M", "M", "H"])
# Which application an act is tried on: mostly one where it makes sense.
cases = st.tuples(st.sampled_from([True, True, True, False]), st.integers(0, 2**16))


def _years_ago(years: int) -> dt.date:
    today = dt.date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _reset_database() -> None:
    """Each example starts empty, as a test does (conftest's app fixture)."""
    if is_sqlite():
        for model in reversed(ALL_MODELS):
            model.delete().execute()
    else:
        _truncate_all()


def snapshot() -> dict:
    """What a refused act must leave as it was."""
    return {
        "applications": sorted(
            Application.select(
                Application.id,
                Application.citizen,
                Application.status,
                Application.version,
                Application.assigned_to,
                Application.override_by,
            ).tuples()
        ),
        "events": ApplicationEvent.select().count(),
        "enrollments": sorted(
            Enrollment.select(
                Enrollment.id, Enrollment.citizen, Enrollment.active, Enrollment.end_reason
            ).tuples()
        ),
        "documents": sorted(
            Document.select(
                Document.id, Document.status, Document.current, Document.reviewed_by
            ).tuples()
        ),
        "citizens": sorted(Citizen.select(Citizen.id, Citizen.profile).tuples(), key=str),
        "notices": Notice.select().count(),
        "deliveries": Delivery.select().count(),
        "credentials": sorted(
            (c.id, c.revoked_at is None, c.superseded_at is None) for c in Credential.select()
        ),
        "assistance": Assistance.select().count(),
        "places": sorted(
            Call.select(
                Call.id, Call.places_taken, Call.places_waiting, Call.waiting_issued
            ).tuples()
        ),
    }


def last_audit_id() -> int:
    return AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id.desc()).scalar() or 0


class IntegrityMachine(RuleBasedStateMachine):
    citizens = Bundle("citizens")

    def __init__(self) -> None:
        super().__init__()
        _reset_database()
        self.today = dt.date.today()
        self.roll_people = 0
        self.people = 0
        FIGURES["examples"] += 1
        self._catalog_and_staff()

    # Setting the scene ---------------------------------------------------------

    def _catalog_and_staff(self) -> None:
        make_municipality()
        self.admin = _staff("admin_estatal", None)
        bienestar, familias = make_agency(), make_agency()
        self.programs = [
            make_program(
                bienestar,
                requirements=("identificacion", "comprobante"),
                name="Mujeres con Bienestar",
                eligibility=[WOMEN_ONLY],
            ),
            make_program(bienestar, name="Pensión 65 y más", eligibility=[SENIORS]),
            make_program(familias, name="Cuidado Infantil", exclusion_group="cuidados"),
            make_program(
                familias,
                requirements=("identificacion", "acta"),
                name="Tarjeta Contigo",
                exclusion_group="cuidados",
            ),
        ]
        Requirement.update(optional=True).where(
            (Requirement.program == self.programs[3]) & (Requirement.slug == "acta")
        ).execute()
        year = dt.timedelta(days=365)
        Call.update(opens=self.today - year, closes=self.today + year).execute()
        # Few places in one call, so sequences fill it, free places and fill it again.
        Call.update(quota=CUIDADO_PLACES).where(Call.program == self.programs[2]).execute()
        for program in self.programs:
            make_delivery_point(program)
        self.staff: dict[int, dict[str, list[StaffUser]]] = {}
        for agency in (bienestar, familias):
            roles = {
                "revisor": 2,
                "supervisor": 2,
                "entrega": 1,
                "ventanilla": 1,  # counter staff: reviewers who serve people in person
            }
            self.staff[agency.id] = {
                name: [
                    _staff("revisor" if name == "ventanilla" else name, agency)
                    for _ in range(count)
                ]
                for name, count in roles.items()
            }

    @initialize(target=citizens, people=st.lists(st.tuples(birth_dates, sexes), max_size=3))
    def first_people(self, people):
        return multiple(*(self._new_citizen(born, sex) for born, sex in people))

    # Helpers -------------------------------------------------------------------

    def _curp(self, born: dt.date, sex: str) -> str:
        # Numbered per example, so that replaying an example gives the same CURPs.
        self.people += 1
        return valid_curp(born, sex, n=self.people)

    def _new_citizen(self, born: dt.date, sex: str) -> int:
        citizen = Citizen.create(
            curp=self._curp(born, sex),
            given_names="María",
            first_surname="Gómez",
            second_surname="Ruiz",
            birth_date=born,
            sex=sex,
            municipality="22014",
        )
        return citizen.id

    def _program(self, index: int) -> Program:
        return Program.get_by_id(self.programs[index % len(self.programs)].id)

    def _deciders(self, program: Program) -> list[StaffUser]:
        """Whoever of the program's agency may be asked to judge a case."""
        staff = self.staff[program.agency_id]
        return staff["revisor"] + staff["supervisor"] + staff["ventanilla"]

    def _case(self, case: tuple[bool, int], *statuses: str) -> Application | None:
        """An application in one of ``statuses`` (the act makes sense there) or,
        when ``case`` says so, any application (it mostly has to be refused)."""
        aimed, pick = case
        query = Application.select().order_by(Application.id)
        if aimed:
            query = query.where(Application.status.in_(statuses))
        found = list(query)
        return found[pick % len(found)] if found else None

    def _decider(self, application: Application, index: int) -> StaffUser:
        people = self._deciders(Program.get_by_id(application.program_id))
        return people[index % len(people)]

    def _of_its_agency(self, application: Application, role: str, who: int) -> StaffUser:
        """Staff member ``who`` with ``role`` in the agency running the case's program."""
        return self.staff[Program.get_by_id(application.program_id).agency_id][role][who]

    def _attempt(self, act: str, operation, *refusals: type[BaseException]):
        """Run ``operation``; a refusal (one of ``refusals``) must change nothing
        but add the audit entry of the refusal. Returns (done, result or error)."""
        before, audit_id = snapshot(), last_audit_id()
        FIGURES["acts"] += 1
        try:
            result = operation()
        except refusals as error:
            FIGURES[f"{act}: {type(error).__name__}"] += 1
            assert snapshot() == before, f"{act} was refused ({error!r}) but changed data"
            added = AuditEvent.select(AuditEvent.action).where(AuditEvent.id > audit_id)
            assert {e.action for e in added} <= REFUSAL_ACTIONS, [e.action for e in added]
            return False, error
        FIGURES[f"{act}: ok"] += 1
        return True, result

    # Registering people ----------------------------------------------------------

    @rule(target=citizens, born=birth_dates, sex=sexes)
    def person_signs_in_with_digital_id(self, born, sex):
        return self._new_citizen(born, sex)

    @rule(target=citizens, agency=st.integers(0, 1), born=birth_dates, sex=sexes)
    def counter_registers_a_person(self, agency, born, sex):
        clerk = list(self.staff.values())[agency]["ventanilla"][0]
        data = CounterRegistration(
            curp=self._curp(born, sex),
            given_names="Rosa",
            first_surname="Pérez",
            second_surname="",
            birth_date=born,
            sex=sex,
            municipality="22014",
            id_type="ine",
            id_number="123456789",  # a voter card CIC
        )
        done, citizen = self._attempt(
            "register_at_counter",
            lambda: register(data, Actor.staff(clerk)),
            IdentityMismatch,
            AlreadyRegistered,
        )
        return citizen.id if done else multiple()

    @rule(citizen=citizens, agency=st.integers(0, 1), size=st.integers(1, 8))
    def counter_answers_the_questionnaire(self, citizen, agency, size):
        if Citizen.get_or_none(Citizen.id == citizen) is None:
            return
        clerk = list(self.staff.values())[agency]["ventanilla"][0]
        self._attempt(
            "answer_at_counter",
            lambda: answers.answer_at_counter(citizen, "household_size", size, Actor.staff(clerk)),
        )

    @rule(
        target=citizens,
        program=st.integers(0, 3),
        known=st.lists(citizens, max_size=3, unique=True),
        new=st.lists(st.tuples(birth_dates, sexes), max_size=3),
        started=st.integers(-800, 60),
    )
    def agency_imports_its_roll(self, program, known, new, started):
        program = self._program(program)
        rows = []
        for citizen in Citizen.select().where(Citizen.id.in_(known)):
            row = person(0, sex=citizen.sex, born=citizen.birth_date)
            row[0] = citizen.curp
            rows.append(row)
        for born, sex in new:
            self.roll_people += 1
            rows.append(person(self.roll_people, sex=sex, born=born))
        # Any start date, past or (refused) still to come: the rules must hold
        # today for every enrollment the roll creates.
        for row in rows:
            row[8] = (self.today + dt.timedelta(days=started)).isoformat()
        folder = Path(current_app.config["INSTANCE_PATH"]) / "rolls"
        folder.mkdir(parents=True, exist_ok=True)
        path = write_roll(folder / f"{uuid.uuid4().hex}.csv", rows, header=HEADER)
        before = {c.id for c in Citizen.select(Citizen.id)}
        batch, pending = padron.prepare_batch(path, path.name, program)
        if not pending:  # the same file again: nothing to do, by design
            return multiple()
        batch = padron.run_batch(batch.id, path, today=self.today)
        FIGURES["acts"] += 1
        FIGURES["import_roll: rows accepted"] += batch.accepted
        FIGURES["import_roll: rows rejected"] += batch.rejected
        enrolled = Enrollment.select().where(Enrollment.import_batch == str(batch.id)).count()
        assert (batch.status, batch.accepted, enrolled) == ("terminado", enrolled, batch.accepted)
        return multiple(*(c.id for c in Citizen.select(Citizen.id) if c.id not in before))

    # Filing ------------------------------------------------------------------------

    @rule(
        citizen=citizens,
        program=st.integers(0, 3),
        assisted=st.booleans(),
        documents=st.sampled_from(["all", "all", "first", "none"]),
        send=st.booleans(),
    )
    def person_applies(self, citizen, program, assisted, documents, send):
        """Start a draft (at the counter or online), upload, and perhaps send it."""
        person_ = Citizen.get_or_none(Citizen.id == citizen)
        if person_ is None:
            return
        program = self._program(program)
        clerk = self.staff[program.agency_id]["ventanilla"][0]
        done, draft = self._attempt(
            "start_draft",
            lambda: apps.start_draft(
                person_, program, uuid.uuid4().hex, assisted_by=clerk.id if assisted else None
            ),
            apps.ApplicationError,
        )
        if done and documents != "none":
            self._upload(draft, assisted, everything=documents == "all")
        if done and send:
            self._submit(draft, assisted)

    def _actor_for(self, application: Application, by_staff: bool) -> Actor:
        """The person, or the counter clerk acting for them (assisted mode)."""
        if by_staff:
            program = Program.get_by_id(application.program_id)
            return Actor.staff(self.staff[program.agency_id]["ventanilla"][0])
        return Actor.citizen(application.citizen_id)

    def _upload(self, application: Application, by_staff: bool, everything: bool) -> None:
        actor = self._actor_for(application, by_staff)
        requirements = apps.required_requirements(application)
        for requirement in requirements if everything else requirements[:1]:
            data, name = (
                (MINIMAL_PDF, "doc.pdf") if requirement.position else (jpeg_bytes(), "a.jpg")
            )
            self._attempt(
                "add_document",
                lambda a=application, r=requirement, d=data, n=name: apps.add_document(
                    a, r, inspect_upload(d, n), get_storage(), actor
                ),
                apps.ApplicationError,
            )
            application = Application.get_by_id(application.id)

    def _submit(self, application: Application, by_staff: bool) -> None:
        application = Application.get_by_id(application.id)
        actor = self._actor_for(application, by_staff)
        self._attempt("submit", lambda: apps.submit(application, actor), apps.ApplicationError)

    @rule(case=cases, by_staff=st.booleans(), everything=st.booleans())
    def upload_documents(self, case, by_staff, everything):
        application = self._case(case, S.BORRADOR, S.REQUIERE_CORRECCION)
        if application is not None:
            self._upload(application, by_staff, everything)

    @rule(case=cases, by_staff=st.booleans())
    def submit(self, case, by_staff):
        application = self._case(case, S.BORRADOR)
        if application is not None:
            self._submit(application, by_staff)

    @rule(case=cases, road=st.sampled_from(["Hidalgo", "Juárez"]))
    def resubmit(self, case, road):
        application = self._case(case, S.REQUIERE_CORRECCION)
        if application is None:
            return
        self._upload(application, by_staff=False, everything=True)
        application = Application.get_by_id(application.id)
        self._attempt(
            "resubmit",
            lambda: apps.resubmit(
                application, Actor.citizen(application.citizen_id), {"road_name": road}
            ),
            apps.ApplicationError,
        )

    @rule(case=cases, by_staff=st.booleans(), who=st.integers(0, 5))
    def cancel(self, case, by_staff, who):
        application = self._case(case, S.BORRADOR, *LIVE_STATUSES)
        if application is None:
            return
        actor = (
            Actor.staff(self._decider(application, who))
            if by_staff
            else Actor.citizen(application.citizen_id)
        )
        self._attempt(
            "cancel",
            lambda: apps.cancel(application, actor, "Ya no lo necesito."),
            apps.ApplicationError,
        )

    # Reviewing -----------------------------------------------------------------------

    @rule(case=cases, who=st.integers(0, 5))
    def take(self, case, who, application=None):
        application = application or self._case(case, *APPROVABLE)
        if application is None:
            return
        staff = self._decider(application, who)
        self._attempt(
            "take",
            lambda: apps.take(application, Actor.staff(staff), application.version),
            apps.ApplicationError,
        )

    @rule(
        case=cases,
        who=st.integers(0, 5),
        verdicts=st.lists(st.sampled_from([True, True, True, False]), max_size=2),
    )
    def review_documents(self, case, who, verdicts, application=None):
        application = Application.get_by_id(application.id) if application else None
        application = application or self._case(case, *APPROVABLE)
        if application is None:
            return
        staff = self._decider(application, who)
        documents = sorted(apps.current_documents(application).values(), key=lambda d: d.id)
        for document, accept in zip(documents, verdicts + [True] * len(documents), strict=False):
            decision = DocumentStatus.ACEPTADO if accept else DocumentStatus.RECHAZADO
            self._attempt(
                "review_document",
                lambda d=document, v=decision: apps.review_document(
                    application, d, v, Actor.staff(staff), reason="No se lee."
                ),
                apps.ApplicationError,
            )

    @rule(
        case=cases,
        who=st.integers(0, 5),
        verdicts=st.lists(st.sampled_from([True, True, True, False]), max_size=2),
        override=st.sampled_from([False, False, True]),
    )
    def reviewer_works_the_case(self, case, who, verdicts, override, application=None):
        """What a reviewer does in one sitting: take, judge the documents, approve."""
        application = application or self._case(case, S.ENVIADA)
        if application is None:
            return
        self.take(case=(False, 0), who=who, application=application)
        self.review_documents(case=(False, 0), who=who, verdicts=verdicts, application=application)
        application = Application.get_by_id(application.id)
        self._approve("approve", application, self._decider(application, who), override)

    @rule(
        citizen=citizens,
        program=st.integers(0, 3),
        assisted=st.booleans(),
        who=st.integers(0, 5),
        override=st.sampled_from([False, False, True]),
        deliver=st.booleans(),
    )
    def case_goes_all_the_way(self, citizen, program, assisted, who, override, deliver):
        """Apply, send, review, approve and perhaps deliver, one act after another
        (each may be refused), so that later steps find people receiving programs."""
        before = Application.select(fn.MAX(Application.id)).scalar() or 0
        self.person_applies(citizen, program, assisted, documents="all", send=True)
        application = Application.get_or_none(
            (Application.id > before) & (Application.status == S.ENVIADA)
        )
        if application is None:
            return
        self.reviewer_works_the_case((False, 0), who, [], override, application=application)
        if deliver:
            self.operator_delivers((False, 0), own_agency=True, application=application)

    @rule(case=cases, who=st.integers(0, 5), which=st.integers(0, 1))
    def request_correction(self, case, who, which):
        application = self._case(case, *APPROVABLE)
        if application is None:
            return
        staff = self._decider(application, who)
        requirements = apps.required_requirements(application)
        requirement = requirements[which % len(requirements)]
        self._attempt(
            "request_correction",
            lambda: apps.request_correction(
                application,
                Actor.staff(staff),
                documents=[requirement.id],
                fields=["road_name"],
                message="Suba una identificación legible.",
                expected_version=application.version,
            ),
            apps.ApplicationError,
        )

    @rule(case=cases, who=st.integers(0, 5))
    def reject(self, case, who):
        application = self._case(case, *APPROVABLE, S.REQUIERE_CORRECCION)
        if application is None:
            return
        staff = self._decider(application, who)
        self._attempt(
            "reject",
            lambda: apps.reject(
                application,
                Actor.staff(staff),
                "No cumple los requisitos.",
                expected_version=application.version,
            ),
            apps.ApplicationError,
        )

    # Approving ---------------------------------------------------------------------

    def _approve(self, act: str, application: Application, staff: StaffUser, override: bool):
        """Approve, and check the outcome is the one the rules of the house give."""
        expected, overridden = self._expected_approval(application, staff, override)
        reason = "La persona acreditó su situación con otros documentos." if override else ""
        done, outcome = self._attempt(
            act,
            lambda: apps.approve(
                application, Actor.staff(staff), application.version, override_reason=reason
            ),
            apps.ApplicationError,
        )
        got = None if done else type(outcome)
        assert got is expected, (act, expected, got, getattr(outcome, "message", ""))
        if done:
            fresh = Application.get_by_id(application.id)
            assert fresh.override_by_id == (staff.id if overridden else None)
            if overridden:
                FIGURES[f"{act}: ok with a supervisor's exception"] += 1

    def _expected_approval(self, application, staff, override):
        """(the refusal the rules give, or None; whether a gate is passed over)."""
        if application.status not in APPROVABLE:
            return apps.TransitionNotAllowed, False
        program = Program.get_by_id(application.program_id)
        if staff.role != Role.ADMIN_ESTATAL and staff.agency_id != program.agency_id:
            return apps.NotFound, False  # another agency's case, whoever filed it
        if staff.id in assistance.helpers_of(application):
            return apps.SeparationOfDuties, False
        blockers = apps.approval_blockers(application)
        if not blockers:
            return None, False
        if not override or any(not b.overridable for b in blockers):
            return apps.ApprovalBlocked, False
        involved = assistance.helpers_of(application) | assistance.reviewers_of(application)
        if (
            staff.role != Role.SUPERVISOR
            or staff.agency_id != program.agency_id
            or staff.id in involved
        ):
            return apps.SeparationOfDuties, False
        return None, True

    @rule(case=cases, who=st.integers(0, 5), override=st.booleans())
    def approve(self, case, who, override):
        application = self._case(case, *APPROVABLE)
        if application is not None:
            self._approve("approve", application, self._decider(application, who), override)

    @rule(case=cases, who=st.integers(0, 1))
    def supervisor_approves_with_an_exception(self, case, who):
        application = self._case(case, *APPROVABLE)
        if application is None:
            return
        supervisor = self._of_its_agency(application, "supervisor", who)
        self._approve("approve with an exception", application, supervisor, override=True)

    @rule(case=cases)
    def counter_helper_tries_to_approve(self, case):
        application = self._case(case, *APPROVABLE)
        if application is None:
            return
        helpers = sorted(assistance.helpers_of(application))
        if helpers:
            # While the case may be approved, the only outcome is SeparationOfDuties
            # (NotFound when the helper works for another agency).
            staff = StaffUser.get_by_id(helpers[0])
            self._approve("approve by a counter helper", application, staff, override=False)

    @rule(case=cases, who=st.integers(0, 1))
    def reviewer_tries_an_override(self, case, who):
        application = self._case(case, *APPROVABLE)
        if application is None:
            return
        reviewer = self._of_its_agency(application, "revisor", who)
        self._approve("override by a reviewer", application, reviewer, override=True)

    @rule(case=cases, who=st.integers(0, 1))
    def reviewing_supervisor_tries_an_override(self, case, who):
        application = self._case(case, *APPROVABLE)
        if application is None:
            return
        supervisor = self._of_its_agency(application, "supervisor", who)
        if supervisor.id not in assistance.reviewers_of(application):
            done, _ = self._attempt(
                "take",
                lambda: apps.take(application, Actor.staff(supervisor), application.version),
                apps.ApplicationError,
            )
            if not done:
                return
            application = Application.get_by_id(application.id)
        self._approve("override by a reviewing supervisor", application, supervisor, True)

    @rule(case=cases)
    def approve_from_a_stale_page(self, case):
        application = self._case(case, *APPROVABLE)
        if application is None or application.version == 1:
            return
        staff = self._decider(application, 0)
        _, error = self._attempt(
            "approve from a stale page",
            lambda: apps.approve(application, Actor.staff(staff), application.version - 1),
            apps.ApplicationError,
        )
        assert isinstance(error, apps.Conflict), error

    # Delivering ------------------------------------------------------------------------

    @rule(case=cases, own_agency=st.sampled_from([True, True, True, False]))
    def operator_delivers(self, case, own_agency, application=None):
        application = Application.get_by_id(application.id) if application else None
        application = application or self._case(case, S.APROBADA)
        if application is None:
            return
        program = Program.get_by_id(application.program_id)
        agency = (
            program.agency_id
            if own_agency
            else next(a for a in self.staff if a != program.agency_id)
        )
        operator = self.staff[agency]["entrega"][0]
        credential = delivery.current_credential(application)
        if credential is None:
            self._attempt(
                "issue_credential",
                lambda: delivery.issue_credential(application),
                delivery.DeliveryError,
            )
            return
        point = DeliveryPoint.get(DeliveryPoint.program == program)
        before, audit_id = snapshot(), last_audit_id()
        outcome = delivery.confirm_delivery(
            credential, operator, point, delivery.IdCheck.parse("ine", "4821")
        )
        FIGURES["acts"] += 1
        FIGURES[
            f"confirm_delivery: {'delivered' if outcome.delivered else outcome.verdict.code}"
        ] += 1
        assert outcome.delivered is (application.status == S.APROBADA and own_agency)
        if not outcome.delivered:
            assert snapshot() == before, outcome.verdict.code
            added = AuditEvent.select(AuditEvent.action).where(AuditEvent.id > audit_id)
            assert {e.action for e in added} <= REFUSAL_ACTIONS

    # Duplicates ------------------------------------------------------------------------

    @rule(one=citizens, other=citizens, keep_first=st.booleans())
    def staff_merge_two_records(self, one, other, keep_first):
        found = Citizen.select(Citizen.id).where(Citizen.id.in_([one, other])).count()
        if one == other or found != 2:
            return
        candidate, _ = DuplicateCandidate.get_or_create(
            citizen_a=min(one, other),
            citizen_b=max(one, other),
            defaults={"score": 95.0, "kind": "nombre"},
        )
        survivor = one if keep_first else other
        self._attempt(
            "merge",
            lambda: duplicates.merge(
                candidate.id,
                survivor,
                Actor.staff(self.admin),
                self.admin.id,
                reason="Misma persona.",
            ),
            duplicates.MergeError,
        )

    # The invariants ----------------------------------------------------------------------

    @invariant()
    def rules_hold_for_everyone_enrolled(self):
        for enrollment in Enrollment.select().where(Enrollment.active):
            citizen = Citizen.get_by_id(enrollment.citizen_id)
            program = Program.get_by_id(enrollment.program_id)
            if not apps.rule_reasons(citizen, program, self.today):
                continue
            application = Application.get_or_none(Application.id == enrollment.application_id)
            assert application is not None and application.override_by_id, (
                f"{citizen.sex} born {citizen.birth_date} receives {program.name} "
                f"({enrollment.source}) outside its rules, with no exception"
            )
            assert _audited(AuditAction.APPROVAL_OVERRIDE, application.folio) >= 1

    @invariant()
    def one_live_application_and_one_enrollment_per_group(self):
        live = Counter(
            Application.select(Application.citizen, Application.program, Application.call)
            .where(Application.status.in_(LIVE_STATUSES))
            .tuples()
        )
        assert max(live.values(), default=0) <= 1, live
        active = Counter(
            Enrollment.select(Enrollment.citizen, Enrollment.exclusion_key)
            .where(Enrollment.active)
            .tuples()
        )
        assert max(active.values(), default=0) <= 1, active

    @invariant()
    def each_call_counts_the_places_its_applications_hold(self):
        held = Counter(
            call_id
            for (call_id,) in Application.select(Application.call)
            .where(Application.status.in_(apps.PLACE_STATUSES))
            .tuples()
        )
        for call in Call.select():
            assert call.places_taken == held[call.id], (call.id, call.places_taken, held)
            assert call.quota is None or call.places_taken <= call.quota, call.id

    @invariant()
    def nobody_waits_while_a_place_is_free(self):
        """Waiting lists (issue 16, item 9): the call's counter is its waiting
        rows, and a freed place always moved the first of them up."""
        waiting = Counter(
            call_id
            for (call_id,) in Application.select(Application.call)
            .where(Application.status == S.EN_ESPERA)
            .tuples()
        )
        for call in Call.select():
            assert call.places_waiting == waiting[call.id], (call.id, waiting)
            if waiting[call.id]:
                assert call.quota is not None and call.places_taken >= call.quota, call.id

    @invariant()
    def one_draft_per_person_and_call(self):
        drafts = Counter(
            Application.select(Application.citizen, Application.call)
            .where(Application.status == S.BORRADOR)
            .tuples()
        )
        assert max(drafts.values(), default=0) <= 1, drafts

    @invariant()
    def every_status_change_has_its_event_audit_entry_and_notice(self):
        for application in Application.select():
            events = apps.timeline(application)
            if application.status == S.BORRADOR:
                assert not events
                continue
            status = S.BORRADOR
            for event in sorted(events, key=lambda e: e.id):
                assert event.from_status == status, (application.folio, event.from_status)
                assert (status, event.to_status) in TRANSITIONS
                status = event.to_status
            assert status == application.status, (application.folio, status)
            for to_status, times in Counter(e.to_status for e in events).items():
                action = f"solicitud.{to_status}"
                assert _audited(action, application.folio) >= times, (application.folio, action)
                notices = Notice.select().where(
                    (Notice.application == application) & (Notice.status == to_status)
                )
                assert notices.count() >= times, (application.folio, to_status)

    @invariant()
    def audit_chain_is_whole(self):
        FIGURES["invariant checks"] += 1
        assert audit.verify() is None

    @invariant()
    def no_approval_without_accepted_documents(self):
        for application in Application.select().where(
            Application.status.in_(BENEFICIARY_STATUSES) & Application.override_by.is_null()
        ):
            documents = apps.current_documents(application)
            for requirement in apps.required_requirements(application):
                if requirement.optional:
                    continue
                document = documents.get(requirement.id)
                assert document is not None and document.status == DocumentStatus.ACEPTADO, (
                    application.folio,
                    requirement.slug,
                )

    @invariant()
    def each_beneficiary_has_one_enrollment_and_at_most_one_delivery(self):
        for application in Application.select():
            enrollments = list(Enrollment.select().where(Enrollment.application == application))
            deliveries = Delivery.select().where(Delivery.application == application).count()
            if application.status in BENEFICIARY_STATUSES:
                assert len(enrollments) == 1, (application.folio, application.status)
                assert enrollments[0].active or enrollments[0].end_reason
            else:
                assert not any(e.active for e in enrollments), application.folio
            assert deliveries == (1 if application.status == S.ENTREGADA else 0)


def _staff(role: str, agency) -> StaffUser:
    """A staff member who never signs in (no password hash to compute)."""
    n = next(_numbers)
    return StaffUser.create(
        email=f"persona{n}@dependencia.example.org",
        name=f"Persona Servidora {n}",
        password_hash="!",
        role=role,
        agency=agency,
    )


def _audited(action: str, folio: str) -> int:
    return (
        AuditEvent.select()
        .where((AuditEvent.action == action) & (AuditEvent.object_id == folio))
        .count()
    )


def test_integrity_holds_on_every_path(app):
    started = time.perf_counter()
    before = Counter(FIGURES)
    try:
        run_state_machine_as_test(IntegrityMachine, settings=SETTINGS)
    finally:
        _reset_database()
        if os.environ.get("INTEGRITY_STATS"):
            figures = dict(Counter(FIGURES) - before)
            figures["seconds"] = round(time.perf_counter() - started, 1)
            figures["database"] = db.obj.__class__.__name__
            Path(os.environ["INTEGRITY_STATS"]).write_text(json.dumps(figures, indent=1))
