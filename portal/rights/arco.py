"""ARCO rights (Ley General de Protección de Datos Personales en Posesión de
Sujetos Obligados, LGPDPPSO): access, rectification, cancellation and
opposition.

A person files a request from /mis-datos, or at a counter with their CURP and
an official ID (they need no account). Each request gets a folio and the
legal deadline: 20 business days counted from the business day after it was
received (art. 51), on the federal non-business-day calendar
(portal/rights/holidays.py). The data-protection office (staff with the state
admin role) works a queue by due date and answers each request with a text
and, if it likes, a PDF (through the same disarm path as every upload). The
person is notified when it is received and when it is answered.

Cancellation cannot erase what the law obliges the state to keep: the
published beneficiary rolls (LGDS art. 27 and transparency laws), the audit
trail of who did what with the data, and the files of applications and
deliveries while their retention period runs. The form and the answer say so
(:data:`KEPT_ON_CANCELLATION`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from portal.applications import notices
from portal.applications.documents import keyring_from_config
from portal.applications.storage import EncryptedFileStorage
from portal.applications.uploads import CleanFile
from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.citizens import curp as curps
from portal.citizens import id_documents
from portal.citizens import record as citizens
from portal.messages import Message, Refusal, _l
from portal.models import ArcoRequest, Citizen, utcnow
from portal.models.rights import ARCO_RIGHTS
from portal.rights.holidays import add_business_days, business_days_between, local_date
from portal.vocabulary import AuditAction
from portal.web.database import locked, write

ARCO_OBJECT = "arco"
RESPONSE_BUSINESS_DAYS = 20  # LGPDPPSO art. 51
MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 2000
MAX_RESPONSE = 5000

KIND_LABELS: dict[str, Message] = {
    "acceso": _l("Acceso: saber qué datos suyos tenemos y para qué"),
    "rectificacion": _l("Rectificación: corregir un dato equivocado o incompleto"),
    "cancelacion": _l("Cancelación: que dejemos de tener sus datos"),
    "oposicion": _l("Oposición: que dejemos de usar sus datos para un fin"),
}
KIND_NAMES: dict[str, Message] = {
    "acceso": _l("Acceso"),
    "rectificacion": _l("Rectificación"),
    "cancelacion": _l("Cancelación"),
    "oposicion": _l("Oposición"),
}
OUTCOME_LABELS: dict[str, Message] = {
    "procedente": _l("Procede: haremos lo que pidió"),
    "improcedente": _l("No procede"),
}
KEPT_ON_CANCELLATION: tuple[Message, ...] = (
    _l(
        "Su CURP, nombre, fecha de nacimiento y sexo, que identifican sus solicitudes "
        "y su lugar en el padrón."
    ),
    _l(
        "El padrón de beneficiarios publicado: la ley obliga a publicar quién recibe "
        "cada programa social."
    ),
    _l(
        "La bitácora de auditoría: el registro de quién consultó o cambió sus datos, "
        "que la ley obliga a conservar y que le protege a usted."
    ),
    _l(
        "Los expedientes de sus solicitudes y entregas, mientras corre el plazo de "
        "conservación de los archivos públicos."
    ),
)


class ArcoRefused(Refusal):
    """A request that cannot be filed or answered as asked."""


@dataclass(frozen=True)
class CounterFiling:
    """What the counter takes from a person who files without an account."""

    curp: str
    id_type: str
    id_number: str


def folio_of(request_id: int, year: int, prefix: str) -> str:
    return f"{prefix}-ARCO-{year}-{request_id:06d}"


def _description(text: str) -> str:
    text = (text or "").strip()
    if len(text) < MIN_DESCRIPTION:
        raise ArcoRefused(
            _l(
                "Describa lo que pide con al menos %(min)d caracteres: qué datos y qué quiere que hagamos.",
                min=MIN_DESCRIPTION,
            )
        )
    if len(text) > MAX_DESCRIPTION:
        raise ArcoRefused(
            _l("La descripción admite hasta %(max)d caracteres.", max=MAX_DESCRIPTION)
        )
    return text


def file_request(
    kind: str,
    description: str,
    actor: Actor,
    *,
    citizen: Citizen | None = None,
    counter: CounterFiling | None = None,
    prefix: str = "QRO",
    request_id: str = "",
) -> ArcoRequest:
    """File a request, from the person's own record (``citizen``) or at a counter
    (``counter``, by staff ``actor``). Returns it with its folio and due date."""
    if kind not in ARCO_RIGHTS:
        raise ArcoRefused(_l("Elija qué derecho quiere ejercer."))
    text = _description(description)
    if (citizen is None) == (counter is None):
        raise ValueError("a request comes from a record or from a counter, not both")
    id_type = id_number = ""
    if counter is not None:
        if not actor.is_staff:
            raise ValueError("only staff file requests at a counter")
        person_curp = curps.validate(counter.curp)
        id_type = counter.id_type
        id_number = id_documents.validate(
            counter.id_type,
            counter.id_number,
            birth_date=curps.birth_date(person_curp),
            sex=curps.sex(person_curp),
        )
        citizen = Citizen.get_or_none(Citizen.curp == person_curp)
        channel = "ventanilla"
    else:
        assert citizen is not None
        person_curp = citizen.curp
        channel = "portal"
    now = utcnow()
    received = local_date(now)
    due = add_business_days(received, RESPONSE_BUSINESS_DAYS)
    with write():
        row = ArcoRequest.create(
            folio=f"pendiente-{secrets.token_hex(8)}",  # the id names it just below
            kind=kind,
            citizen=citizen,
            curp=person_curp,
            channel=channel,
            description=text,
            id_type=id_type,
            id_number=id_number,
            filed_by=actor.id if actor.is_staff else None,
            filed_at=now,
            due_on=due,
        )
        row.folio = folio_of(row.id, received.year, prefix)
        row.save(only=[ArcoRequest.folio])
        audit.record(
            AuditAction.ARCO_FILE,
            actor,
            object_type=ARCO_OBJECT,
            object_id=row.id,
            details={"derecho": kind, "canal": channel, "vence": due.isoformat()},
            request_id=request_id,
        )
        if citizen is not None:
            notices.about_record(
                citizen,
                "arco_recibida",
                {"folio": row.folio, "right": kind, "due": due.isoformat()},
                f"/mis-datos/derechos/{row.folio}",
            )
    notices.wake()
    return row


def respond(
    folio: str,
    staff: Any,
    outcome: str,
    response: str,
    attachment: CleanFile | None = None,
    *,
    request_id: str = "",
) -> ArcoRequest:
    """The office answers a request (once); the person is notified."""
    if outcome not in OUTCOME_LABELS:
        raise ArcoRefused(_l("Elija si la solicitud procede o no."))
    text = (response or "").strip()
    if len(text) < MIN_DESCRIPTION:
        raise ArcoRefused(_l("Escriba la respuesta para la persona."))
    if len(text) > MAX_RESPONSE:
        raise ArcoRefused(_l("La respuesta admite hasta %(max)d caracteres.", max=MAX_RESPONSE))
    if attachment is not None and attachment.kind != "pdf":
        raise ArcoRefused(_l("La respuesta se adjunta en PDF."))
    key = response_storage().put(attachment.data) if attachment is not None else ""
    try:
        with write():
            row = locked(ArcoRequest.select().where(ArcoRequest.folio == folio)).first()
            if row is None:
                raise ArcoRefused(_l("No existe esa solicitud."))
            if row.status != "recibida":
                raise ArcoRefused(_l("Esa solicitud ya fue respondida."))
            row.status = "respondida"
            row.outcome = outcome
            row.response = text
            row.response_key = key
            row.response_filename = attachment.filename if attachment is not None else ""
            row.responded_at = utcnow()
            row.responded_by = staff.id
            row.save()
            audit.record(
                AuditAction.ARCO_RESPOND,
                Actor.staff(staff),
                object_type=ARCO_OBJECT,
                object_id=row.id,
                details={"resultado": outcome, "adjunto": bool(key)},
                request_id=request_id,
            )
            if row.citizen_id is not None and row.kind == "cancelacion" and outcome == "procedente":
                _cancel(Citizen.get_by_id(row.citizen_id), Actor.staff(staff), request_id)
            if row.citizen_id is not None:
                notices.about_record(
                    Citizen.get_by_id(row.citizen_id),
                    "arco_respondida",
                    {"folio": row.folio},
                    f"/mis-datos/derechos/{row.folio}",
                )
    except Exception:
        if key:
            response_storage().delete(key)
        raise
    notices.wake()
    return row


def _cancel(citizen: Citizen, actor: Actor, request_id: str) -> None:
    """A cancellation granted: erase what the law does not oblige the state to keep
    (contact data, address, questionnaire answers), through the record's own functions."""
    citizens.update_contact(citizen, {}, None, actor, request_id=request_id)
    citizens.forget_answers(citizen, actor, request_id=request_id)


def response_storage() -> EncryptedFileStorage:
    """Where answers' PDFs are kept: encrypted like documents, in their own folder
    (the documents' orphan sweep only looks at its own)."""
    storage = current_app.extensions.get("arco_storage")
    if storage is None:
        storage = EncryptedFileStorage(
            Path(current_app.config["STORAGE_PATH"]) / "arco",
            keyring_from_config(current_app.config),
        )
        current_app.extensions["arco_storage"] = storage
    return storage


def of_citizen(citizen_id: int) -> list[ArcoRequest]:
    """The person's requests, latest first (a handful per person)."""
    return list(
        ArcoRequest.select()
        .where(ArcoRequest.citizen == citizen_id)
        .order_by(ArcoRequest.filed_at.desc(), ArcoRequest.id.desc())
    )


def business_days_left(row: ArcoRequest, today: dt.date) -> int:
    """Business days until the due date (0: due today; negative: overdue)."""
    return business_days_between(today, row.due_on)
