"""What a crash during an upload leaves, and the sweep that removes it.

The crashes are real: a child process kills itself with SIGKILL while
writing a blob (a temporary file remains) and after writing it but before any
row exists (an orphan blob remains), exactly as ``kill -9`` during an upload.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from portal.applications import storage, tasks
from portal.applications.documents import get_storage
from portal.applications.storage import EncryptedFileStorage, KeyRing, sweep
from portal.models import Document
from tests.application_builders import submitted
from tests.factories import make_citizen, make_program

HOUR = 3600
KEY = KeyRing.new_entry("k0")


@pytest.fixture
def store(tmp_path):
    return EncryptedFileStorage(tmp_path / "documentos", KeyRing.from_config(KEY))


def age(path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_writes_start_in_the_temporary_folder_and_leave_nothing_there(store, monkeypatch):
    seen = []
    real_replace = os.replace

    def watch(source, destination):
        seen.append(source)
        real_replace(source, destination)

    monkeypatch.setattr(storage.os, "replace", watch)
    store.put(b"documento")
    assert [os.path.dirname(p) for p in seen] == [str(store.temporary_folder)]
    assert list(store.temporary_files()) == []


def test_the_sweep_deletes_old_leftovers_and_keeps_everything_else(store):
    kept = store.put(b"tiene registro")
    orphan = store.put(b"sin registro")
    fresh_orphan = store.put(b"subiendo ahora mismo")
    old_temporary = store.temporary_folder / ".tmp-viejo"
    fresh_temporary = store.temporary_folder / ".tmp-nuevo"
    legacy_temporary = (store.root / kept).with_name(".tmp-antiguo")
    for path in (old_temporary, fresh_temporary, legacy_temporary):
        path.write_bytes(b"a medio escribir")
    for path in (store.root / kept, store.root / orphan, old_temporary, legacy_temporary):
        age(path, 2 * HOUR)
    asked = []

    def referenced(keys):
        asked.extend(keys)
        return {kept} & set(keys)

    result = sweep(store, referenced, grace_seconds=HOUR)

    assert (result.temporary_files, result.orphan_blobs) == (2, 1)
    assert store.get(kept) == b"tiene registro"
    assert not store.exists(orphan)
    assert store.get(fresh_orphan) == b"subiendo ahora mismo"  # within the grace period
    assert fresh_temporary.exists()
    assert not old_temporary.exists() and not legacy_temporary.exists()
    assert fresh_orphan not in asked  # too young to even ask about
    assert sweep(store, referenced, grace_seconds=HOUR) == storage.SweepResult(0, 0)


def test_the_database_is_asked_in_batches(store, monkeypatch):
    monkeypatch.setattr(storage, "SWEEP_BATCH", 3)
    keys = [store.put(b"x") for _ in range(7)]
    batches = []

    def referenced(batch):
        batches.append(len(batch))
        return set(batch)

    assert sweep(store, referenced, grace_seconds=0, now=time.time() + 10).orphan_blobs == 0
    assert batches == [3, 3, 1]
    assert all(store.exists(key) for key in keys)


CRASH = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from portal.applications import storage
    from portal.applications.storage import EncryptedFileStorage, KeyRing

    store = EncryptedFileStorage(Path(sys.argv[1]), KeyRing.from_config(sys.argv[2]))
    if sys.argv[3] == "while-writing":
        storage.os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
    store.put(b"documento de una persona")
    # The upload's row would be written now: killed before it is.
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.parametrize("moment", ["while-writing", "before-the-row"])
def test_a_kill_during_an_upload_leaves_only_what_the_sweep_removes(store, moment):
    child = subprocess.run(
        [sys.executable, "-c", CRASH, str(store.root), KEY, moment],
        capture_output=True,
        timeout=60,
    )
    assert child.returncode == -9, child.stderr
    leftovers = list(store.temporary_files()) + list(store.blob_keys())
    assert len(leftovers) == 1
    everything = [p for p in store.root.rglob("*") if p.is_file()]
    assert len(everything) == 1
    assert b"documento de una persona" not in everything[0].read_bytes()

    assert sweep(store, lambda keys: set(), grace_seconds=HOUR) == storage.SweepResult(0, 0)
    later = time.time() + 2 * HOUR
    result = sweep(store, lambda keys: set(), grace_seconds=HOUR, now=later)
    assert result.temporary_files + result.orphan_blobs == 1
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


def backdate_everything(root) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            age(path, 3 * HOUR)


def test_the_command_keeps_documents_with_rows_and_deletes_orphans(app):
    submitted(make_citizen(), make_program(requirements=("a", "b")))
    documents = list(Document.select())
    orphan = get_storage().put(b"huerfano")
    (get_storage().temporary_folder / ".tmp-x").parent.mkdir(exist_ok=True)
    (get_storage().temporary_folder / ".tmp-x").write_bytes(b"medio")
    backdate_everything(get_storage().root)

    result = app.test_cli_runner().invoke(args=["storage", "sweep"])

    assert result.exit_code == 0, result.output
    assert "archivos temporales borrados: 1" in result.output
    assert "documentos sin registro borrados: 1" in result.output
    assert not get_storage().exists(orphan)
    assert all(get_storage().exists(d.storage_key) for d in documents)


def test_the_command_respects_the_grace_period(app):
    orphan = get_storage().put(b"recien subido")
    result = app.test_cli_runner().invoke(args=["storage", "sweep", "--grace-minutes", "5"])
    assert "documentos sin registro borrados: 0" in result.output
    assert get_storage().exists(orphan)
    refused = app.test_cli_runner().invoke(args=["storage", "sweep", "--grace-minutes", "0"])
    assert refused.exit_code != 0


def test_the_hourly_task_sweeps(app):
    submitted(make_citizen(), make_program())
    document = Document.get()
    orphan = get_storage().put(b"huerfano")
    backdate_everything(get_storage().root)
    assert tasks.sweep_storage_every_hour.call_local() == {
        "temporary_files": 0,
        "orphan_blobs": 1,
    }
    assert not get_storage().exists(orphan)
    assert get_storage().exists(document.storage_key)
