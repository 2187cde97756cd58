"""The audit trail is append-only and any tampering is found."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portal.backoffice import audit, checkpoints, tasks
from portal.models import AuditEvent


def _fill(n=5):
    actor = audit.Actor("personal", 7, "revisor", 3)
    for i in range(n):
        audit.record("solicitud.aprobada", actor, object_type="solicitud", object_id=f"QRO-26-X{i}")


def test_an_untouched_chain_verifies(app):
    _fill()
    assert audit.verify() is None


def test_entries_recorded_together_are_chained_in_order_once_the_block_ends(app):
    _fill(2)
    actor = audit.Actor("personal", 7, "revisor", 3)
    with audit.together():
        first = audit.record("ver_solicitud", actor, object_type="solicitud", object_id="A")
        with audit.together():  # a block inside another ends with the outer one
            second = audit.record("ver_solicitud", actor, object_type="solicitud", object_id="B")
        assert first.id is None and AuditEvent.select().count() == 2
        third = audit.record("ver_solicitud", actor, object_type="solicitud", object_id="C")
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    assert [r.object_id for r in rows[2:]] == ["A", "B", "C"]
    assert [first.id, second.id, third.id] == [r.id for r in rows[2:]]
    assert [first.hash, second.hash, third.hash] == [r.hash for r in rows[2:]]
    assert rows[2].prev_hash == rows[1].hash and rows[4].prev_hash == rows[3].hash
    assert audit.verify() is None
    # An error inside appends nothing, and the next entry chains as usual.
    with pytest.raises(RuntimeError), audit.together():
        audit.record("ver_solicitud", actor, object_type="solicitud", object_id="D")
        raise RuntimeError("la página falló")
    assert AuditEvent.select().count() == 5
    _fill(1)
    assert audit.verify() is None


def test_an_altered_entry_is_caught(app):
    _fill()
    third = AuditEvent.select().order_by(AuditEvent.id).offset(2).get()
    AuditEvent.update(outcome="rechazado").where(AuditEvent.id == third.id).execute()
    problem = audit.verify()
    assert problem.entry_id == third.id and "alterado" in problem.problem


def test_a_deleted_entry_is_caught(app):
    _fill()
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    rows[1].delete_instance()
    problem = audit.verify()
    assert problem.entry_id == rows[2].id


@pytest.mark.parametrize(
    "details",
    [
        {"curp": "GOMA900517MQTRRN09"},
        {"correo": "maria@example.org"},
        {"tel": "4421234567"},
        {"antes": [{"tel": "4421234567"}]},
        {"GOMA900517MQTRRN09": 1},
    ],
)
def test_personal_data_never_enters_the_trail(app, details):
    with pytest.raises(ValueError):
        audit.record("ver_solicitud", details=details)
    assert AuditEvent.select().count() == 0


def test_a_ten_digit_amount_is_not_taken_for_a_phone(app):
    """A state budget of 1,500,000,000 pesos has ten digits (issue 16: a 500 on
    the budget form at 1,000,000 enrollments)."""
    entry = audit.record("presupuesto.cambio", details={"aprobado": 1_500_000_000, "antes": None})
    assert entry.details == {"aprobado": 1_500_000_000, "antes": None}
    assert audit.verify() is None


# Signed checkpoints: rewrites with recomputed hashes, and truncation --------------


@pytest.fixture
def anchor(app):
    return checkpoints.anchor_from_config(app.config)


def _rehash_from(first_id: int) -> None:
    """What someone with write access to the database does to hide an edit."""
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    prev = audit.GENESIS
    for row in rows:
        if row.id >= first_id:
            new_hash = audit._digest(prev, audit._fields(row))
            AuditEvent.update(prev_hash=prev, hash=new_hash).where(
                AuditEvent.id == row.id
            ).execute()
            prev = new_hash
        else:
            prev = row.hash


def test_an_edit_with_recomputed_hashes_passes_the_chain_but_not_the_checkpoint(app, anchor):
    _fill(6)
    checkpoints.write_checkpoint(anchor)
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    AuditEvent.update(outcome="rechazado").where(AuditEvent.id == rows[2].id).execute()
    _rehash_from(rows[2].id)
    assert audit.verify() is None  # the chain alone is fooled
    problem = checkpoints.verify(checkpoints.read(anchor))
    assert problem is not None and problem.entry_id == rows[-1].id
    assert "reescrita" in problem.problem
    assert f"entre el 1 y el {rows[-1].id}" in problem.problem


def test_a_rewrite_is_narrowed_to_between_two_checkpoints(app, anchor):
    _fill(3)
    first, _ = checkpoints.write_checkpoint(anchor)
    _fill(3)
    second, _ = checkpoints.write_checkpoint(anchor)
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    AuditEvent.update(outcome="rechazado").where(AuditEvent.id == rows[4].id).execute()
    _rehash_from(rows[4].id)
    problem = checkpoints.verify(checkpoints.read(anchor))
    assert problem.entry_id == second.entry_id
    assert f"entre el {first.entry_id + 1} y el {second.entry_id}" in problem.problem


def test_entries_cut_off_the_end_are_named_as_a_missing_range(app, anchor):
    _fill(6)
    checkpoints.write_checkpoint(anchor)
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    AuditEvent.delete().where(AuditEvent.id > rows[3].id).execute()
    assert audit.verify() is None  # the chain alone is fooled
    problem = checkpoints.verify(checkpoints.read(anchor))
    assert problem.entry_id == rows[4].id
    assert f"faltan los registros del {rows[4].id} al {rows[5].id}" in problem.problem


def test_a_deleted_anchored_entry_with_recomputed_hashes_is_named(app, anchor):
    _fill(3)
    checkpoints.write_checkpoint(anchor)
    _fill(2)
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    rows[2].delete_instance()
    _rehash_from(rows[3].id)
    problem = checkpoints.verify(checkpoints.read(anchor))
    assert problem.entry_id == rows[2].id and "falta el registro" in problem.problem


def test_entries_after_the_latest_checkpoint_verify(app, anchor):
    _fill(2)
    checkpoints.write_checkpoint(anchor)
    _fill(2)
    assert checkpoints.verify(checkpoints.read(anchor)) is None
    assert checkpoints.verify(checkpoints.read(anchor), since_latest=True) is None


def test_a_checkpoint_signed_by_another_key_is_refused(app, anchor):
    _fill(2)
    checkpoints.write_checkpoint(anchor)
    forger = checkpoints.Anchor(anchor.path, Ed25519PrivateKey.generate())
    head = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    forged = checkpoints.Checkpoint(head.id, head.hash, "", 2, "2026-01-01T00:00:00Z")
    with anchor.path.open("a") as out:
        out.write(checkpoints.line_for(forged, forger.key) + "\n")
    with pytest.raises(checkpoints.CheckpointError, match="línea 2.*no es válida"):
        checkpoints.read(anchor)


def test_an_edited_checkpoint_line_is_refused(app, anchor):
    _fill(2)
    checkpoints.write_checkpoint(anchor)
    line = json.loads(anchor.path.read_text())
    line["entry_id"] = 1
    anchor.path.write_text(json.dumps(line) + "\n")
    with pytest.raises(checkpoints.CheckpointError, match="no es válida"):
        checkpoints.read(anchor)


def test_a_rewritten_chain_is_never_signed(app, anchor):
    _fill(3)
    checkpoints.write_checkpoint(anchor)
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    AuditEvent.update(outcome="rechazado").where(AuditEvent.id == rows[0].id).execute()
    _rehash_from(rows[0].id)
    with pytest.raises(checkpoints.CheckpointError, match="bitácora alterada"):
        checkpoints.write_checkpoint(anchor)
    assert len(checkpoints.read(anchor)) == 1


def test_the_checkpoint_file_is_private_and_append_only(app, anchor):
    _fill(1)
    checkpoints.write_checkpoint(anchor)
    _fill(1)
    checkpoints.write_checkpoint(anchor)
    assert stat.S_IMODE(os.stat(anchor.path).st_mode) == 0o600
    assert [c.count for c in checkpoints.read(anchor)] == [1, 2]


def test_production_refuses_to_make_up_a_signing_key(app, tmp_path):
    config = dict(app.config, PORTAL_ENV="production", AUDIT_SIGNING_KEY="")
    with pytest.raises(checkpoints.CheckpointError, match="AUDIT_SIGNING_KEY falta"):
        checkpoints.anchor_from_config(config)


def test_a_configured_key_signs(app, tmp_path):
    key = Ed25519PrivateKey.generate()
    config = dict(
        app.config,
        AUDIT_SIGNING_KEY=checkpoints.key_base64(key),
        AUDIT_CHECKPOINT_PATH=str(tmp_path / "fuera" / "anclas.jsonl"),
    )
    anchor = checkpoints.anchor_from_config(config)
    checkpoints.write_checkpoint(anchor)
    line = json.loads((tmp_path / "fuera" / "anclas.jsonl").read_text())
    signature = base64.b64decode(line.pop("signature"))
    key.public_key().verify(signature, checkpoints.Checkpoint(**line).payload())


def test_the_commands_checkpoint_and_then_detect_truncation(app, anchor):
    runner = app.test_cli_runner()
    _fill(4)
    signed = runner.invoke(args=["audit", "checkpoint"])
    assert signed.exit_code == 0, signed.output
    published = json.loads(signed.stdout.strip())
    assert published["count"] == 4 and published["signature"]
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "contra 1 puntos de control" in ok.stdout
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    last.delete_instance()
    cut = runner.invoke(args=["audit", "verify"])
    assert cut.exit_code == 1
    assert f"faltan los registros del {last.id} al {last.id}" in cut.stderr


def test_verify_refuses_a_forged_checkpoint_file(app, anchor):
    runner = app.test_cli_runner()
    _fill(1)
    runner.invoke(args=["audit", "checkpoint"])
    anchor.path.write_text(anchor.path.read_text().replace('"count": 1', '"count": 9'))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "falsificado" in result.stderr


def test_the_queue_signs_a_checkpoint(app, anchor):
    _fill(2)
    tasks.checkpoint_audit_trail.call_local()
    assert checkpoints.read(anchor)[-1].count == 2
