"""Mexican phone numbers: what people type, the 10 digits the record keeps.

Since August 2019 every number in Mexico is dialled with its 10 digits. People
still write them the way they learnt: with spaces, dashes, dots or the area
code in parentheses, with the country code (+52, or 52 as a contact list
exports it), with the old mobile prefix after it (+52 1, 13 digits), or with
the national dialling prefixes that were dropped (01 for long distance, 044
and 045 for mobiles). Each of those has exactly one 10-digit number inside:
:func:`normalise_phone` finds it, and refuses with a plain message anything
that is not a Mexican number. National numbers never start with 0 or 1 (no
area code does), so the prefixes cannot be confused with the number itself.
"""

from __future__ import annotations

import re
import unicodedata

from portal.messages import Refusal, Text, _l

# What may sit between the digits: the separators people type.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015.()/]+")
_NATIONAL = re.compile(r"[2-9][0-9]{9}")
# Prefixes before the 10 digits, by the length of what they make.
_PREFIXES = {12: ("52", "01"), 13: ("521", "044", "045")}

EXAMPLE = _l("Escriba los 10 dígitos de su teléfono, por ejemplo 442 123 4567.")


class PhoneError(Refusal, ValueError):
    """A phone that cannot be a Mexican number; ``message`` says what to type."""

    def __init__(self, message: Text) -> None:
        super().__init__(message)


def normalise_phone(text: str) -> str:
    """The 10-digit national number in ``text``, or :class:`PhoneError`."""
    # NFKC turns full-width digits and no-break spaces into the usual ones.
    raw = unicodedata.normalize("NFKC", text).strip()
    international = raw.startswith("+")
    rest = _SEPARATORS.sub("", raw[1:] if international else raw)
    if not rest:
        raise PhoneError(EXAMPLE)
    if not rest.isascii() or not rest.isdigit():
        raise PhoneError(
            _l(
                "El teléfono lleva solo números. Escriba los 10 dígitos de su teléfono, "
                "por ejemplo 442 123 4567."
            )
        )
    if international and not rest.startswith("52"):
        raise PhoneError(
            _l(
                "Escriba un teléfono de México: los 10 dígitos de su teléfono, "
                "por ejemplo 442 123 4567."
            )
        )
    if international:
        # +52, then the old mobile 1 if it is there.
        digits = rest[2:]
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
    else:
        digits = rest
        for prefix in _PREFIXES.get(len(digits), ()):
            if digits.startswith(prefix):
                digits = digits[len(prefix) :]
                break
    if _NATIONAL.fullmatch(digits):
        return digits
    if len(digits) < 10:
        raise PhoneError(
            _l("Faltan números. Escriba los 10 dígitos de su teléfono, por ejemplo 442 123 4567.")
        )
    if len(digits) > 10:
        raise PhoneError(
            _l("Sobran números. Escriba los 10 dígitos de su teléfono, por ejemplo 442 123 4567.")
        )
    raise PhoneError(
        _l(
            "Un teléfono de México empieza con su clave de área, nunca con 0 ni 1. "
            "Escriba los 10 dígitos de su teléfono, por ejemplo 442 123 4567."
        )
    )


def display_phone(phone: str) -> str:
    """``4421234567`` as people read it: ``442 123 4567``. Anything that is not
    10 digits (a value stored before numbers were normalised) is shown as is."""
    if not _NATIONAL.fullmatch(phone or ""):
        return phone or ""
    return f"{phone[:3]} {phone[3:6]} {phone[6:]}"


def sms_address(phone: str) -> str | None:
    """The number an SMS gateway dials (E.164, ``+524421234567``), or None
    when the stored phone is not a number one can send to."""
    try:
        return "+52" + normalise_phone(phone)
    except PhoneError:
        return None
