"""What each kind of notice says, in the language of whoever reads it.

A notice is stored as a kind (a key of :data:`KINDS`) and its facts: the
program's id, the status, the reason as it was given, the folio, dates as ISO
text (``portal/applications/notices.py`` writes them). It is rendered when it is
read: in the inbox in the language of the page, in e-mail and SMS (from the
queue) in the language the person last chose (``Citizen.language``). The
interface's words come from gettext (the reader's interface language); the
program's name, its documents' names and the reasons come from the program's
translations (``Program.i18n``), Spanish otherwise, each marked with its
language in HTML (``lang="es-MX"`` on an English page's Spanish parts).

The Spanish rendering is stored with the notice (``title`` and ``body``): what
the portal said, whoever reads it later, and what a row shows whose kind this
code no longer knows. Rows written before kinds existed show as stored.

Adding a kind (docs/languages.md): a function ``(facts, reader) -> (title,
body)`` that builds both with :meth:`Reader.say` from ``_l`` texts, registered
in :data:`KINDS`; the function in ``notices.py`` that writes it passes the kind
and its facts to ``_notify``. Never format a fact into a sentence before it is
stored: the sentence would be Spanish for every reader.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date
from babel.support import NullTranslations
from flask import has_app_context, has_request_context
from flask_babel import force_locale, get_translations
from markupsafe import Markup, escape

from portal.messages import Message, Text, _l, spanish
from portal.messages import translations as request_translations
from portal.web.i18n import (
    SOURCE_LANGUAGE,
    Localized,
    chain,
    interface_language,
    pick,
    select_locale,
    tag,
)

Facts = Mapping[str, Any]


@dataclass(frozen=True)
class ProgramTexts:
    """What a notice reads of a program: its Spanish name and its translations."""

    name: str
    i18n: Mapping[str, Any]


def translations_for(locale: str) -> NullTranslations:
    """The interface strings of ``locale`` (Spanish is the source: no catalog)."""
    if locale == SOURCE_LANGUAGE or not has_app_context():
        return NullTranslations()
    if has_request_context() and locale == select_locale():
        return request_translations()
    with force_locale(locale):
        return get_translations()


class Reader:
    """Whoever reads a notice: the language of its content (``lang``, with its
    fallback chain), the interface's language and strings, HTML or plain text."""

    def __init__(
        self,
        lang: str,
        programs: Mapping[int, ProgramTexts],
        *,
        html: bool,
        translations: NullTranslations | None = None,
    ) -> None:
        self.lang = lang
        self.locale = interface_language(lang)
        self.programs = programs
        self.html = html
        self.translations = translations or translations_for(self.locale)

    # Words of the interface ------------------------------------------------

    def say(self, text: Text, **values: object) -> str:
        """``text`` (an ``_l`` message or its Spanish) in the interface language,
        with ``values`` filled in (each marked with its language in HTML)."""
        said = self.translations.ugettext(text.msgid if isinstance(text, Message) else text)
        if not self.html:
            return said % {k: str(v) for k, v in values.items()} if values else said
        marked = {k: self._mark(v) for k, v in values.items()}
        return escape(said) % marked if values else escape(said)

    def word(self, label: Text) -> Localized:
        """A label of the code (a status, an ARCO right) in the interface language."""
        source = spanish(label)
        said = self.translations.ugettext(source)
        return Localized(said, self.locale if said != source else SOURCE_LANGUAGE)

    def join(self, *parts: str) -> str:
        kept = [part for part in parts if part]
        return Markup(" ").join(kept) if self.html else " ".join(kept)

    def _mark(self, value: object) -> object:
        if isinstance(value, Markup):
            return value
        lang = getattr(value, "lang", None)
        if lang is not None and lang != self.locale:
            return Markup('<span lang="%s">%s</span>') % (tag(lang), value)
        return value

    # Content: the program's texts in the reader's language -----------------

    def _blocks(self, facts: Facts) -> list[tuple[str, Mapping[str, Any] | None]]:
        program = self.programs.get(facts.get("program", 0))
        if program is None:
            return []
        return [
            (code, program.i18n.get(code)) for code in chain(self.lang) if code != SOURCE_LANGUAGE
        ]

    def program(self, facts: Facts) -> Localized:
        program = self.programs.get(facts.get("program", 0))
        # Program rows are never deleted (applications keep them): one is always found.
        return pick(program.name if program is not None else "", self._blocks(facts), "name")

    def document(self, facts: Facts) -> Localized:
        """The document ``facts["document"]`` (a requirement's slug) names."""
        slug = facts.get("document", "")
        blocks = [
            (code, (texts or {}).get("requirements", {}).get(slug))
            for code, texts in self._blocks(facts)
        ]
        return pick(str(facts.get("document_name", "")), blocks, "name")

    def reason(self, said: str, facts: Facts) -> Localized:
        """A reason as it was given (Spanish): the program's translation of it (the
        reasons of its rules), else the interface's (a reason the code gives, such
        as an end cause), else the Spanish as written."""
        blocks = [(code, (texts or {}).get("reasons")) for code, texts in self._blocks(facts)]
        found = pick(said, blocks, said)
        if found.lang != SOURCE_LANGUAGE:
            return found
        return self.word(said)

    def date(self, iso: str) -> str:
        return format_date(dt.date.fromisoformat(iso), "long", locale=self.locale)

    def written(self, text: str) -> Localized:
        """A text written by people in Spanish (a place, its hours): shown as written."""
        return Localized(text, SOURCE_LANGUAGE)


Render = Callable[[Facts, Reader], tuple[str, str]]


# Status changes (workflow.transition) ---------------------------------------

STATUS_TITLE = _l("Solicitud %(folio)s: %(status)s")
STATUS_TEXTS: dict[str, Text] = {
    "enviada": _l("Recibimos su solicitud a «%(program)s». La dependencia la revisará."),
    "en_revision": _l("Su solicitud a «%(program)s» está en revisión."),
    "requiere_correccion": _l(
        "Su solicitud a «%(program)s» necesita una corrección. "
        "Entre al portal para ver qué corregir."
    ),
    "aprobada": _l("¡Su solicitud a «%(program)s» fue aprobada!"),
    "rechazada": _l("Su solicitud a «%(program)s» fue rechazada."),
    "entregada": _l("Registramos la entrega de «%(program)s»."),
    "cancelada": _l("Su solicitud a «%(program)s» fue cancelada."),
    "en_espera": _l(
        "Los lugares de «%(program)s» están ocupados: su solicitud quedó en la "
        "lista de espera, en el lugar %(position)s. Avanzará sola, en orden, cuando se "
        "libere un lugar, y le avisaremos."
    ),
    "suspendida": _l(
        "Su apoyo de «%(program)s» está suspendido: no recibimos a tiempo el documento "
        "que el programa pide para seguir recibiéndolo. Súbalo en el portal; cuando la "
        "dependencia lo acepte, el apoyo vuelve a entregarse."
    ),
}
STATUS_CHANGED = _l("Su solicitud a «%(program)s» cambió.")
PROMOTED = _l(
    "Se liberó un lugar en «%(program)s»: su solicitud salió de la lista de espera y la "
    "dependencia la revisará."
)
# The proof of a re-certification accepted after a suspension (portal/delivery).
REINSTATED = _l("Aceptamos su documento: su apoyo de «%(program)s» vuelve a entregarse.")
REASON = _l("Motivo: %(reason)s")
# The statuses whose notice says why ("Motivo: ..."), and those that add what
# was said after the sentence (an approval's exception, where it was delivered).
STATUSES_WITH_MOTIVE = ("requiere_correccion", "rechazada", "cancelada")
STATUSES_WITH_NOTE = ("aprobada", "entregada")


def _status(facts: Facts, r: Reader) -> tuple[str, str]:
    from portal.applications.workflow import STATUS_LABELS  # the workflow imports notices

    status = facts["status"]
    label = STATUS_LABELS.get(status) or status
    title = r.say(STATUS_TITLE, folio=facts["folio"], status=r.word(label))
    text: Text
    if facts.get("promoted"):
        text = PROMOTED
    elif facts.get("reinstated"):
        text = REINSTATED
    else:
        text = STATUS_TEXTS.get(status, STATUS_CHANGED)
    body = r.say(text, program=r.program(facts), position=facts.get("position") or "")
    said = facts.get("reason", "")
    if said and status in STATUSES_WITH_MOTIVE:
        body = r.join(body, r.say(REASON, reason=r.reason(said, facts)))
    elif said and status in STATUSES_WITH_NOTE:
        body = r.join(body, r.say("%(reason)s.", reason=r.reason(said, facts)))
    return title, body


# Documents and enrollments (workflow) ---------------------------------------

DOCUMENT_TITLE = _l("Solicitud %(folio)s: documento rechazado")
DOCUMENT_REJECTED = _l("El documento «%(document)s» de su solicitud fue rechazado.")
ENROLLMENT_TITLE = _l("%(program)s: inscripción terminada")
ENROLLMENT_ENDED = _l("Terminó su inscripción en «%(program)s». Motivo: %(reason)s")


def _document_rejected(facts: Facts, r: Reader) -> tuple[str, str]:
    body = r.say(DOCUMENT_REJECTED, document=r.document(facts))
    if facts.get("reason"):
        body = r.join(body, r.say(REASON, reason=r.reason(facts["reason"], facts)))
    return r.say(DOCUMENT_TITLE, folio=facts["folio"]), body


def _enrollment_ended(facts: Facts, r: Reader) -> tuple[str, str]:
    program = r.program(facts)
    return (
        r.say(ENROLLMENT_TITLE, program=program),
        r.say(ENROLLMENT_ENDED, program=program, reason=r.reason(facts["reason"], facts)),
    )


# Delivery (portal/delivery) -------------------------------------------------

CREDENTIAL_TITLE = _l("Solicitud %(folio)s: credencial de entrega")
CREDENTIAL_REPLACED = _l(
    "Le dimos una credencial de entrega nueva. Motivo: %(reason)s. El código QR anterior "
    "ya no sirve: en la entrega muestre el nuevo, que está en su solicitud."
)
CREDENTIAL_REVOKED = _l(
    "Revocamos su credencial de entrega. Motivo: %(reason)s. Su código QR ya no sirve; "
    "pida uno nuevo a la dependencia para recibir su apoyo."
)
PERIOD_TITLE = _l("Solicitud %(folio)s: apoyo entregado")
PERIOD_DELIVERED = _l(
    "Recibió el apoyo del periodo %(period)s en %(point)s. "
    "Su historial de entregas está en su solicitud."
)
DATE_TITLE = _l("Solicitud %(folio)s: fecha y lugar de entrega")
DATE_TEXTS: dict[str, Text] = {
    "nueva": _l(
        "Ya hay fecha y lugar para recoger su apoyo del periodo %(period)s: %(when)s. "
        "Lleve una identificación oficial y su código QR."
    ),
    "cambio": _l(
        "Cambió la fecha o el lugar para recoger su apoyo del periodo %(period)s: %(when)s. "
        "Lleve una identificación oficial y su código QR."
    ),
    "recordatorio": _l(
        "Recordatorio: recoja su apoyo del periodo %(period)s %(when)s. "
        "Lleve una identificación oficial y su código QR."
    ),
}
WHEN = _l("el %(day)s, en %(point)s (%(address)s)")
WHEN_WITH_HOURS = _l("el %(day)s, %(hours)s, en %(point)s (%(address)s)")


def _credential(text: Text) -> Render:
    def render(facts: Facts, r: Reader) -> tuple[str, str]:
        return (
            r.say(CREDENTIAL_TITLE, folio=facts["folio"]),
            r.say(text, reason=r.reason(facts["reason"], facts)),
        )

    return render


def _period_delivered(facts: Facts, r: Reader) -> tuple[str, str]:
    return (
        r.say(PERIOD_TITLE, folio=facts["folio"]),
        r.say(PERIOD_DELIVERED, period=facts["period"], point=r.written(facts["point"])),
    )


def _delivery_date(facts: Facts, r: Reader) -> tuple[str, str]:
    place = {"point": r.written(facts["point"]), "address": r.written(facts["address"])}
    if facts.get("hours"):
        when = r.say(
            WHEN_WITH_HOURS, day=r.date(facts["day"]), hours=r.written(facts["hours"]), **place
        )
    else:
        when = r.say(WHEN, day=r.date(facts["day"]), **place)
    return (
        r.say(DATE_TITLE, folio=facts["folio"]),
        r.say(DATE_TEXTS[facts["moment"]], period=facts["period"], when=when),
    )


# Re-certification (portal/delivery/recertification.py) ---------------------

RECERTIFICATION_TITLE = _l("Solicitud %(folio)s: re-certificación")
RECERTIFICATION_REMINDER = _l(
    "Recordatorio: debe presentar «%(document)s» antes del %(due)s. Súbalo en su "
    "solicitud, en el portal. Si no lo presenta a más tardar el %(last)s, su apoyo se "
    "suspende hasta que lo presente."
)
RECERTIFICATION_ACCEPTED = _l("Aceptamos su documento de re-certificación.")
RECERTIFICATION_NEXT = _l("La siguiente vence el %(due)s.")
RECERTIFICATION_CORRECTION = _l(
    "Su documento de re-certificación necesita una corrección: súbalo de nuevo antes "
    "del %(due)s. Motivo: %(reason)s"
)


def _recertification(facts: Facts, r: Reader) -> tuple[str, str]:
    moment = facts["moment"]
    if moment == "recordatorio":
        body = r.say(
            RECERTIFICATION_REMINDER,
            document=r.document(facts),
            due=r.date(facts["due"]),
            last=r.date(facts["last"]),
        )
    elif moment == "correccion":
        body = r.say(
            RECERTIFICATION_CORRECTION,
            due=r.date(facts["due"]),
            reason=r.reason(facts["reason"], facts),
        )
    else:
        body = r.say(RECERTIFICATION_ACCEPTED)
        if facts.get("next"):
            body = r.join(body, r.say(RECERTIFICATION_NEXT, due=r.date(facts["next"])))
    return r.say(RECERTIFICATION_TITLE, folio=facts["folio"]), body


# Appointments (portal/appointments/bookings.py) -----------------------------

APPOINTMENT_TITLE = _l("Su cita del %(day)s")
APPOINTMENT_REMINDER = _l(
    "Recordatorio: tiene cita mañana, %(day)s, de %(starts)s a %(ends)s, en %(place)s "
    "(%(address)s). Lleve una identificación oficial. Si no puede ir, cambie o cancele "
    "su cita en el portal, en «Mis citas», para dejar el lugar a otra persona."
)


def _appointment(facts: Facts, r: Reader) -> tuple[str, str]:
    day = r.date(facts["day"])
    return (
        r.say(APPOINTMENT_TITLE, day=day),
        r.say(
            APPOINTMENT_REMINDER,
            day=day,
            starts=facts["starts"],
            ends=facts["ends"],
            place=r.written(facts["place"]),
            address=r.written(facts["address"]),
        ),
    )


# ARCO requests (portal/rights/arco.py) --------------------------------------

ARCO_RECEIVED_TITLE = _l("Solicitud de derechos ARCO %(folio)s: recibida")
ARCO_RECEIVED = _l(
    "Recibimos su solicitud de %(right)s de sus datos personales. "
    "La responderemos a más tardar el %(due)s."
)
ARCO_ANSWERED_TITLE = _l("Solicitud de derechos ARCO %(folio)s: respondida")
ARCO_ANSWERED = _l(
    "Respondimos su solicitud de derechos sobre sus datos personales. "
    "Entre a «Mis datos» para leer la respuesta."
)


def _arco_received(facts: Facts, r: Reader) -> tuple[str, str]:
    from portal.rights.arco import KIND_NAMES  # rights builds on the applications

    right = r.word(KIND_NAMES[facts["right"]])
    return (
        r.say(ARCO_RECEIVED_TITLE, folio=facts["folio"]),
        r.say(ARCO_RECEIVED, right=Localized(right.lower(), right.lang), due=r.date(facts["due"])),
    )


def _arco_answered(facts: Facts, r: Reader) -> tuple[str, str]:
    return r.say(ARCO_ANSWERED_TITLE, folio=facts["folio"]), r.say(ARCO_ANSWERED)


# Complaints and reports (portal/complaints/desk.py) --------------------------

COMPLAINT_RECEIVED_TITLE = _l("Queja o denuncia %(folio)s: recibida")
COMPLAINT_RECEIVED = _l("La recibimos. Le responderemos a más tardar el %(due)s.")
COMPLAINT_ESCALATED_TITLE = _l("Queja o denuncia %(folio)s: turnada al Órgano Interno de Control")
COMPLAINT_ESCALATED = _l(
    "La turnamos al Órgano Interno de Control de la Secretaría de la Contraloría, "
    "que le dará seguimiento y le responderá."
)
COMPLAINT_ANSWERED_TITLE = _l("Queja o denuncia %(folio)s: respondida")
COMPLAINT_ANSWERED = _l("Le respondimos. Entre a «Quejas y denuncias» para leer la respuesta.")


def _complaint_received(facts: Facts, r: Reader) -> tuple[str, str]:
    return (
        r.say(COMPLAINT_RECEIVED_TITLE, folio=facts["folio"]),
        r.say(COMPLAINT_RECEIVED, due=r.date(facts["due"])),
    )


def _complaint_escalated(facts: Facts, r: Reader) -> tuple[str, str]:
    return r.say(COMPLAINT_ESCALATED_TITLE, folio=facts["folio"]), r.say(COMPLAINT_ESCALATED)


def _complaint_answered(facts: Facts, r: Reader) -> tuple[str, str]:
    return r.say(COMPLAINT_ANSWERED_TITLE, folio=facts["folio"]), r.say(COMPLAINT_ANSWERED)


POSSIBLE_TITLE = _l("Podría recibir %(program)s")
POSSIBLE = _l(
    "Según las respuestas que nos dio, podría recibir %(program)s de %(agency)s. "
    "La convocatoria está abierta hasta el %(closes)s. Puede solicitarlo desde el enlace "
    "de este aviso; la dependencia revisa sus datos y documentos antes de aprobarlo."
)


def _possible(facts: Facts, r: Reader) -> tuple[str, str]:
    """A program the person might receive (portal/outreach): the agency's name is
    a proper name, shown as stored."""
    program = r.program(facts)
    return (
        r.say(POSSIBLE_TITLE, program=program),
        r.say(POSSIBLE, program=program, agency=facts["agency"], closes=r.date(facts["closes"])),
    )


KINDS: dict[str, Render] = {
    "estado": _status,
    "documento_rechazado": _document_rejected,
    "inscripcion_terminada": _enrollment_ended,
    "credencial_nueva": _credential(CREDENTIAL_REPLACED),
    "credencial_revocada": _credential(CREDENTIAL_REVOKED),
    "periodo_entregado": _period_delivered,
    "fecha_entrega": _delivery_date,
    "recertificacion": _recertification,
    "arco_recibida": _arco_received,
    "arco_respondida": _arco_answered,
    "cita": _appointment,
    "queja_recibida": _complaint_received,
    "queja_turnada": _complaint_escalated,
    "queja_respondida": _complaint_answered,
    "programa_posible": _possible,
}


def spanish_texts(kind: str, facts: Facts, program_name: str = "") -> tuple[str, str]:
    """The notice's title and body in Spanish: what is stored with it
    (``program_name``: the Spanish name of the program ``facts`` names)."""
    programs = {facts["program"]: ProgramTexts(program_name, {})} if program_name else {}
    reader = Reader(SOURCE_LANGUAGE, programs, html=False, translations=NullTranslations())
    return KINDS[kind](facts, reader)


# Reading ------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A notice as its reader sees it."""

    notice: Any
    title: str
    body: str
    # The language of the text as a whole: the interface's when it was rendered,
    # Spanish for a row shown as stored.
    lang: str


def program_texts(program_ids: Iterable[int]) -> dict[int, ProgramTexts]:
    """The names and translations of the programs, in one query."""
    from portal.models import Program  # the models import this area

    wanted = sorted(set(program_ids))
    if not wanted:
        return {}
    rows = Program.select(Program.id, Program.name, Program.i18n).where(Program.id.in_(wanted))
    return {row.id: ProgramTexts(row.name, row.i18n or {}) for row in rows}


def _render(notice: Any, reader: Reader) -> Shown:
    render = KINDS.get(notice.kind)
    if render is None:
        # Written before kinds existed, or of a kind this code no longer has.
        return Shown(notice, notice.title, notice.body, SOURCE_LANGUAGE)
    title, body = render(notice.facts, reader)
    return Shown(notice, title, body, reader.locale)


def shown(notices: Sequence[Any], lang: str) -> list[Shown]:
    """The inbox's notices in HTML, in ``lang``: one query for all their programs."""
    programs = program_texts(
        n.facts["program"] for n in notices if n.kind and n.facts.get("program")
    )
    reader = Reader(lang, programs, html=True)
    return [_render(notice, reader) for notice in notices]


def plain(notice: Any, lang: str) -> Shown:
    """One notice as plain text (e-mail, SMS), in ``lang``."""
    program_id = notice.facts.get("program") if notice.kind else None
    reader = Reader(lang, program_texts([program_id] if program_id else []), html=False)
    return _render(notice, reader)
