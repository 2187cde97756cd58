"""A roll import beside other writes: they wait a chunk at most, never the
whole import, and nobody sees any of the batch until it is published."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import pytest

from portal.catalog import store
from portal.eligibility import answers
from portal.models import Citizen, Enrollment, ImportBatch, utcnow
from portal.rolls import pipeline, writing
from portal.transparency import public as transparency
from portal.web.database import write
from tests.factories import make_citizen, make_municipality, make_program
from tests.padron_builders import person, write_roll

ROWS = 6_000
CHUNK = 500  # 12 chunks: 12 short transactions and the publication


@pytest.fixture
def place(app):
    make_municipality("22014", "Querétaro")


def roll_rows(n: int) -> list[list[str]]:
    return [person(i, born=dt.date(1950, 1, 1) + dt.timedelta(days=i % 9000)) for i in range(n)]


def test_other_writes_go_on_while_a_roll_is_imported(place, app, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "CHUNK", CHUNK)
    program = make_program()
    neighbour = make_citizen()  # someone saving their profile meanwhile
    path = write_roll(tmp_path / "p.csv", roll_rows(ROWS))
    batch, _ = writing.prepare_batch(path, path.name, program)
    seen_processed: set[int] = set()
    done = threading.Event()
    errors: list[BaseException] = []

    def slow_progress(processed: int, _total: int) -> None:
        time.sleep(0.02)  # leave room between chunks on a fast machine too

    def run() -> None:
        try:
            with app.app_context():
                writing.run_batch(batch.id, path, progress=slow_progress, parallel=False)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            done.set()

    importer = threading.Thread(target=run)
    importer.start()
    waits: list[float] = []
    during_import = 0
    visible_counts: set[int] = set()
    while not done.is_set():
        started = time.perf_counter()
        with write():
            Citizen.update(phone=str(len(waits))).where(Citizen.id == neighbour.id).execute()
        waits.append(time.perf_counter() - started)
        state = ImportBatch.get_by_id(batch.id)
        if state.status == "en_proceso":
            during_import += 1
            seen_processed.add(state.processed)
        visible_counts.add(Enrollment.select().where(Enrollment.active).count())
        time.sleep(0.005)
    importer.join()
    assert not errors, errors
    assert ImportBatch.get_by_id(batch.id).status == "terminado"
    # Writes completed while the import ran, and the import committed as it
    # went: its progress was seen halfway from another connection.
    assert during_import > 0
    assert any(0 < n < ROWS for n in seen_processed)
    # Nobody saw part of the batch: no enrollment, or all of them.
    assert visible_counts <= {0, ROWS}
    assert Enrollment.select().where(Enrollment.active).count() == ROWS
    print(
        f"\n{len(waits)} writes beside a {ROWS}-row import in chunks of {CHUNK}: "
        f"longest wait {max(waits) * 1000:.0f} ms; load average {os.getloadavg()[0]:.2f}"
    )


class LostRun(BaseException):
    """Stands for ``kill -9`` halfway through the import."""


def test_a_batch_killed_halfway_is_invisible_to_every_reader(place, app, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "CHUNK", 5)
    program = make_program(slug="apoyo-visible")
    existing = make_citizen()
    rows = roll_rows(30)
    rows[0][0] = existing.curp  # someone already recorded, in the roll
    rows[0][1:4] = [existing.given_names, existing.first_surname, existing.second_surname]
    rows[0][4] = existing.birth_date.strftime("%d/%m/%Y")
    rows[0][5] = existing.sex
    path = write_roll(tmp_path / "p.csv", rows)
    batch, _ = writing.prepare_batch(path, path.name, program)
    transparency.refresh_summary()

    def die(processed: int, _total: int) -> None:
        if processed >= 20:
            raise LostRun

    with pytest.raises(LostRun):
        writing.run_batch(batch.id, path, progress=die, parallel=False)
    assert Enrollment.select().where(Enrollment.import_batch == str(batch.id)).count() > 0
    # Every reader of enrollments: statistics, the published roll, places
    # taken in a call, what a person already receives.
    assert transparency.compute_stats().total() == 0
    assert list(transparency.published_roll(program)) == []
    assert store.quota_used(dt.date.today()).get(program.slug, 0) == 0
    assert answers.enrolled_slugs(existing.id) == ()
    # The recovery removes what it staged, and the records it created alone.
    writing.fail_batch(batch.id, "perdida")
    writing.discard_staged(batch.id)
    assert Enrollment.select().count() == 0
    assert [c.id for c in Citizen.select()] == [existing.id]


def test_someone_enrolled_meanwhile_fails_the_publication_as_a_whole(
    place, app, tmp_path, monkeypatch
):
    """An approval between a chunk and the publication takes the person first:
    the unique index refuses the batch, which fails whole and leaves nothing."""
    program = make_program()
    path = write_roll(tmp_path / "p.csv", roll_rows(10))
    batch, _ = writing.prepare_batch(path, path.name, program)
    real_publish = writing._publish

    def approval_first(batch, counts, ctx, claim):
        curp = roll_rows(1)[0][0]
        citizen = Citizen.get(Citizen.curp == curp)
        with write():
            Enrollment.create(citizen=citizen, program=program, exclusion_key=program.exclusion_key)
        return real_publish(batch, counts, ctx, claim)

    monkeypatch.setattr(writing, "_publish", approval_first)
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        writing.run_batch(batch.id, path, parallel=False)
    failed = ImportBatch.get_by_id(batch.id)
    assert failed.status == "fallido" and "otra operación inscribió" in failed.error
    assert Enrollment.select().count() == 1  # the approval's alone
    assert not writing.has_staged(batch.id)


def test_a_claim_records_its_sign_of_life(place, app, tmp_path):
    path = write_roll(tmp_path / "p.csv", roll_rows(3))
    batch, _ = writing.prepare_batch(path, path.name, make_program())
    before = utcnow()
    claim = writing.claim_batch(batch.id, before - writing.STALLED_AFTER)
    assert claim is not None
    claimed = ImportBatch.get_by_id(batch.id)
    assert claimed.status == "en_proceso" and claimed.heartbeat_at >= before
    assert writing.claim_batch(batch.id, utcnow() - writing.STALLED_AFTER) is None


def test_people_an_unfinished_import_is_creating_are_no_duplicate_candidates(
    place, app, tmp_path, monkeypatch
):
    from portal.rolls import duplicates

    monkeypatch.setattr(pipeline, "CHUNK", 2)
    first = roll_rows(1)[0]
    twin = make_citizen(  # one letter away from the roll's first person
        curp=first[0][:16] + ("B" if first[0][16] != "B" else "C") + first[0][17],
        given_names=first[1],
        first_surname=first[2],
        second_surname=first[3],
    )
    path = write_roll(tmp_path / "p.csv", [first, *roll_rows(6)[1:]])
    batch, _ = writing.prepare_batch(path, path.name, make_program())

    def die(processed: int, _total: int) -> None:
        raise LostRun

    with pytest.raises(LostRun):
        writing.run_batch(batch.id, path, progress=die, parallel=False)
    staged = Citizen.get(Citizen.curp == first[0])
    assert staged.id in duplicates.staged_people()
    assert any({p.a, p.b} == {staged.id, twin.id} for p in duplicates.curp_pairs())
    assert all(staged.id not in (p.a, p.b) for p in duplicates.find_candidates())
    assert twin.id not in duplicates.staged_people()
