"""The SMPP 3.4 side: one bound session to the carrier's or aggregator's SMSC
(smpplib), the notices' sender, and what a submitted segment leaves behind.

A segment the SMSC accepts answers ``submit_sm_resp`` with a message id; that id
is stored (:class:`~portal.sms.models.SmsPart`) so that the delivery receipt,
which arrives later at the receiver (portal/sms/receiver.py), finds its row.
An SMSC that is busy (throttled, queue full, system error) or unreachable is a
temporary failure: the outbox retries it with its backoff. An address the SMSC
refuses as such will never work: the row is given up at once.

Logs name outbox rows and SMPP statuses only: never a number or a text.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import smpplib.client
import smpplib.consts as c
import smpplib.exceptions

from portal.applications.notices import Message, Undeliverable
from portal.sms import encoding, quota
from portal.sms.models import SmsPart
from portal.web.database import write

log = logging.getLogger("portal.sms")

# submit_sm statuses after which trying again cannot help.
PERMANENT = {c.SMPP_ESME_RINVDSTADR, c.SMPP_ESME_RINVMSGLEN, c.SMPP_ESME_RINVDSTTON}
# Numbering plan: ISDN (E.164); type of number: international (52 + 10 digits).
INTERNATIONAL, ISDN = 0x01, 0x01


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str
    source_addr: str
    source_ton: int
    source_npi: int
    timeout: float
    daily_cap: int

    @classmethod
    def from_config(cls, config: Mapping) -> Settings:
        return cls(
            host=config["SMPP_HOST"],
            port=int(config["SMPP_PORT"]),
            system_id=config["SMPP_SYSTEM_ID"],
            password=config["SMPP_PASSWORD"],
            system_type=config["SMPP_SYSTEM_TYPE"],
            source_addr=config["SMPP_SOURCE_ADDR"],
            source_ton=int(config["SMPP_SOURCE_TON"]),
            source_npi=int(config["SMPP_SOURCE_NPI"]),
            timeout=float(config["SMPP_TIMEOUT"]),
            daily_cap=int(config["SMS_DAILY_CAP"]),
        )


def destination(phone: str) -> str:
    """``+524421234567`` (or the 10 digits) as SMPP's international address."""
    digits = phone.lstrip("+")
    return digits if digits.startswith("52") and len(digits) == 12 else "52" + digits[-10:]


@dataclass
class _Pending:
    outbox_id: int | None
    part: int
    parts: int
    encoding: str
    result: str | int | None = None  # the message id, or the error status


class Session:
    """One bound connection: ``transmitter`` for the notices, ``transceiver`` for
    the receiver (receipts and incoming messages come in, answers go out)."""

    def __init__(
        self,
        settings: Settings,
        mode: str = "transmitter",
        on_deliver: Callable[[Session, Any], int | None] | None = None,
    ) -> None:
        self.settings = settings
        self.mode = mode
        self.on_deliver = on_deliver
        self.pending: dict[int, _Pending] = {}
        self.client: smpplib.client.Client | None = None

    def open(self) -> Session:
        client = smpplib.client.Client(
            self.settings.host,
            self.settings.port,
            timeout=self.settings.timeout,
            allow_unknown_opt_params=True,
        )
        client.set_message_sent_handler(self._sent)
        client.set_error_pdu_handler(self._error)
        client.set_message_received_handler(self._received)
        client.connect()
        bind = getattr(client, f"bind_{self.mode}")
        bind(
            system_id=self.settings.system_id,
            password=self.settings.password,
            system_type=self.settings.system_type,
        )
        self.client = client
        return self

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if client.state in (
                c.SMPP_CLIENT_STATE_BOUND_TX,
                c.SMPP_CLIENT_STATE_BOUND_RX,
                c.SMPP_CLIENT_STATE_BOUND_TRX,
            ):
                client.unbind()
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError):
            pass
        finally:
            client.disconnect()

    def submit(self, phone: str, text: str) -> None:
        """Hand ``text`` to the SMSC for ``phone`` without waiting for its answers
        (the receiver's replies: the answers arrive in its loop)."""
        parts = encoding.segments(text, reference=secrets.randbelow(256))
        for number in range(1, len(parts.payloads) + 1):
            self._submit_part(phone, parts, number, None)

    def send(self, phone: str, text: str, outbox_id: int) -> tuple[int, int | None]:
        """Hand ``text`` to the SMSC segment by segment, each after the previous one
        was accepted; returns how many were, and the status that refused the next
        one or None (the rest are not sent, so a retry repeats as little as possible)."""
        parts = encoding.segments(text, reference=secrets.randbelow(256))
        for number in range(1, len(parts.payloads) + 1):
            (result,) = self.wait([self._submit_part(phone, parts, number, outbox_id)])
            if isinstance(result, int):
                return number - 1, result
        return len(parts.payloads), None

    def _submit_part(
        self, phone: str, parts: encoding.Segments, number: int, outbox_id: int | None
    ) -> int:
        """One submit_sm asking for a receipt; returns its sequence number."""
        assert self.client is not None, "open() the session first"
        payload = parts.payloads[number - 1]
        pdu = self.client.send_message(
            source_addr_ton=self.settings.source_ton,
            source_addr_npi=self.settings.source_npi,
            source_addr=self.settings.source_addr,
            dest_addr_ton=INTERNATIONAL,
            dest_addr_npi=ISDN,
            destination_addr=destination(phone),
            short_message=payload,
            data_coding=parts.data_coding,
            esm_class=parts.esm_class,
            registered_delivery=c.SMPP_SMSC_DELIVERY_RECEIPT_BOTH,
        )
        self.pending[pdu.sequence] = _Pending(
            outbox_id, number, len(parts.payloads), parts.encoding
        )
        return pdu.sequence

    def wait(self, sequences: list[int]) -> list[str | int]:
        """Read PDUs until every one of ``sequences`` is answered: message ids,
        or the error statuses of the segments the SMSC refused."""
        assert self.client is not None
        while any(self.pending[s].result is None for s in sequences):
            self.client.read_once(auto_send_enquire_link=False)
        return [self.pending.pop(s).result for s in sequences]  # type: ignore[misc]

    def read_once(self) -> None:
        """One PDU from the SMSC (the receiver's loop); a timeout sends enquire_link."""
        assert self.client is not None
        self.client.read_once()

    # smpplib handlers ----------------------------------------------------

    def _sent(self, pdu: Any, **_: Any) -> None:
        pending = self.pending.get(pdu.sequence)
        # smpplib calls this for a refused submit_sm too, after the error handler.
        if pending is None or pdu.status != c.SMPP_ESME_ROK:
            return
        message_id = _text(pdu.message_id)
        with write():
            SmsPart.create(
                outbox=pending.outbox_id,
                message_id=message_id,
                part=pending.part,
                parts=pending.parts,
                encoding=pending.encoding,
            )
        pending.result = message_id
        if pending.outbox_id is None:
            del self.pending[pdu.sequence]  # an answer: nobody waits for it

    def _error(self, pdu: Any) -> None:
        pending = self.pending.get(pdu.sequence)
        if pending is None or pdu.command != "submit_sm_resp":
            log.warning("pdu con error del smsc (%s, estado %s)", pdu.command, pdu.status)
            return
        pending.result = int(pdu.status)
        if pending.outbox_id is None:
            del self.pending[pdu.sequence]
            log.warning("respuesta sms no aceptada (estado %s)", pdu.status)

    def _received(self, pdu: Any, **_: Any) -> int | None:
        return self.on_deliver(self, pdu) if self.on_deliver else None


def _text(value: Any) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value or "")


class SmsRefused(Exception):
    """The SMSC refused a segment with a status that may pass (throttling, a full queue)."""


class SmppSender:
    """The outbox's SMS sender (``SMS_BACKEND=smpp``): one transmitter session per
    run of the outbox, opened at the first message and closed by :meth:`close`."""

    def __init__(self, config: Mapping) -> None:
        self.settings = Settings.from_config(config)
        self.session: Session | None = None

    def send(self, message: Message) -> None:
        phone = message.to
        if not quota.take(phone, quota.SENT, self.settings.daily_cap):
            raise quota.DailyCapReached()
        text = encoding.compose(message.subject, message.body, message.link)
        try:
            if self.session is None:
                self.session = Session(self.settings).open()
            accepted, refused = self.session.send(phone, text, message.outbox_id)
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError):
            self.close()  # the next message connects again
            quota.give_back(phone, quota.SENT)  # nothing reached the phone
            raise
        if refused is None:
            return
        if not accepted:
            quota.give_back(phone, quota.SENT)
        if refused in PERMANENT:
            raise Undeliverable(f"smpp {refused:#04x}")
        if refused is not None:
            raise SmsRefused(f"smpp {refused:#04x}")

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None
