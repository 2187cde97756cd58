"""The identity documents staff see at the counter, and what each one's number looks like.

A number that does not have its document's shape ("0000" for a voter card)
means the staff member did not copy it from the document in front of them:
it is refused with a message that says what the number looks like. The INE
voter key (clave de elector) also holds the birth date and sex of its holder,
so it is checked against the person's record.

Numbers are compared without spaces, hyphens or dots, in capitals.
"""

from __future__ import annotations

import datetime as dt
import re

from portal.citizens.models import ID_TYPES
from portal.messages import Message, Refusal, _l

# INE voter card (credencial para votar): three numbers can be read from it.
# Clave de elector: 6 letters of the names, birth date YYMMDD, state 01-32,
# sex H/M, 3 digits.
_VOTER_KEY = re.compile(r"[A-Z]{6}(\d{2})(\d{2})(\d{2})(\d{2})([HMX])\d{3}")
_CIC = re.compile(r"\d{9}")  # Código de Identificación de la Credencial (since 2013)
_OCR = re.compile(r"\d{13}")  # the OCR number on the back of older cards
# The machine-readable zone on the back starts IDMEX + CIC (+ check digit).
_MRZ = re.compile(r"IDMEX(\d{9})\d?")
_PASSPORT = re.compile(r"[A-Z]\d{8}|\d{11}")  # Mexican: G12345678; before 2009, 11 digits
_CEDULA = re.compile(r"\d{7,8}")  # cédula profesional (SEP)
_CARTILLA = re.compile(r"[A-Z]\d{7,8}")  # matrícula of the Cartilla del Servicio Militar
_LICENSE = re.compile(r"[A-Z0-9]{6,15}")  # each state has its own; letters and digits
_OTHER = re.compile(r"[A-Z0-9]{6,30}")

FORMATS: dict[str, Message] = {
    "ine": _l(
        "La credencial para votar (INE) se registra con la clave de elector (18 caracteres: "
        "6 letras, 6 dígitos de la fecha de nacimiento, 2 del estado, H o M y 3 dígitos), "
        "el CIC (9 dígitos) o el número OCR (13 dígitos)."
    ),
    "pasaporte": _l(
        "El número de pasaporte mexicano es una letra y 8 dígitos (por ejemplo G12345678), "
        "o 11 dígitos en los pasaportes anteriores a 2009."
    ),
    "cedula": _l("La cédula profesional tiene 7 u 8 dígitos."),
    "licencia": _l(
        "El número de la licencia de conducir tiene de 6 a 15 letras y números, "
        "con al menos 4 dígitos."
    ),
    "cartilla": _l(
        "La matrícula de la Cartilla del Servicio Militar es una letra y 7 u 8 dígitos "
        "(por ejemplo D-1234567)."
    ),
    "otra": _l(
        "El número de la identificación tiene de 6 a 30 letras y números, con al menos 4 dígitos."
    ),
}


class IdNumberError(Refusal, ValueError):
    """The number typed cannot be that document's: ``message`` says what it looks like."""


def normalise(number: str) -> str:
    return re.sub(r"[\s.\-/]", "", number or "").upper()


def _digits(value: str) -> int:
    return sum(c.isdigit() for c in value)


def _born(yy: str, mm: str, dd: str, today: dt.date) -> dt.date | None:
    year = 2000 + int(yy)
    if year > today.year:
        year -= 100
    try:
        return dt.date(year, int(mm), int(dd))
    except ValueError:
        return None


def validate(
    id_type: str,
    number: str,
    *,
    birth_date: dt.date | None = None,
    sex: str = "",
    today: dt.date | None = None,
) -> str:
    """The number as stored, or :class:`IdNumberError` saying what is wrong.

    With ``birth_date`` and ``sex`` (the person's record), an INE voter key
    must carry that birth date and sex.
    """
    if id_type not in ID_TYPES:
        raise IdNumberError(_l("Elija el tipo de identificación de la lista."))
    value = normalise(number)
    if not value:
        raise IdNumberError(_l("Escriba el número de la identificación."))
    if len(set(value)) == 1:
        raise IdNumberError(
            _l(
                "«%(number)s» no es un número de identificación: cópielo del documento.",
                number=number.strip(),
            )
        )
    if id_type == "ine":
        return _voter_card(value, birth_date, sex, today or dt.date.today())
    shape = {
        "pasaporte": _PASSPORT,
        "cedula": _CEDULA,
        "cartilla": _CARTILLA,
        "licencia": _LICENSE,
        "otra": _OTHER,
    }[id_type]
    if not shape.fullmatch(value) or (id_type in ("licencia", "otra") and _digits(value) < 4):
        raise IdNumberError(FORMATS[id_type])
    return value


def _voter_card(value: str, birth_date: dt.date | None, sex: str, today: dt.date) -> str:
    if mrz := _MRZ.fullmatch(value):
        value = mrz.group(1)
    if _CIC.fullmatch(value) or _OCR.fullmatch(value):
        return value
    key = _VOTER_KEY.fullmatch(value)
    if key is None:
        raise IdNumberError(FORMATS["ine"])
    yy, mm, dd, state, key_sex = key.groups()
    born = _born(yy, mm, dd, today)
    if born is None or not 1 <= int(state) <= 32:
        raise IdNumberError(
            _l(
                "La clave de elector no es válida: sus dígitos 7 a 12 son la fecha de "
                "nacimiento (AAMMDD) y los dos siguientes el estado (01 a 32)."
            )
        )
    if birth_date is not None and (born.month, born.day, born.year % 100) != (
        birth_date.month,
        birth_date.day,
        birth_date.year % 100,
    ):
        raise IdNumberError(
            _l(
                "La clave de elector no corresponde a la fecha de nacimiento de la persona: "
                "revise que la credencial sea suya."
            )
        )
    if sex in ("H", "M") and key_sex in ("H", "M") and key_sex != sex:
        raise IdNumberError(
            _l(
                "La clave de elector no corresponde al sexo registrado de la persona: "
                "revise que la credencial sea suya."
            )
        )
    return value
