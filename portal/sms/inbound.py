"""What people send by SMS, and what they get back.

* ``BAJA`` (or ``ALTO``, ``STOP``): the records whose phone is this number stop
  getting notices by SMS (their notice channel becomes the portal's inbox,
  through the citizens' own domain function, audited as theirs); the answer
  says how to come back. The same answer goes to any Mexican number, so it
  tells nobody whether a number is on file.
* ``ESTADO <folio>`` or the folio alone: the status of that application in one
  SMS, only when the number is the phone on file of the application's citizen.
  A folio that does not exist, or belongs to somebody else, gets the same
  neutral answer as a mistyped one: nothing says whether a folio exists.
  Questions are capped per number and day (``SMS_QUESTIONS_DAILY_CAP``): past
  the cap there is no answer at all, so folios cannot be tried by the thousand.
* Anything else: a short help text (capped like questions).

A sender that is not a Mexican number gets no answer. Every answer fits one
segment (tests/sms/test_inbound.py checks it for every status).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from portal.applications.folio import FolioError, validate_folio
from portal.applications.notice_texts import Reader
from portal.applications.workflow import STATUS_LABELS
from portal.backoffice.audit import Actor
from portal.citizens.phones import PhoneError, normalise_phone
from portal.citizens.record import CONTACT_FIELDS, update_contact
from portal.messages import _l
from portal.models import Application, Citizen
from portal.sms import quota

STOP_WORDS = {"BAJA", "ALTO", "STOP"}
STATUS_WORD = "ESTADO"
# People sharing a phone (a family) are few; a number on more records than this
# is not a person's and is left alone.
MAX_RECORDS_PER_NUMBER = 20

STATUS_ANSWER = _l("Ventanilla Única. Solicitud %(folio)s: %(status)s.")
NEUTRAL_ANSWER = _l("Ventanilla Única: consulte su solicitud en el portal, Mis solicitudes.")
HELP_ANSWER = _l("Ventanilla Única: envíe ESTADO y su folio, o BAJA para no recibir SMS.")
STOP_ANSWER = _l("Listo: ya no le enviaremos SMS. Para volver, elija SMS en Mis datos.")

_WORDS = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")


def _words(text: str) -> list[str]:
    """The words of ``text`` in capitals without accents (``estádo`` is ESTADO)."""
    bare = unicodedata.normalize("NFKD", text.upper())
    return _WORDS.findall("".join(ch for ch in bare if not unicodedata.combining(ch)))


def answer(source: str, text: str, config: Mapping) -> tuple[str, str] | None:
    """The 10-digit number and the answer to send it, or None for no answer."""
    try:
        phone = normalise_phone(source)
    except PhoneError:
        return None
    words = _words(text)
    if len(words) == 1 and words[0] in STOP_WORDS:
        stop_sms(phone)
        return phone, _say("es", STOP_ANSWER)
    if not quota.take(phone, quota.QUESTION, int(config["SMS_QUESTIONS_DAILY_CAP"])):
        return None
    if words and words[0] == STATUS_WORD:
        words = words[1:]
    if not words:
        return phone, _say("es", HELP_ANSWER)
    try:
        folio = validate_folio(" ".join(words), config["FOLIO_PREFIX"])
    except FolioError:
        return phone, _say("es", HELP_ANSWER if len(words) > 2 else NEUTRAL_ANSWER)
    return phone, status_answer(phone, folio)


def status_answer(phone: str, folio: str) -> str:
    application = Application.get_or_none(Application.folio == folio)
    citizen = Citizen.get_by_id(application.citizen_id) if application else None
    if application is None or citizen is None or _on_file(citizen.phone) != phone:
        return _say("es", NEUTRAL_ANSWER)
    reader = Reader(citizen.language, {}, html=False)
    status = reader.say(STATUS_LABELS[application.status]).lower()
    return reader.say(STATUS_ANSWER, folio=folio, status=status)


def stop_sms(phone: str) -> int:
    """Every record with this phone that gets SMS notices gets them in the portal
    instead; returns how many changed."""
    records = list(
        Citizen.select()
        .where((Citizen.phone == phone) & (Citizen.notify_channel == "sms"))
        .limit(MAX_RECORDS_PER_NUMBER + 1)
    )
    if len(records) > MAX_RECORDS_PER_NUMBER:
        return 0
    for citizen in records:
        values = {name: getattr(citizen, name) for name in CONTACT_FIELDS}
        values["notify_channel"] = "portal"
        update_contact(citizen, values, citizen.municipality_id, Actor.citizen(citizen))
    return len(records)


def _on_file(phone: str) -> str | None:
    try:
        return normalise_phone(phone)
    except PhoneError:
        return None


def _say(lang: str, text) -> str:
    return Reader(lang, {}, html=False).say(text)
