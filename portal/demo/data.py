"""Demo data: staff for every role, the digital ID's personas, a synthetic population.

Used by ``flask --app wsgi demo-data`` and by benchmarks.

Everything here could have been done through the portal. The first
:data:`DEFAULT_CITIZENS` synthetic people answered the questionnaire
(:func:`portal.demo.synthetic.draw_profile`); some of them apply to programs the
eligibility engine says they may receive, and their cases move through the
very functions people and staff use (``portal.applications.workflow`` and
``portal.delivery.handover``): drafts, real files checked by ``inspect_upload`` and
kept in the document storage, submission, review, corrections, decisions
behind the approval gates, credentials and delivery, each with its timeline
event, audit entry and notice. People beyond the first :data:`DEFAULT_CITIZENS`
(``--citizens 1000000`` for the big-registry benchmarks) are registry rows
only, loaded in bulk by :func:`bulk_insert_registry` (executemany on SQLite,
COPY on PostgreSQL) with the columns ``Citizen.insert_many`` would write.

Idempotent: staff and personas are found by e-mail and CURP, synthetic people
by CURP (the bulk rows by the unique CURP index, ON CONFLICT DO NOTHING), and each planned application by its idempotency key, so a second run
adds nothing and an interrupted one resumes. Deterministic: the same seed
gives the same people and, on the same day (ages move with the date), the same
answers, applications and steps reached; what the domain draws itself (folios,
credential ids, storage keys) and every timestamp are those of the run, since
the domain records the moment each act happens.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import yaml
from peewee import chunked
from werkzeug.security import generate_password_hash

from portal.applications import workflow as apps
from portal.applications.documents import get_storage
from portal.applications.models import Application, Enrollment
from portal.applications.storage import Storage
from portal.applications.uploads import CleanFile, inspect_upload
from portal.backoffice.audit import Actor
from portal.backoffice.models import StaffUser
from portal.catalog.models import Agency, Call, DeliveryPoint, Municipality, Program, Requirement
from portal.catalog.store import engine_catalog
from portal.citizens import facts
from portal.citizens.models import Citizen
from portal.delivery import calendar as delivery_calendar
from portal.delivery import handover as delivery
from portal.delivery import periods
from portal.demo.samples import sample_jpeg, sample_pdf
from portal.demo.synthetic import ADULT_AGE, draw_profile, generate_citizens
from portal.demo.synthetic import Citizen as Person
from portal.eligibility.engine import CompiledCatalog, Status
from portal.eligibility.profile import age_on, parse_profile
from portal.planning import budget as budgets
from portal.planning import goals, tally
from portal.vocabulary import ApplicationStatus, DocumentStatus, Role
from portal.web.database import is_sqlite, write
from portal.web.extensions import db
from portal.web.tables import tuples, utcnow

# Questionnaire answers as a citizen row stores them (see draw_profile).
Answers = dict[str, object]

S = ApplicationStatus
DATA = Path(__file__).resolve().parents[1] / "catalog" / "data"
PERSONAS_FILE = Path(__file__).resolve().parents[2] / "idp" / "personas.json"
DEMO_PASSWORD = "demo-ventanilla-2026"  # noqa: S105 - demo accounts only, documented in README
STAFF_DOMAIN = "demo.queretaro.gob.mx"
AGENCY_ROLES = (Role.REVISOR, Role.SUPERVISOR, Role.ENTREGA, Role.ADMIN_DEPENDENCIA)
# A second reviewer per agency serves people at the counter, so the cases they
# help file are decided by someone else (separation of duties).
COUNTER = "ventanilla"
CHUNK = 2000

# People who answered the questionnaire and may apply; the rest of a bigger
# registry has no applications.
DEFAULT_CITIZENS = 20_000
# Each program gets applications in proportion to the places of its open call,
# as the whole state would ask for them (Querétaro, 2020 census), at the scale
# of the people who answered. Small programs get at least 2 per 1,000 people,
# so they still show in the statistics, and one case per step of EVERY_STEP.
# (Each case costs some 30 ms through the domain: this keeps the default run
# to well under a minute.)
STATE_POPULATION = 2_368_467
SMALLEST_SHARE = 0.002
# Cases filed at the counter by the agency's staff: more for older people.
ASSISTED_SHARE = 0.15
ASSISTED_SHARE_65 = 0.5
# Cases that went through a round of correction before where they are now.
CORRECTED_SHARE = 0.15
# How far each case got by today.
STEP_WEIGHTS = {
    S.BORRADOR: 3,
    S.ENVIADA: 12,
    S.EN_REVISION: 8,
    S.REQUIERE_CORRECCION: 5,
    S.APROBADA: 28,
    S.RECHAZADA: 10,
    S.ENTREGADA: 29,
    S.CANCELADA: 5,
}
# Every program gets a case at each of these steps first (when it has that
# many applicants), so every queue and every public table has something.
EVERY_STEP = (
    S.ENTREGADA,
    S.APROBADA,
    S.ENVIADA,
    S.EN_REVISION,
    S.REQUIERE_CORRECCION,
    S.RECHAZADA,
    S.CANCELADA,
)
# A call with no quota still has a size.
OPEN_QUOTA_PLACES = 5000
# The demo's full call (issue 16, item 9): the pilot call of this program has
# few places; after the planned cases, more eligible people apply until this
# many wait on its list, in order, for a place to free.
WAITING_LIST_PROGRAM = "mujeres-emprendedoras"
WAITING_LIST_PEOPLE = 8
# Filled only when that few places are left (a bigger call is left as it is).
WAITING_LIST_MAX_PLACES = 60
# Applications carried out per transaction.
BATCH = 250

SCAN_PROBLEMS = (
    "La imagen está borrosa y no se leen los datos.",
    "Falta una de las hojas del documento.",
    "El documento está vencido.",
    "La fotografía está cortada: no se ve el documento completo.",
)
REJECTIONS = (
    "El documento «{name}» no corresponde a la persona que solicita.",
    "No fue posible confirmar los datos de «{name}» con la institución que lo expidió.",
)
CANCELLATIONS = (
    "Ya no necesito el apoyo.",
    "Me equivoqué de programa.",
    "Me cambié de domicilio fuera del estado.",
)
ID_TYPES = ("ine", "ine", "ine", "pasaporte", "licencia")


def load_municipalities(path: Path = DATA / "municipios.yaml") -> int:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    state = data["state"]["code"]
    rows = [
        {"code": m["code"], "name": m["name"], "state_code": state} for m in data["municipalities"]
    ]
    with write():
        Municipality.insert_many(rows).on_conflict(
            conflict_target=[Municipality.code], preserve=[Municipality.name]
        ).execute()
    return len(rows)


@dataclass(frozen=True)
class StaffAccount:
    email: str
    role: str
    agency: str


def staff_accounts() -> list[StaffAccount]:
    """Per agency a reviewer, a counter reviewer, a supervisor, a delivery
    operator and an admin; plus the state's own: its admin, the coordinating
    secretariat and the state counter."""
    wanted = [
        StaffAccount(f"estatal@{STAFF_DOMAIN}", Role.ADMIN_ESTATAL, ""),
        StaffAccount(f"secretaria@{STAFF_DOMAIN}", Role.SECRETARIA, ""),
        StaffAccount(f"ventanilla@{STAFF_DOMAIN}", Role.VENTANILLA_ESTATAL, ""),
    ]
    for agency in Agency.select().order_by(Agency.slug):
        wanted += [
            StaffAccount(f"{role}.{agency.slug}@{STAFF_DOMAIN}", role, agency.slug)
            for role in AGENCY_ROLES
        ]
        wanted.append(
            StaffAccount(f"{COUNTER}.{agency.slug}@{STAFF_DOMAIN}", Role.REVISOR, agency.slug)
        )
    return wanted


def create_staff(password: str = DEMO_PASSWORD) -> list[StaffAccount]:
    wanted = staff_accounts()
    password_hash = generate_password_hash(password)
    with write():
        for account in wanted:
            agency = Agency.get(Agency.slug == account.agency) if account.agency else None
            name = COUNTER if account.email.startswith(COUNTER) else account.role
            StaffUser.get_or_create(
                email=account.email,
                defaults={
                    "name": f"{name.replace('_', ' ').capitalize()} {account.agency or 'estatal'}",
                    "password_hash": password_hash,
                    "role": account.role,
                    "agency": agency,
                },
            )
    return wanted


# A period's delivery day: this many days after it starts (or its last day).
CALENDAR_OFFSET_DAYS = 9


def create_calendars() -> int:
    """A delivery date and place for every period of every scheduled program,
    set by the agency's admin through the calendar's one write path; returns
    how many dates were set. Run again, it changes nothing."""
    count = 0
    for program in Program.select().where(Program.active).order_by(Program.id):
        schedule = periods.program_periods(program)
        point = (
            DeliveryPoint.select()
            .where((DeliveryPoint.program == program) & DeliveryPoint.active)
            .order_by(DeliveryPoint.position, DeliveryPoint.id)
            .first()
        )
        if not schedule or point is None:
            continue
        admin = _staff(Role.ADMIN_DEPENDENCIA, program.agency)
        for period in schedule:
            assert period.ends is not None  # a scheduled period always ends
            day = min(period.starts + dt.timedelta(days=CALENDAR_OFFSET_DAYS), period.ends)
            delivery_calendar.set_date(
                program, period.number, day, point.id, admin, hours="de 9:00 a 15:00"
            )
            count += 1
    return count


def create_plans(today: dt.date | None = None) -> int:
    """A budget, a goal and the four indicators of this year for every cash
    program, set by the agency's admin through the planning domain (after
    counting the figures of what is already enrolled); returns how many
    programs. Run again, it changes nothing but the figures' recount (no
    audit entry either)."""
    year = (today or dt.date.today()).year
    count = 0
    for program in Program.select().where(
        Program.active & (Program.benefit_kind == "cash") & Program.benefit_amount.is_null(False)
    ):
        admin = _staff(Role.ADMIN_DEPENDENCIA, program.agency)
        tally.recount(program)
        call = Call.select().where(Call.program == program).order_by(Call.id.desc()).first()
        people = (call.quota if call and call.quota else None) or DEMO_GOAL
        cost = sum(budgets.approval_cost(program, dt.date(year, 1, 1)).values()) or 1
        approved = max(people * cost, budgets.figures_of(program.id, year).spent)
        # The same figures again change and audit nothing (set_budget,
        # set_goal): a second demo-data run leaves the trail as it was.
        budgets.set_budget(program, year, approved, None, admin)
        goals.set_goal(program, year, people, admin)
        have = {i.name for i in goals.indicators_of(program, year)}
        for name, formula, frequency, target, days in DEMO_INDICATORS:
            if name not in have:
                goals.add_indicator(program, year, admin, name=name, formula=formula,
                                    frequency=frequency, target=target, days=days)  # fmt: skip
        count += 1
    return count


DEMO_GOAL = 1000
DEMO_INDICATORS = (
    ("Cobertura de la población objetivo", "cobertura", "trimestral", 90.0, None),
    ("Entregas a tiempo", "puntualidad", "trimestral", 95.0, None),
    ("Solicitudes resueltas en 30 días", "decididas_en_plazo", "semestral", 80.0, 30),
    ("Costo por persona beneficiaria", "costo_por_beneficiario", "anual", 9000.0, None),
)


def load_personas(path: Path = PERSONAS_FILE) -> list[dict]:
    """The provider's ordinary personas (not the fault or mismatch ones)."""
    personas = json.loads(path.read_text(encoding="utf-8"))
    return [p for p in personas if not p["login"].startswith(("fault-", "curp-"))]


def create_personas(path: Path = PERSONAS_FILE) -> int:
    """Citizen records for the personas, as a first digital-ID sign-in would make."""
    created = 0
    with write():
        for persona in load_personas(path):
            claims = persona["claims"]
            citizen, was_created = Citizen.get_or_create(
                curp=claims["curp"],
                defaults={
                    "given_names": claims["given_name"],
                    "first_surname": claims["family_name"],
                    "second_surname": claims.get("second_family_name", ""),
                    "birth_date": dt.date.fromisoformat(claims["birthdate"]),
                    "sex": claims["sex"],
                    "email": claims.get("email", ""),
                    "origin": "digital_id",
                },
            )
            if was_created:
                facts.keep([citizen.id])  # the rule preview counts them too
            created += was_created
    return created


# Planning: who applies to what, and how far each case got ---------------------


@dataclass
class Plan:
    """One application a synthetic person makes, and the step it reaches."""

    index: int  # the person's place in the synthetic population
    key: str  # the idempotency key of its draft
    curp: str
    program: Program
    minor: bool
    assisted: bool
    corrected: bool
    flaw: float  # picks the document a reviewer finds a problem with
    id_last4: str
    step: str = S.ENVIADA


def _eligible(person: Person, answers: Answers, catalog: CompiledCatalog, on: dt.date) -> list[str]:
    """Slugs of the programs open on ``on`` that the engine says ``person`` may receive."""
    profile = parse_profile(answers, on=on)
    profile |= {
        "birth_date": person["birth_date"],
        "sex": person["sex"],
        "municipality": person["municipality"],
        "enrolled": (),
    }
    return [
        r.program
        for r in catalog.evaluate(profile, on)
        if r.status is Status.ELIGIBLE and r.call_open
    ]


def _plan(
    index: int, person: Person, program: Program, rng: random.Random, on: dt.date, seed: int
) -> Plan:
    age = age_on(person["birth_date"], on)
    assisted, corrected, flaw, last4 = (rng.random() for _ in range(4))
    return Plan(
        index=index,
        key=f"demo-{seed}-{index}-{program.slug}",
        curp=person["curp"],
        program=program,
        minor=age < ADULT_AGE,
        assisted=assisted < (ASSISTED_SHARE_65 if age >= 65 else ASSISTED_SHARE),
        corrected=corrected < CORRECTED_SHARE,
        flaw=flaw,
        id_last4=f"{int(last4 * 10_000):04d}",
    )


def assign_steps(plans: Iterable[Plan], rng: random.Random) -> list[Plan]:
    """Each program's first applicants get one case at every step of
    :data:`EVERY_STEP`; the others are drawn from :data:`STEP_WEIGHTS`."""
    by_program: dict[str, list[Plan]] = defaultdict(list)
    for plan in plans:
        by_program[plan.program.slug].append(plan)
    steps, weights = zip(*STEP_WEIGHTS.items(), strict=True)
    ordered: list[Plan] = []
    for slug in sorted(by_program):
        group = by_program[slug]
        rng.shuffle(group)
        for position, plan in enumerate(group):
            plan.step = (
                EVERY_STEP[position]
                if position < len(EVERY_STEP)
                else rng.choices(steps, weights)[0]
            )
        ordered += group
    # Back in the order people were drawn, so programs interleave as in life.
    ordered.sort(key=lambda p: p.index)
    return ordered


# Carrying a plan out through the domain ----------------------------------------


class Scans:
    """One checked file per requirement, as a person would upload it: a PDF
    where the requirement takes one, a photo otherwise."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str], CleanFile] = {}

    def of(self, requirement: Requirement) -> CleanFile:
        allowed = frozenset(requirement.formats.split(","))
        kind = "pdf" if "pdf" in allowed else "jpg"
        found = self._files.get((requirement.slug, kind))
        if found is None:
            title = f"Documento de demostracion: {requirement.slug}"
            data = sample_pdf(title) if kind == "pdf" else sample_jpeg(title)
            found = inspect_upload(data, f"{requirement.slug}.{kind}", allowed=allowed)
            self._files[(requirement.slug, kind)] = found
        return found


@dataclass(frozen=True)
class Team:
    """The staff of one agency who handle the demo cases."""

    reviewer: StaffUser
    counter: StaffUser
    operator: StaffUser


def _staff(prefix: str, agency: Agency) -> StaffUser:
    return StaffUser.get(StaffUser.email == f"{prefix}.{agency.slug}@{STAFF_DOMAIN}")


def teams() -> dict[int, Team]:
    """Each agency's demo team (made by :func:`create_staff`), by agency id."""
    return {
        agency.id: Team(
            _staff(Role.REVISOR, agency), _staff(COUNTER, agency), _staff(Role.ENTREGA, agency)
        )
        for agency in Agency.select()
    }


def _delivery_point(program: Program, citizen: Citizen) -> DeliveryPoint:
    points = list(
        DeliveryPoint.select()
        .where((DeliveryPoint.program == program) & DeliveryPoint.active)
        .order_by(DeliveryPoint.position, DeliveryPoint.id)
    )
    near = [p for p in points if p.municipality_id == citizen.municipality_id]
    return (near or points)[0]


def carry_out(
    plan: Plan,
    citizen: Citizen,
    team: Team,
    scans: Scans,
    storage: Storage,
    on: dt.date,
    folio_prefix: str,
) -> Application:
    """Take ``plan`` to its step the way the person and the agency's staff would."""
    program = plan.program
    person = Actor.citizen(citizen)
    filer = Actor.staff(team.counter) if plan.assisted else person
    reviewer = Actor.staff(team.reviewer)
    application = apps.start_draft(
        citizen,
        program,
        plan.key,
        on=on,
        folio_prefix=folio_prefix,
        assisted_by=team.counter.id if plan.assisted else None,
    )
    requirements = [
        r for r in apps.required_requirements(application) if plan.minor or not r.optional
    ]
    for requirement in requirements:
        apps.add_document(application, requirement, scans.of(requirement), storage, filer)
    if plan.step == S.BORRADOR:
        return application
    apps.submit(application, filer, on=on)
    if application.status == S.EN_ESPERA:
        # The call was full: the person waits, and moves up when a later
        # plan's rejection or cancellation frees a place.
        return application
    if plan.step == S.ENVIADA and not plan.corrected:
        return application
    apps.take(application, reviewer, application.version)
    if plan.step == S.CANCELADA:
        reason = CANCELLATIONS[int(plan.flaw * len(CANCELLATIONS))]
        return apps.cancel(application, person, reason)
    if plan.step == S.EN_REVISION:
        return application
    flawed = requirements[int(plan.flaw * len(requirements))]
    if plan.corrected or plan.step == S.REQUIERE_CORRECCION:
        problem = SCAN_PROBLEMS[int(plan.flaw * len(SCAN_PROBLEMS))]
        document = apps.current_documents(application)[flawed.id]
        apps.review_document(
            application, document, DocumentStatus.RECHAZADO, reviewer, reason=problem
        )
        apps.request_correction(
            application,
            reviewer,
            documents=[flawed.id],
            message=f"Suba de nuevo «{flawed.name}». {problem}",
        )
        if plan.step == S.REQUIERE_CORRECCION:
            return application
        apps.add_document(application, flawed, scans.of(flawed), storage, filer)
        apps.resubmit(application, filer)
        if plan.step == S.ENVIADA:
            return application
        apps.take(application, reviewer, application.version)
    if plan.step == S.RECHAZADA:
        reason = REJECTIONS[int(plan.flaw * len(REJECTIONS))].format(name=flawed.name)
        document = apps.current_documents(application)[flawed.id]
        apps.review_document(
            application, document, DocumentStatus.RECHAZADO, reviewer, reason=reason
        )
        return apps.reject(application, reviewer, reason)
    for document in apps.current_documents(application).values():
        apps.review_document(application, document, DocumentStatus.ACEPTADO, reviewer)
    apps.approve(application, reviewer, on=on)
    if plan.step == S.ENTREGADA:
        # approve() issued it (the on_approved hook); this returns that one.
        credential = delivery.issue_credential(application)
        id_type = ID_TYPES[int(plan.flaw * len(ID_TYPES))]
        # The period due now: a one-off benefit becomes "entregada"; a periodic
        # one stays approved, its first period in its history, the rest to come.
        outcome = delivery.confirm_delivery(
            credential,
            team.operator,
            _delivery_point(program, citizen),
            delivery.IdCheck(id_type, plan.id_last4),
        )
        if not outcome.delivered or outcome.verdict.application is None:
            raise delivery.DeliveryError(outcome.verdict.message)
        return outcome.verdict.application
    return application


# The population -----------------------------------------------------------------


def _citizen_row(person: Person, answers: Answers | None, now: dt.datetime) -> dict[str, object]:
    return {
        "curp": person["curp"],
        "given_names": person["first_name"],
        "first_surname": person["last_name1"],
        "second_surname": person["last_name2"],
        "birth_date": person["birth_date"],
        "sex": person["sex"],
        "email": person["email"] or "",
        "phone": person["phone"] or "",
        "municipality": person["municipality"],
        "state": person["municipality"][:2],
        "profile": answers or {},
        "origin": "import",
        "created_at": now,
        "updated_at": now,
    }


def _insert_new(people: Iterable[tuple[Person, Answers | None]], existing: set[str]) -> int:
    """Registry rows for the people not yet in it; returns how many went in."""
    now = utcnow()
    inserted = 0
    with write():
        for batch in chunked(people, CHUNK):
            rows = [_citizen_row(p, a, now) for p, a in batch if p["curp"] not in existing]
            if rows:
                first = _last_citizen_id() + 1
                Citizen.insert_many(rows).execute()
                facts.keep_range(first, _last_citizen_id())
                inserted += len(rows)
    return inserted


def _last_citizen_id() -> int:
    """The highest citizen id this transaction sees (the primary key's last entry)."""
    return int(db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM citizen").fetchone()[0])


# The columns a bulk-loaded registry row fills, in order; the others take the
# model's defaults (see _bulk_defaults), as Citizen.insert_many would write them.
BULK_COLUMNS = (
    "curp",
    "given_names",
    "first_surname",
    "second_surname",
    "birth_date",
    "sex",
    "email",
    "phone",
    "municipality_id",
    "state",
    "profile",
    "origin",
    "created_at",
    "updated_at",
)
# Rows per transaction (SQLite) or per COPY (PostgreSQL).
BULK_CHUNK = 100_000


def _bulk_defaults() -> dict[str, object]:
    """Every other column of Citizen with the value its default gives."""
    defaults: dict[str, object] = {}
    for name, column in Citizen._meta.columns.items():
        if name in BULK_COLUMNS or name == "id" or column.default is None:
            continue
        value = column.default() if callable(column.default) else column.default
        defaults[name] = column.db_value(value)
    return defaults


def _bulk_rows(
    people: Iterable[Person], now: dt.datetime, answers: Callable[[Person], Answers] | None
) -> Iterator[tuple]:
    """Rows as Citizen.insert_many would send them (same db_value conversions)."""
    empty = Citizen.profile.db_value({})
    for p in people:
        profile = empty if answers is None else Citizen.profile.db_value(answers(p))
        yield (
            p["curp"],
            p["first_name"],
            p["last_name1"],
            p["last_name2"],
            p["birth_date"],
            p["sex"],
            p["email"] or "",
            p["phone"] or "",
            p["municipality"],
            p["municipality"][:2],
            profile,
            "import",
            now,
            now,
        )


def bulk_insert_registry(
    people: Iterable[Person], answers: Callable[[Person], Answers] | None = None
) -> int:
    """Registry people in bulk, with the questionnaire answers ``answers`` gives
    each (None: none); a CURP already in the registry is skipped by the unique
    index (ON CONFLICT DO NOTHING), so a second run adds nothing and an
    interrupted one resumes, without reading the table. Each chunk's rules
    facts (portal/citizens/facts.py) are kept in its transaction, by one
    statement over the range of ids it added.

    SQLite: ``executemany`` of one prepared INSERT, :data:`BULK_CHUNK` rows per
    transaction, with synchronous off while it loads (a crash loses at most
    the chunk being written, which the next run redoes). PostgreSQL: each
    chunk is COPY'd (psycopg 3 ``cursor.copy``) into a temporary table, then
    moved with one INSERT ... SELECT ... ON CONFLICT DO NOTHING. Neither does a
    look-up per row or per chunk that grows with the table; the indexes stay
    in place (the unique CURP index is what skips repeats).
    """
    defaults = _bulk_defaults()
    columns = (*BULK_COLUMNS, *defaults)
    extra = tuple(defaults.values())
    table = Citizen._meta.table_name
    now = utcnow()
    inserted = 0
    db.connect(reuse_if_open=True)
    connection = db.connection()
    names = ", ".join(f'"{c}"' for c in columns)
    if is_sqlite():
        marks = ", ".join("?" for _ in columns)
        # Identifiers from the model's metadata; the values are parameters.
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks}) ON CONFLICT ("curp") DO NOTHING'  # noqa: S608
        db.execute_sql("PRAGMA synchronous = OFF")
        try:
            for batch in chunked(_bulk_rows(people, now, answers), BULK_CHUNK):
                # In CURP order, each chunk walks the unique index's B-tree
                # once instead of landing on random pages.
                batch.sort()
                with write():
                    first = _last_citizen_id() + 1
                    before = connection.total_changes
                    connection.executemany(sql, [row + extra for row in batch])
                    inserted += connection.total_changes - before
                    facts.keep_range(first, _last_citizen_id())
        finally:
            db.execute_sql("PRAGMA synchronous = NORMAL")
        return inserted
    staging = f"bulk_{table}"
    for batch in chunked(_bulk_rows(people, now, answers), BULK_CHUNK):
        with write():
            first = _last_citizen_id() + 1
            cursor = connection.cursor()
            cursor.execute(
                f'CREATE TEMPORARY TABLE IF NOT EXISTS "{staging}" '
                f'(LIKE "{table}" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS'
            )
            with cursor.copy(f'COPY "{staging}" ({names}) FROM STDIN') as copy:
                for row in batch:
                    copy.write_row(row + extra)
            cursor.execute(
                f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{staging}" '  # noqa: S608
                'ORDER BY "curp" ON CONFLICT ("curp") DO NOTHING'
            )
            inserted += cursor.rowcount
            facts.keep_range(first, _last_citizen_id())
    return inserted


def plan_population(
    pool: list[Person], seed: int, on: dt.date
) -> tuple[list[tuple[Person, Answers]], list[Plan]]:
    """Answers for every person of ``pool``, and the applications they make:
    each program's applicants are drawn from the people the engine says may
    receive it, never two in one exclusion group for the same person."""
    rng = random.Random(f"demo-{seed}")
    catalog = engine_catalog()
    places: dict[int, int | None] = dict(
        tuples(
            Call.select(Call.program, Call.quota).where((Call.opens <= on) & (Call.closes >= on))
        )
    )
    programs = {
        p.slug: p
        for p in Program.select().where(Program.active).order_by(Program.slug)
        if p.id in places
    }
    answered = [(person, draw_profile(person, rng, on)) for person in pool]
    eligible: dict[str, list[int]] = defaultdict(list)
    for index, (person, answers) in enumerate(answered):
        for slug in _eligible(person, answers, catalog, on):
            eligible[slug].append(index)
    groups: dict[int, set[str]] = defaultdict(set)
    plans = []
    for slug, program in programs.items():
        demand = (places[program.id] or OPEN_QUOTA_PLACES) / STATE_POPULATION
        share = max(demand, SMALLEST_SHARE) * len(pool)
        candidates = [i for i in eligible[slug] if program.exclusion_key not in groups[i]]
        wanted = min(len(candidates), max(len(EVERY_STEP), round(share)))
        if places[program.id] is not None:
            # Planned cases take places; the waiting list is filled apart
            # (fill_waiting_list), so every planned step is reached.
            wanted = min(wanted, max(len(EVERY_STEP), places[program.id] or 0))
        for index in sorted(rng.sample(candidates, wanted)):
            groups[index].add(program.exclusion_key)
            plans.append(_plan(index, pool[index], program, rng, on, seed))
    return answered, assign_steps(plans, rng)


def generate_population(
    n: int = DEFAULT_CITIZENS,
    seed: int = 2026,
    prefix: str = "QRO",
    *,
    on: dt.date | None = None,
    storage: Storage | None = None,
) -> dict[str, int]:
    """``n`` synthetic people; the first :data:`DEFAULT_CITIZENS` answered the
    questionnaire and some apply (see the module docstring).

    Returns counts: ``citizens`` inserted, ``applications`` carried out,
    ``not_eligible`` (planned applications of people kept from an earlier,
    interrupted run whom the engine no longer finds eligible), ``enrollments``
    active, and one count per status reached.
    """
    on = on or dt.date.today()
    storage = storage or get_storage()
    load_municipalities()
    people = generate_citizens(n, seed=seed)
    pool = list(islice(people, min(n, DEFAULT_CITIZENS)))
    # Only the pool can already be there with answers; the rest of the
    # registry is skipped by its unique CURP (bulk_insert_registry).
    existing: set[str] = set()
    for curps in chunked([person["curp"] for person in pool], 1000):
        existing.update(Citizen.select(Citizen.curp).where(Citizen.curp.in_(curps)).scalars())
    answered, plans = plan_population(pool, seed, on)
    counts: Counter[str] = Counter()
    counts["citizens"] = _insert_new(answered, existing)

    done = set(
        Application.select(Application.idempotency_key)
        .where(Application.idempotency_key.startswith("demo-"))
        .scalars()
    )
    todo = [plan for plan in plans if plan.key not in done]
    citizens: dict[str, int] = dict(
        tuples(
            Citizen.select(Citizen.curp, Citizen.id).where(
                Citizen.curp.in_({plan.curp for plan in todo})
            )
        )
    )
    staff, scans = teams(), Scans()
    for batch in chunked(todo, BATCH):
        with write():
            for plan in batch:
                citizen = Citizen.get_by_id(citizens[plan.curp])
                # The plan judged today's answers; a person kept from an earlier,
                # interrupted run has the answers of that day.
                if plan.curp in existing and apps.eligibility_reasons(citizen, plan.program, on):
                    counts["not_eligible"] += 1
                    continue
                application = carry_out(
                    plan, citizen, staff[plan.program.agency_id], scans, storage, on, prefix
                )
                counts["applications"] += 1
                counts[application.status] += 1

    counts[S.EN_ESPERA] = fill_waiting_list(on, storage, prefix, scans)
    counts["citizens"] += bulk_insert_registry(people)
    counts["enrollments"] = Enrollment.select().where(Enrollment.active).count()
    return dict(counts)


def fill_waiting_list(
    on: dt.date, storage: Storage, prefix: str, scans: Scans | None = None
) -> int:
    """Eligible people apply to :data:`WAITING_LIST_PROGRAM`'s open call until
    its places are taken and :data:`WAITING_LIST_PEOPLE` wait; returns how many
    wait. Through the workflow, as the people would (draft, documents,
    submission); a second run finds the list long enough and adds nothing."""
    program = Program.get_or_none(Program.slug == WAITING_LIST_PROGRAM)
    call = apps.open_call(program, on) if program is not None else None
    if program is None or call is None or call.quota is None:
        return 0
    if (call.places_left() or 0) > WAITING_LIST_MAX_PLACES:
        return call.places_waiting
    scans = scans or Scans()
    applied = Application.select(Application.citizen).where(Application.call == call.id)
    people = Citizen.select().where(Citizen.id.not_in(applied)).order_by(Citizen.id)
    for citizen in people.iterator():
        call = Call.get_by_id(call.id)
        if call.places_waiting >= WAITING_LIST_PEOPLE:
            break
        if apps.eligibility_reasons(citizen, program, on):
            continue
        person = Actor.citizen(citizen)
        try:
            with write():
                application = apps.start_draft(
                    citizen, program, f"demo-espera-{citizen.curp}", on=on, folio_prefix=prefix
                )
                for requirement in apps.required_requirements(application):
                    if not requirement.optional:
                        apps.add_document(
                            application, requirement, scans.of(requirement), storage, person
                        )
                apps.submit(application, person, on=on)
        except apps.Refused:
            continue  # the rules say no after all (e.g. a program of its group received)
    return Call.get_by_id(call.id).places_waiting
