"""The audit trail's checkpoint, signed by the queue every 15 minutes (checkpoints.py)."""

from __future__ import annotations

import logging

from flask import current_app
from huey import crontab

from portal.backoffice import checkpoints
from portal.web.extensions import db
from portal.web.queue import huey, in_app

log = logging.getLogger(__name__)


def _checkpoint() -> int:
    db.connect(reuse_if_open=True)
    anchor = checkpoints.anchor_from_config(current_app.config)
    try:
        checkpoint, _line = checkpoints.write_checkpoint(anchor)
    except checkpoints.CheckpointError as exc:
        # Loud: a broken chain or a forged checkpoint needs a person now.
        log.error("punto de control de la bitácora no firmado: %s", exc)
        raise
    return checkpoint.entry_id


@huey.periodic_task(crontab(minute="*/15"))
def checkpoint_audit_trail() -> int:
    return in_app(_checkpoint)
