"""The long-running receiver (``flask sms-receiver``): one transceiver session
to the SMSC that takes delivery receipts and the messages people send, and
sends the answers.

A receipt names the message id ``submit_sm_resp`` gave; its state (DELIVRD,
UNDELIV, EXPIRED...) and the time it came are stored on that segment. A receipt
for an id we do not know yet (the receipt overtook our own write) is answered
with a temporary error, which makes the SMSC deliver it again later. Whatever
fails while handling a PDU is answered the same way, so nothing is lost.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

import smpplib.consts as c

from portal.models import utcnow
from portal.sms import encoding, inbound, quota
from portal.sms.models import RECEIPT_STATES, SmsPart
from portal.sms.smpp import Session, Settings
from portal.web.database import write

log = logging.getLogger("portal.sms")

RECEIPT_CLASSES = {0x04, 0x08, 0x10, 0x20}  # esm_class bits 2-5: receipts and acknowledgements
TRY_AGAIN = c.SMPP_ESME_RX_T_APPN
LONGEST_PAUSE = 60.0
_FIELD = re.compile(r"\b(id|stat|err):(\S*)", re.IGNORECASE)


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value or "")


def record_receipt(message_id: str, state: str, error_code: str = "") -> bool:
    """Store a receipt on its segment; False when no segment has that id."""
    state = state.upper() if state.upper() in RECEIPT_STATES else "UNKNOWN"
    # Some SMSCs give the id in hexadecimal and the receipt in decimal, or back:
    # the id as written first, then its other readings.
    readings = [message_id]
    if message_id.isdigit():
        readings.append(format(int(message_id), "x"))
    if re.fullmatch(r"[0-9a-fA-F]{1,16}", message_id):
        readings.append(str(int(message_id, 16)))
    with write():
        for reading in readings:
            if (
                SmsPart.update(state=state, error_code=error_code[:8], receipt_at=utcnow())
                .where(SmsPart.message_id == reading)
                .execute()
            ):
                return True
    return False


def handle(session: Session, pdu: Any, config: Mapping) -> int | None:
    """Answer one deliver_sm: None is OK, a status tells the SMSC to try again."""
    try:
        if pdu.esm_class & 0x3C in RECEIPT_CLASSES:
            return _receipt(pdu)
        _incoming(session, pdu, config)
    except Exception as exc:  # noqa: BLE001 - the SMSC delivers it again
        log.warning("pdu entrante no procesado (%s)", type(exc).__name__)
        return TRY_AGAIN
    return None


def _receipt(pdu: Any) -> int | None:
    fields = {k.lower(): v for k, v in _FIELD.findall(_text(pdu.short_message))}
    message_id = _text(getattr(pdu, "receipted_message_id", None)) or fields.get("id", "")
    if not message_id or not record_receipt(
        message_id, fields.get("stat", ""), fields.get("err", "")
    ):
        log.info("acuse de un mensaje desconocido: se pide reenviarlo")
        return TRY_AGAIN
    return None


def _incoming(session: Session, pdu: Any, config: Mapping) -> None:
    payload = pdu.short_message or b""
    if pdu.esm_class & encoding.UDHI and payload:
        payload = payload[payload[0] + 1 :]
    text = encoding.decode(payload, pdu.data_coding or 0)
    answered = inbound.answer(_text(pdu.source_addr), text, config)
    if answered is None:
        return
    phone, reply = answered
    if quota.take(phone, quota.SENT, int(config["SMS_DAILY_CAP"])):
        session.submit(phone, reply)


def run(config: Mapping, stop: threading.Event | None = None) -> None:
    """Stay bound and handle PDUs until ``stop`` is set; reconnect with growing
    pauses (1 s to a minute) when the SMSC drops or refuses the session."""
    stop = stop or threading.Event()
    settings = Settings.from_config(config)
    pause = 1.0
    while not stop.is_set():
        session = Session(settings, "transceiver", lambda s, pdu: handle(s, pdu, config))
        try:
            session.open()
            log.info("receptor sms enlazado")
            pause = 1.0
            while not stop.is_set():
                session.read_once()
        except Exception as exc:  # noqa: BLE001 - a long-running process: reconnect, never die
            log.warning(
                "receptor sms sin enlace (%s); nuevo intento en %.0f s", type(exc).__name__, pause
            )
            stop.wait(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
        finally:
            session.close()
