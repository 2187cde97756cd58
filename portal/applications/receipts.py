"""What an application's receipt says, for every way it is shown.

The citizen's receipt, its print version, the 80 mm slip of kiosks and
counters and the counter's copy all read one :class:`Receipt`: the documents
sent (the requirement's name, the kind of file and its size in plain words,
never a file name or an id), what the agency does next and how the person
follows the application. Reading it changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import flask_babel

from portal.applications import workflow as apps
from portal.catalog import content
from portal.messages import Message, _l
from portal.models import Agency, Application, Call, Citizen, Document, Program
from portal.vocabulary import ApplicationStatus as S
from portal.web.i18n import Localized

# The kinds of file an upload may be (portal/applications/uploads.py), as people say them.
FILE_KINDS = {
    "application/pdf": _l("Documento PDF"),
    "image/jpeg": _l("Foto JPG"),
    "image/png": _l("Imagen PNG"),
}


@dataclass(frozen=True)
class SentDocument:
    name: Localized | None  # the requirement's name in the person's language
    kind: Message
    size: str


@dataclass(frozen=True)
class Receipt:
    application: Application
    program: Program
    citizen: Citizen
    agency: str
    documents: tuple[SentDocument, ...]
    next_steps: tuple[Message, ...]
    notices: Message
    waiting: tuple[int, int] | None


def plain_size(size: int) -> str:
    """A file's size as people read it: "240 KB", "1.5 MB" (never "0 KB")."""
    if size < 1024 * 1024:
        return str(_l("%(kb)s KB", kb=flask_babel.format_decimal(max(1, round(size / 1024)))))
    mb = flask_babel.format_decimal(size / (1024 * 1024), format="#,##0.0")
    return str(_l("%(mb)s MB", mb=mb))


def sent_documents(application: Application, program: Program) -> tuple[SentDocument, ...]:
    """The current version of each document sent, in the program's order."""
    current: dict[int, Document] = apps.current_documents(application)
    return tuple(
        SentDocument(
            name=content.document_text(program, requirement, "name"),
            kind=FILE_KINDS.get(current[requirement.id].content_type, _l("Archivo")),
            size=plain_size(current[requirement.id].size),
        )
        for requirement in apps.required_requirements(application)
        if requirement.id in current
    )


def next_steps(application: Application, agency: str, closes: dt.date) -> tuple[Message, ...]:
    """What happens next and roughly when, in plain words, for the status it is in."""
    status = application.status
    if status in (S.ENVIADA, S.EN_REVISION):
        steps = [
            _l("%(agency)s revisará sus datos y sus documentos.", agency=agency),
        ]
        steps.append(
            _l(
                "La convocatoria recibe solicitudes hasta el %(date)s; la revisión puede "
                "seguir después de esa fecha.",
                date=flask_babel.format_date(closes, format="long"),
            )
        )
        steps.append(
            _l(
                "Si falta un dato o un documento no se lee bien, le pediremos que lo corrija: "
                "le avisaremos qué falta y podrá corregirlo en «Mis solicitudes» o en una "
                "oficina."
            )
        )
        steps.append(_l("Cuando haya una decisión le avisaremos si puede recibir el apoyo y cómo."))
        return tuple(steps)
    return (STATUS_STEPS[status],)


# The receipt of an application past its first review: one sentence each.
STATUS_STEPS: dict[str, Message] = {
    S.BORRADOR: _l("Suba los documentos que faltan y envíe su solicitud."),
    S.EN_ESPERA: _l(
        "Los lugares de esta convocatoria están ocupados: su solicitud está en la lista de "
        "espera. Cuando se libere un lugar avanzará sola, en orden, y la dependencia la "
        "revisará; le avisaremos."
    ),
    S.REQUIERE_CORRECCION: _l(
        "La dependencia le pidió una corrección: en «Mis solicitudes» verá qué corregir. "
        "Cuando la envíe, la revisarán de nuevo."
    ),
    S.APROBADA: _l("Su solicitud fue aprobada. Le avisaremos cuándo y dónde recibir el apoyo."),
    S.RECHAZADA: _l("Su solicitud fue rechazada. El motivo aparece en «Mis solicitudes»."),
    S.ENTREGADA: _l("El apoyo ya fue entregado."),
    S.CANCELADA: _l("Esta solicitud fue cancelada."),
    S.SUSPENDIDA: _l(
        "Su apoyo está suspendido: falta el documento que el programa pide cada cierto "
        "tiempo. Súbalo en «Mis solicitudes» o llévelo a una oficina."
    ),
}


def masked_email(email: str) -> str:
    """ "m•••@example.org": enough for the person to recognise it on paper."""
    name, _at, domain = email.partition("@")
    return f"{name[:1]}•••@{domain}"


def notices_text(citizen: Citizen) -> Message:
    """Where the person hears of each change, by the channel they chose
    (the same choice as portal/applications/notices.channels_for)."""
    if citizen.notify_channel == "email" and citizen.email:
        return _l(
            "Le enviaremos un correo a %(email)s cada vez que su solicitud cambie.",
            email=masked_email(citizen.email),
        )
    if citizen.notify_channel == "sms" and citizen.phone:
        return _l(
            "Le enviaremos un mensaje de texto (SMS) al teléfono que termina en %(digits)s "
            "cada vez que su solicitud cambie.",
            digits=citizen.phone[-4:],
        )
    return _l(
        "Los avisos de cada cambio aparecen en «Avisos» cuando entra al portal. Si prefiere "
        "recibirlos por correo o por SMS, elíjalo en «Mis datos»."
    )


def receipt(application: Application, waiting: tuple[int, int] | None) -> Receipt:
    """The receipt of a submitted application; ``waiting``: its place on the
    waiting list and the people waiting, when it waits."""
    program = Program.get_by_id(application.program_id)
    agency = Agency.get_by_id(program.agency_id).name
    citizen = Citizen.get_by_id(application.citizen_id)
    return Receipt(
        application=application,
        program=program,
        citizen=citizen,
        agency=agency,
        documents=sent_documents(application, program),
        next_steps=next_steps(application, agency, Call.get_by_id(application.call_id).closes),
        notices=notices_text(citizen),
        waiting=waiting,
    )


def waiting_list(application: Application) -> tuple[int, int] | None:
    """(position, people waiting in the call) while the application waits for a place."""
    position = apps.waiting_position(application)
    if position is None:
        return None
    waiting = Call.select(Call.places_waiting).where(Call.id == application.call_id).scalar()
    return position, max(waiting, position)
