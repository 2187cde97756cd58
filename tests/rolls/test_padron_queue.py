"""Web uploads run on the queue, and a run lost with its process is recovered."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portal.models import Citizen, Enrollment, ImportBatch, ImportRejection, utcnow
from portal.rolls import pipeline, reading, tasks, uploads, writing
from portal.rolls.files import roll_files
from tests.factories import make_municipality, make_program
from tests.padron_builders import person, write_roll

ROOT = Path(__file__).resolve().parents[2]
LONG_AGO = uploads.STALLED_AFTER + dt.timedelta(minutes=1)


@pytest.fixture
def place(app):
    make_municipality("22014", "Querétaro")


@pytest.fixture
def folder(app):
    return uploads.uploads_folder(app.instance_path)


def receive(folder: Path, tmp_path: Path, rows: int = 3, program=None):
    """An upload as the web receives it: the file stored, the batch registered."""
    roll = write_roll(tmp_path / "padron.csv", [person(n) for n in range(rows)])
    program = program or make_program()
    return uploads.receive(folder, io.BytesIO(roll.read_bytes()), roll.name, program, None)


def backdate(batch_id: int, by: dt.timedelta = LONG_AGO) -> None:
    """As if the batch had been uploaded, and its run last gave news, ``by`` ago."""
    then = utcnow() - by
    ImportBatch.update(created_at=then, started_at=then, heartbeat_at=then).where(
        ImportBatch.id == batch_id
    ).execute()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


class LostRun(BaseException):
    """Stands for ``kill -9``: nothing of the run's own clean-up happens."""


def lose_run_midway(batch_id: int, folder: Path, monkeypatch) -> None:
    """Run the batch until its second chunk is written, then lose the run."""
    monkeypatch.setattr(pipeline, "CHUNK", 2)

    def die(processed: int, _total: int) -> None:
        if processed >= 4:
            raise LostRun

    files = roll_files(folder)
    data = files.get(ImportBatch.get_by_id(batch_id).stored_file)
    with pytest.raises(LostRun):
        writing.run_batch(batch_id, data, progress=die, parallel=False)


def test_a_received_upload_is_kept_encrypted_and_nowhere_in_plain(place, folder, tmp_path):
    batch, pending = receive(folder, tmp_path)
    assert pending and batch.status == "pendiente"
    plain = (tmp_path / "padron.csv").read_bytes()
    stored = files_under(folder)
    assert len(stored) == 1 and stored[0].read_bytes()[:3] == b"VUB"  # the storage's format
    curp = person(0)[0].encode()
    assert all(curp not in p.read_bytes() for p in stored)
    assert roll_files(folder).get(batch.stored_file) == plain


def test_the_queued_import_runs_the_batch_and_lets_its_file_go(place, folder, tmp_path):
    batch, _ = receive(folder, tmp_path, rows=4)
    # The queue is immediate under tests: the task has run when it is queued.
    assert tasks.import_roll(batch.id).get() == "terminado"
    batch = ImportBatch.get_by_id(batch.id)
    assert (batch.status, batch.accepted, batch.stored_file) == ("terminado", 4, "")
    assert files_under(folder) == []  # neither the file nor its progress stays


def test_a_failed_import_lets_its_file_go_too(place, folder, tmp_path, monkeypatch):
    batch, _ = receive(folder, tmp_path, rows=4)
    # The file passed the checks of the upload; the bounds are met during the run.
    monkeypatch.setattr(reading, "LIMITS", reading.Limits(rows=2))
    assert tasks.import_roll(batch.id).get() == "fallido"
    batch = ImportBatch.get_by_id(batch.id)
    assert "pasa de 2 filas" in batch.error and batch.stored_file == ""
    assert files_under(folder) == []
    assert Enrollment.select().count() == 0 and Citizen.select().count() == 0


def test_a_batch_lost_with_its_worker_is_recovered(place, folder, tmp_path, monkeypatch):
    """The worker claimed the batch and died mid-import: it left staged rows
    nobody sees, the batch says en_proceso, its file is still kept."""
    batch, _ = receive(folder, tmp_path, rows=5)
    lose_run_midway(batch.id, folder, monkeypatch)
    assert ImportBatch.get_by_id(batch.id).status == "en_proceso"
    assert Enrollment.select().where(Enrollment.active).count() == 0
    assert writing.has_staged(batch.id)
    # Too recent to be called lost: nothing is queued again.
    assert uploads.recover(folder, tasks.import_roll) == []

    # Long after: no news from the run since it was lost.
    backdate(batch.id)
    tasks.recover_stalled_rolls()

    batch = ImportBatch.get_by_id(batch.id)
    assert (batch.status, batch.total_rows, batch.accepted, batch.new_citizens) == (
        "terminado",
        5,
        5,
        5,
    )
    assert Enrollment.select().where(Enrollment.import_batch == str(batch.id)).count() == 5
    assert Citizen.select().count() == 5  # the lost run's records went, the new run's stay
    assert files_under(folder) == []


def test_a_pending_batch_whose_task_was_lost_is_queued_again(place, folder, tmp_path):
    batch, _ = receive(folder, tmp_path)
    backdate(batch.id)
    assert uploads.recover(folder, tasks.import_roll) == [batch.id]
    assert ImportBatch.get_by_id(batch.id).status == "terminado"


def test_a_long_run_that_still_gives_news_is_not_stalled(place, folder, tmp_path):
    batch, _ = receive(folder, tmp_path)
    assert writing.claim_batch(batch.id, utcnow() - uploads.STALLED_AFTER)
    backdate(batch.id)
    writing.ProgressFile(folder, batch.id)(1, 3)  # fresh news from the run
    assert uploads.stalled(folder) == []
    backdate(batch.id)
    ImportBatch.update(heartbeat_at=utcnow()).execute()  # a chunk just written
    assert uploads.stalled(folder) == []


def test_a_second_run_of_a_batch_held_by_a_live_run_leaves_it(place, folder, tmp_path):
    batch, _ = receive(folder, tmp_path)
    assert writing.claim_batch(batch.id, utcnow() - uploads.STALLED_AFTER)
    assert uploads.run(folder, batch.id).status == "en_proceso"
    assert roll_files(folder).exists(batch.stored_file)  # the live run still needs it
    assert Enrollment.select().count() == 0


def test_a_run_taken_for_lost_that_wakes_up_writes_nothing(place, folder, tmp_path):
    batch, _ = receive(folder, tmp_path)
    old_claim = writing.claim_batch(batch.id, utcnow() - uploads.STALLED_AFTER)
    backdate(batch.id)
    assert writing.claim_batch(batch.id, utcnow() - uploads.STALLED_AFTER)  # the new run
    data = roll_files(folder).get(batch.stored_file)
    assert writing.run_batch(batch.id, data, claim=old_claim).status == "en_proceso"
    assert Enrollment.select().count() == 0 and ImportRejection.select().count() == 0


def test_a_stalled_batch_that_lost_its_file_fails_and_leaves_nothing(
    place, folder, tmp_path, monkeypatch
):
    batch, _ = receive(folder, tmp_path, rows=5)
    lose_run_midway(batch.id, folder, monkeypatch)
    backdate(batch.id)
    roll_files(folder).delete(batch.stored_file)
    assert uploads.recover(folder, tasks.import_roll) == []
    batch = ImportBatch.get_by_id(batch.id)
    assert batch.status == "fallido" and "Vuelva a subirlo" in batch.error
    assert Enrollment.select().count() == 0 and Citizen.select().count() == 0
    assert not writing.has_staged(batch.id)


def test_a_killed_import_command_fails_and_leaves_nothing(place, folder, tmp_path, monkeypatch):
    """The ``padron import`` command keeps no file: its lost batch cannot be
    run again by the queue; it fails, its staged rows go, the command can run again."""
    path = write_roll(tmp_path / "cli.csv", [person(n) for n in range(5)])
    batch, _ = writing.prepare_batch(path, path.name, make_program())
    monkeypatch.setattr(pipeline, "CHUNK", 2)

    def die(processed: int, _total: int) -> None:
        if processed >= 2:
            raise LostRun

    with pytest.raises(LostRun):
        writing.run_batch(batch.id, path, progress=die, parallel=False)
    assert writing.has_staged(batch.id)
    backdate(batch.id)
    assert uploads.recover(folder, tasks.import_roll) == []
    assert ImportBatch.get_by_id(batch.id).status == "fallido"
    assert Enrollment.select().count() == 0 and Citizen.select().count() == 0
    again, pending = writing.prepare_batch(path, path.name, ImportBatch.get_by_id(batch.id).program)
    assert pending and writing.run_batch(again.id, path).accepted == 5


def test_a_failed_batch_left_half_cleaned_is_cleaned_by_the_recovery(
    place, folder, tmp_path, monkeypatch
):
    batch, _ = receive(folder, tmp_path, rows=5)
    lose_run_midway(batch.id, folder, monkeypatch)
    writing.fail_batch(batch.id, "se perdió")  # killed before it could discard
    assert writing.has_staged(batch.id)
    uploads.recover(folder, tasks.import_roll)
    assert not writing.has_staged(batch.id) and Citizen.select().count() == 0


def test_the_sweep_deletes_orphans_and_keeps_what_a_batch_needs(place, folder, tmp_path):
    batch, _ = receive(folder, tmp_path)  # pendiente: its blob is needed
    files = roll_files(folder)
    orphan = files.put(b"CURP,nombre\n")  # a process killed before its batch was written
    fresh_orphan = files.put(b"CURP,nombre\n")  # maybe being registered right now
    temporary = files.storage.root / "ab" / "cd" / ".tmp-xyz"
    temporary.parent.mkdir(parents=True, exist_ok=True)
    temporary.write_bytes(b"half")
    legacy = [folder / "lote-99.csv", folder / "tmpq1w2e3.xlsx"]  # plain, from before
    for path in legacy:
        path.write_text("CURP\n")
    old = time.time() - 2 * uploads.STALLED_AFTER.total_seconds()
    for path in [files.storage.root / orphan, files.storage.root / batch.stored_file,
                 temporary, *legacy]:  # fmt: skip
        os.utime(path, (old, old))
    writing.ProgressFile(folder, 999)(1, 2)  # a batch that no longer runs (no such batch)
    writing.ProgressFile(folder, batch.id)(1, 2)
    uploads.recover(folder, tasks.import_roll)
    assert not writing.ProgressFile(folder, 999).path.exists()
    assert writing.ProgressFile(folder, batch.id).path.exists()
    assert not files.exists(orphan) and not temporary.exists()
    assert not any(p.exists() for p in legacy)
    assert files.exists(fresh_orphan) and files.exists(batch.stored_file)


def test_a_finished_batch_is_never_run_again(place, folder, tmp_path):
    program = make_program()
    batch, _ = receive(folder, tmp_path, program=program)
    tasks.import_roll(batch.id)
    finished = ImportBatch.get_by_id(batch.id).finished_at
    again, pending = receive(folder, tmp_path, program=program)
    assert (again.id, pending) == (batch.id, False)
    assert uploads.run(folder, batch.id).finished_at == finished
    assert ImportBatch.get_by_id(batch.id).status == "terminado"


def test_the_consumer_knows_the_roll_tasks(tmp_path):
    """portal.worker (``huey_consumer portal.worker.huey``) registers them."""
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp_path / 'portal.db'}",
        INSTANCE_PATH=str(tmp_path),
        SECRET_KEY="worker-test-secret-key-that-is-long-enough-0123456789",
    )
    script = "import portal.worker as w; print(*sorted(w.huey._registry._registry), sep='\\n')"
    found = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert found.returncode == 0, found.stderr
    names = found.stdout.split()
    assert {"portal.rolls.tasks.import_roll", "portal.rolls.tasks.recover_stalled_rolls"} <= set(
        names
    ), names
