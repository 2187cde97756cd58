"""``demo-data --applications N``: applications made in bulk pass every
invariant the domain guarantees (on both engines), their rows are the rows the
domain writes for the same steps (compared with the pool's cases, made through
``carry_out``), a second run adds nothing and an interrupted one resumes."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict

import pytest

from portal.applications import workflow as applications
from portal.applications.documents import get_storage, sweep_orphans
from portal.applications.folio import validate_folio
from portal.backoffice import audit
from portal.catalog.store import engine_catalog, load_catalog
from portal.delivery import periods
from portal.delivery.models import Credential, Delivery
from portal.demo import bulk_applications as bulk
from portal.demo import data as demo
from portal.eligibility.engine import Status
from portal.eligibility.profile import age_on, parse_profile
from portal.models import (
    Application,
    ApplicationEvent,
    AuditEvent,
    Call,
    Citizen,
    Document,
    Enrollment,
    Notice,
    Program,
    Requirement,
)
from portal.vocabulary import (
    BENEFICIARY_STATUSES,
    LIVE_STATUSES,
    PLACE_STATUSES,
    ApplicationStatus,
    AuditAction,
    DocumentStatus,
)
from portal.web.database import write
from tests.catalog_builders import demo_catalog
from tests.conftest import fresh_app

S = ApplicationStatus
POOL = 40
REGISTRY = 2_500
WANTED = 1_800
SEED = 7
# A call small enough to fill: the cases beyond it are decided instead.
SMALL_CALL = "mejora-vivienda"
SMALL_QUOTA = 25


def _populate() -> None:
    load_catalog(demo_catalog())
    demo.create_staff()
    demo.generate_population(REGISTRY, seed=SEED)
    program = Program.get(Program.slug == SMALL_CALL)
    with write():
        Call.update(quota=Call.places_taken + SMALL_QUOTA).where(Call.program == program).execute()


@pytest.fixture(scope="module")
def loaded(template_database, tmp_path_factory):
    """A pool of 40 people whose cases went through the domain, a registry of
    2,500, and 1,800 bulk applications in chunks of 500 people; only read by the
    tests that use it."""
    patch = pytest.MonkeyPatch()
    patch.setattr(demo, "DEFAULT_CITIZENS", POOL)
    patch.setattr(bulk, "CHUNK", 500)
    for app in fresh_app(template_database, tmp_path_factory.mktemp("bulk")):
        _populate()
        counts = bulk.generate(WANTED, seed=SEED)
        yield app, counts
    patch.undo()


def _bulk_applications():
    return Application.select().where(Application.idempotency_key.startswith(bulk.KEY_PREFIX))


def _profile_of(citizen: Citizen, answers: dict, on: dt.date, enrolled: tuple) -> dict:
    profile = parse_profile(answers, on=on)
    profile |= {"birth_date": citizen.birth_date, "sex": citizen.sex, "enrolled": enrolled}
    if citizen.municipality_id:
        profile["municipality"] = citizen.municipality_id
    return profile


class TestABulkRun:
    def test_it_makes_what_was_asked_at_every_step(self, loaded):
        _app, counts = loaded
        assert counts["applications"] == WANTED == _bulk_applications().count()
        reached = Counter(a.status for a in _bulk_applications())
        assert set(reached) == set(demo.STEP_WEIGHTS)
        assert reached == {s: counts[s] for s in reached}
        assert counts["people"] == len({a.citizen_id for a in _bulk_applications()})

    def test_the_engine_says_eligible_on_each_applications_own_answers(self, loaded):
        catalog, on = engine_catalog(), dt.date.today()
        slugs = dict(Program.select(Program.id, Program.slug).tuples())
        enrolled = defaultdict(set)
        for citizen_id, program_id in Enrollment.select(
            Enrollment.citizen, Enrollment.program
        ).tuples():
            enrolled[citizen_id].add(slugs[program_id])
        for application in _bulk_applications():
            citizen = Citizen.get_by_id(application.citizen_id)
            answers = application.answers["profile"]
            # Stored on the record as submission stores the snapshot.
            assert citizen.profile == answers
            assert application.answers == applications.snapshot_answers(citizen)
            slug = slugs[application.program_id]
            others = tuple(enrolled[citizen.id] - {slug})
            results = catalog.evaluate(_profile_of(citizen, answers, on, others), on)
            verdict = next(r for r in results if r.program == slug)
            assert verdict.status is Status.ELIGIBLE, (application.folio, verdict.reasons)
            assert verdict.call_open

    def test_never_two_of_one_exclusion_group_nor_two_live_in_one_call(self, loaded):
        keys = {p.id: p.exclusion_key for p in Program.select()}
        groups, live = Counter(), Counter()
        for application in Application.select():
            groups[(application.citizen_id, keys[application.program_id])] += 1
            if application.status in LIVE_STATUSES:
                live[(application.citizen_id, application.call_id)] += 1
        assert max(live.values()) == 1
        bulk_people = {a.citizen_id for a in _bulk_applications()}
        assert all(n == 1 for (person, _), n in groups.items() if person in bulk_people)

    def test_places_taken_is_the_count_of_live_applications_and_within_the_quota(self, loaded):
        for call in Call.select():
            live = (
                Application.select()
                .where((Application.call == call) & Application.status.in_(PLACE_STATUSES))
                .count()
            )
            assert call.places_taken == live, call.id
            assert call.quota is None or live <= call.quota

    def test_a_full_call_has_its_other_cases_decided(self, loaded):
        program = Program.get(Program.slug == SMALL_CALL)
        call = Call.get((Call.program == program) & (Call.places_taken > 0))
        assert call.places_taken == call.quota
        statuses = Counter(a.status for a in _bulk_applications().where(Application.call == call))
        decided = statuses[S.RECHAZADA] + statuses[S.CANCELADA]
        assert decided > sum(statuses.values()) / 2, statuses

    def test_every_beneficiary_has_an_enrollment_and_a_credential(self, loaded):
        for application in _bulk_applications():
            enrollments = Enrollment.select().where(Enrollment.application == application)
            credentials = Credential.select().where(Credential.application == application)
            if application.status in BENEFICIARY_STATUSES:
                (enrollment,) = enrollments
                assert enrollment.active and enrollment.citizen_id == application.citizen_id
                assert enrollment.started_on == application.decided_at.date()
                (credential,) = credentials
                assert credential.current and credential.issued_on <= dt.date.today()
            else:
                assert not enrollments.exists() and not credentials.exists()
            delivered = list(Delivery.select().where(Delivery.application == application))
            if application.status == S.ENTREGADA:
                assert len(delivered) == 1
            elif application.status == S.APROBADA and delivered:
                # A periodic benefit: one period delivered, more to come.
                (one,) = delivered
                assert periods.standing(application).periods[-1].number > one.period
            else:
                assert not delivered

    def test_every_required_document_is_there_and_its_blob_decrypts(self, loaded):
        storage, on = get_storage(), dt.date.today()
        keys = set()
        for application in _bulk_applications():
            citizen = Citizen.get_by_id(application.citizen_id)
            minor = age_on(citizen.birth_date, on) < 18
            wanted = {
                r.id
                for r in Requirement.select().where(Requirement.program == application.program_id)
                if minor or not r.optional
            }
            current = applications.current_documents(application)
            assert set(current) == wanted, application.folio
            for document in Document.select().where(Document.application == application):
                data = storage.get(document.storage_key)
                assert hashlib.sha256(data).hexdigest() == document.sha256
                assert len(data) == document.size
                keys.add(document.storage_key)
            if application.status in BENEFICIARY_STATUSES:
                assert {d.status for d in current.values()} == {DocumentStatus.ACEPTADO}
        assert (
            len(keys)
            == Document.select()
            .join(Application)
            .where(Application.idempotency_key.startswith(bulk.KEY_PREFIX))
            .count()
        )

    def test_decided_cases_say_why(self, loaded):
        for application in _bulk_applications().where(Application.status == S.RECHAZADA):
            assert application.decision_reason and application.decided_at
            rejected = Document.select().where(
                (Document.application == application)
                & (Document.status == DocumentStatus.RECHAZADO)
                & Document.current
            )
            assert rejected.exists(), application.folio
        for application in _bulk_applications().where(Application.status == S.CANCELADA):
            last = applications.timeline(application)[-1]
            assert last.to_status == S.CANCELADA and last.reason in demo.CANCELLATIONS

    def test_folios_histories_and_moments_are_the_domains(self, loaded):
        for application in _bulk_applications():
            assert validate_folio(application.folio) == application.folio
            call = Call.get_by_id(application.call_id)
            events = applications.timeline(application)
            assert application.version == 1 + len(events)
            status, moment = S.BORRADOR, application.created_at
            for event in events:
                move = (event.from_status, event.to_status)
                assert event.from_status == status
                assert event.actor_kind in applications.TRANSITIONS[move]
                assert event.created_at >= moment
                status, moment = event.to_status, event.created_at
            assert status == application.status
            assert application.updated_at == moment
            if application.status == S.BORRADOR:
                assert application.submitted_at is None
            else:
                assert call.opens <= application.submitted_at.date() <= call.closes
                assert events[0].created_at == application.submitted_at
            notices = Notice.select().where(Notice.application == application).count()
            # Beside one per move: one per document rejected and per period delivered
            # that did not complete the benefit.
            other = Notice.select().where(
                (Notice.application == application)
                & (
                    Notice.title.endswith("documento rechazado")
                    | Notice.title.endswith("apoyo entregado")
                )
            )
            assert notices == len(events) + other.count()

    def test_the_audit_chain_verifies_with_one_entry_per_chunk(self, loaded):
        app, _counts = loaded
        assert audit.verify() is None
        entries = AuditEvent.select().where(AuditEvent.action == AuditAction.DEMO_LOAD)
        assert sum(e.details["solicitudes"] for e in entries) == WANTED
        result = app.test_cli_runner().invoke(args=["audit", "verify"])
        assert result.exit_code == 0, result.output

    def test_a_second_run_adds_nothing(self, loaded):
        before = {m: m.select().count() for m in (Application, Document, Notice, AuditEvent)}
        assert bulk.generate(WANTED, seed=SEED) == {}
        assert {m: m.select().count() for m in before} == before


# The same rows as the domain's ---------------------------------------------------


def _filled(row: dict) -> frozenset[str]:
    """The columns of a row that hold something (not NULL, not empty)."""
    return frozenset(k for k, v in row.items() if v not in (None, "", {}, []))


def _shape(application: Application) -> tuple:
    """What the domain wrote for a case, with its values left out: the filled
    columns of each of its rows, its path, its notices' titles."""
    folio = application.folio

    def rows(model, *where):
        return sorted(_filled(r) for r in model.select().where(*where).dicts())

    return (
        _filled(Application.select().where(Application.id == application.id).dicts().get()),
        tuple(
            (e.from_status, e.to_status, e.actor_kind, bool(e.actor_staff_id), bool(e.reason))
            for e in applications.timeline(application)
        ),
        rows(ApplicationEvent, ApplicationEvent.application == application),
        rows(Document, Document.application == application),
        sorted(
            (d.version, d.current, d.status, bool(d.review_reason))
            for d in Document.select().where(Document.application == application)
        ),
        sorted(
            (n.status, n.title.replace(folio, "FOLIO"), _filled(n.__data__))
            for n in Notice.select().where(Notice.application == application)
        ),
        rows(Enrollment, Enrollment.application == application),
        rows(Credential, Credential.application == application),
        rows(Delivery, Delivery.application == application),
    )


def test_bulk_cases_are_the_rows_carry_out_writes(loaded):
    """Each case the pool made through the domain (``carry_out``, online, not at
    the counter) has a bulk case of the same program and path with the same
    rows, column for column."""
    domain = (
        Application.select()
        .where(Application.idempotency_key.startswith("demo-") & Application.assisted_by.is_null())
        .order_by(Application.id)
    )
    bulk_shapes = defaultdict(set)
    for application in _bulk_applications():
        shape = _shape(application)
        bulk_shapes[(application.program_id, shape[1])].add(repr(shape))
    compared = Counter()
    for application in domain:
        if application.events.where(ApplicationEvent.assisted).exists():
            continue
        shape = _shape(application)
        found = bulk_shapes.get((application.program_id, shape[1]))
        if not found:
            continue  # no bulk case of that program took that path
        # Minors upload the optional documents too: one of the program's shapes is the same.
        assert repr(shape) in found, (application.folio, shape)
        compared[application.status] += 1
    assert set(compared) == set(demo.STEP_WEIGHTS) - {S.BORRADOR} or set(compared) == set(
        demo.STEP_WEIGHTS
    ), compared


# Interrupted and resumed -----------------------------------------------------------


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_and_leaves_nothing_half_written(app, monkeypatch):
    monkeypatch.setattr(demo, "DEFAULT_CITIZENS", POOL)
    monkeypatch.setattr(bulk, "CHUNK", 300)
    _populate()
    chunks = []
    store = bulk._store_profiles

    def dies_in_the_third_chunk(rows):
        chunks.append(len(rows))
        if len(chunks) == 3:
            raise Interrupted
        store(rows)

    monkeypatch.setattr(bulk, "_store_profiles", dies_in_the_third_chunk)
    with pytest.raises(Interrupted):
        bulk.generate(1_000, seed=SEED)
    done = _bulk_applications().count()
    assert 0 < done < 1_000
    # The third chunk's rows rolled back; its blobs are orphans, which the sweep removes.
    assert sweep_orphans(grace_minutes=0).orphan_blobs > 0
    calls = {c.id: c.places_taken for c in Call.select()}

    monkeypatch.setattr(bulk, "_store_profiles", store)
    counts = bulk.generate(1_000, seed=SEED)
    assert counts["applications"] == 1_000 - done
    assert _bulk_applications().count() == 1_000
    assert sweep_orphans(grace_minutes=0).orphan_blobs == 0
    for call in Call.select():
        live = (
            Application.select()
            .where((Application.call == call) & Application.status.in_(PLACE_STATUSES))
            .count()
        )
        assert call.places_taken == live >= calls[call.id]
    assert audit.verify() is None
    for document in (
        Document.select()
        .join(Application)
        .where(Application.idempotency_key.startswith(bulk.KEY_PREFIX))
    ):
        assert get_storage().exists(document.storage_key)


def test_the_registry_running_out_ends_the_run(app, monkeypatch):
    monkeypatch.setattr(demo, "DEFAULT_CITIZENS", POOL)
    load_catalog(demo_catalog())
    demo.create_staff()
    demo.generate_population(200, seed=SEED)
    counts = bulk.generate(100_000, seed=SEED)
    assert 0 < counts["applications"] == _bulk_applications().count() < 100_000
    assert bulk.generate(100_000, seed=SEED).get("applications", 0) == 0


def test_the_command_takes_the_option(app, monkeypatch):
    monkeypatch.setattr(demo, "DEFAULT_CITIZENS", POOL)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-data", "--citizens", "600", "--applications", "300"])
    assert result.exit_code == 0, result.output
    assert "solicitudes en bloque: 300 nuevas" in result.output
    again = runner.invoke(args=["demo-data", "--citizens", "600", "--applications", "300"])
    assert "solicitudes en bloque: 0 nuevas" in again.output
    assert _bulk_applications().count() == 300
