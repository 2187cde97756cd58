"""Web uploads run on the queue, and a run lost with its process is recovered."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.models import Enrollment, ImportBatch, utcnow
from portal.rolls import tasks, uploads, writing
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
    """As if the batch had been uploaded, and its run started, ``by`` ago."""
    then = utcnow() - by
    ImportBatch.update(created_at=then, started_at=then).where(ImportBatch.id == batch_id).execute()


def test_a_received_upload_waits_in_its_batchs_file(place, folder, tmp_path):
    batch, pending = receive(folder, tmp_path)
    assert pending and batch.status == "pendiente"
    assert uploads.batch_file(folder, batch.id) == folder / f"lote-{batch.id}.csv"
    assert [p.name for p in folder.iterdir()] == [f"lote-{batch.id}.csv"]


def test_the_queued_import_runs_the_batch_and_lets_its_file_go(place, folder, tmp_path):
    batch, _ = receive(folder, tmp_path, rows=4)
    # The queue is immediate under tests: the task has run when it is queued.
    assert tasks.import_roll(batch.id).get() == "terminado"
    batch = ImportBatch.get_by_id(batch.id)
    assert (batch.status, batch.accepted) == ("terminado", 4)
    assert list(folder.iterdir()) == []  # neither the file nor its progress stays


def test_a_batch_lost_with_its_worker_is_recovered(place, folder, tmp_path):
    """The worker claimed the batch and died mid-import: the transaction left
    nothing, the batch says en_proceso, its file is still there."""
    batch, _ = receive(folder, tmp_path, rows=5)
    assert writing.claim_batch(batch.id, utcnow() - uploads.STALLED_AFTER)
    writing.ProgressFile(folder, batch.id)(2, 5)
    assert ImportBatch.get_by_id(batch.id).status == "en_proceso"
    assert Enrollment.select().count() == 0
    # Too recent to be called lost: nothing is queued again.
    assert uploads.recover(folder, tasks.import_roll) == []

    # Long after: no news from the run since it was lost.
    backdate(batch.id)
    writing.ProgressFile(folder, batch.id).path.write_text('{"processed": 2, "total": 5, "at": 0}')
    tasks.recover_stalled_rolls()

    batch = ImportBatch.get_by_id(batch.id)
    assert (batch.status, batch.total_rows, batch.accepted, batch.new_citizens) == (
        "terminado",
        5,
        5,
        5,
    )
    assert Enrollment.select().where(Enrollment.import_batch == str(batch.id)).count() == 5
    assert list(folder.iterdir()) == []


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


def test_a_second_run_of_a_batch_held_by_a_live_run_leaves_it(place, folder, tmp_path):
    batch, _ = receive(folder, tmp_path)
    assert writing.claim_batch(batch.id, utcnow() - uploads.STALLED_AFTER)
    assert uploads.run(folder, batch.id).status == "en_proceso"
    assert uploads.batch_file(folder, batch.id) is not None  # the live run still reads it
    assert Enrollment.select().count() == 0


def test_a_stalled_batch_that_lost_its_file_fails_with_a_message(place, folder, tmp_path):
    batch, _ = receive(folder, tmp_path)
    assert writing.claim_batch(batch.id, utcnow() - uploads.STALLED_AFTER)
    backdate(batch.id)
    uploads.batch_file(folder, batch.id).unlink()
    assert uploads.recover(folder, tasks.import_roll) == []
    batch = ImportBatch.get_by_id(batch.id)
    assert batch.status == "fallido" and "Vuelva a subirlo" in batch.error


def test_a_batch_of_the_import_command_is_left_to_the_command(place, folder, tmp_path):
    path = write_roll(tmp_path / "cli.csv", [person(1)])
    batch, _ = writing.prepare_batch(path, path.name, make_program())
    backdate(batch.id)
    assert uploads.recover(folder, tasks.import_roll) == []
    assert ImportBatch.get_by_id(batch.id).status == "pendiente"


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
