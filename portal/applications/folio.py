"""Application folios: short, readable aloud, typed without ambiguity.

A folio looks like ``QRO-26-7K3M9PX``: the state prefix, the two-digit year,
six random characters and one check character.

Alphabet (29 characters): ``23456789ABCDEFGHJKMNPQRSTWXYZ``. Left out:

* ``0 O`` and ``1 I L``, which look alike on paper and on screens;
* ``U``, easy to misread as V (and in handwriting as a badly closed O);
* ``V``, because in Spanish B and V are both pronounced /b/ and dictating
  "be" or "uve" over the phone often ends up as the other letter. A typed V is
  therefore read as B (the only letter it can stand for).

A typed O, 0, I, 1, L or U cannot be mapped to a single character, so it is
refused with a message naming it, rather than guessed. The prefix may be typed
with 0 for O and 1 for I (``QR0``) since it only holds letters.

Check character: 29 is prime, so a weighted sum modulo 29 with distinct weights
detects every single wrong character and every swap of two characters
(ISO 7064-style). It covers the year and the six random characters.

Collisions: there are 29**6 = 594,823,321 folios per prefix and year. After
k folios in a year the next one collides with probability k / 29**6 (0.17% at a
million), so over a year of a million applications about 840 draws collide.
The database holds a unique constraint on the folio and the caller draws again
on a conflict; five draws in a row collide with probability below 2e-14.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from portal.messages import Refusal, Text, _l

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
RANDOM_LENGTH = 6
DEFAULT_PREFIX = "QRO"

_VALUES = {c: i for i, c in enumerate(ALPHABET)}
_MODULUS = len(ALPHABET)
# Weights for year tens, year units and the six random characters; the check
# character has weight 1. All distinct and below the prime modulus.
_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)
_TYPED_SEPARATORS = re.compile(r"[\s\-_./]+")
_READ_AS = {"V": "B"}
_PREFIX_READ_AS = str.maketrans({"0": "O", "1": "I"})
_UNUSABLE = "01ILOU"
_BODY_LENGTH = RANDOM_LENGTH + 1


class FolioError(Refusal, ValueError):
    """A folio that cannot be right; ``message`` is plain Spanish."""

    def __init__(self, code: str, message: Text) -> None:
        super().__init__(message)
        self.code = code


class Chooser(Protocol):
    """Anything with ``choice``: the ``secrets`` module or a ``random.Random``
    (seeded, for reproducible demo data)."""

    def choice(self, seq: Sequence[str], /) -> str: ...


def check_character(year: int, random_part: str) -> str:
    """The character that makes the weighted sum a multiple of 29."""
    digits = (year // 10 % 10, year % 10, *(_VALUES[c] for c in random_part))
    total = sum(w * v for w, v in zip(_WEIGHTS, digits, strict=True))
    return ALPHABET[-total % _MODULUS]


def new_folio(
    state_prefix: str = DEFAULT_PREFIX, year: int | None = None, rng: Chooser = secrets
) -> str:
    """A fresh random folio such as ``QRO-26-7K3M9PX``; ``year`` defaults to
    the current one."""
    _check_prefix(state_prefix)
    yy = (date.today().year if year is None else year) % 100
    random_part = "".join(rng.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{state_prefix}-{yy:02d}-{random_part}{check_character(yy, random_part)}"


def normalize_folio(typed: str, state_prefix: str = DEFAULT_PREFIX) -> str:
    """The canonical form of what a person typed, without checking the check
    character (see :func:`validate_folio`).

    Accepts lower case, spaces, missing or extra dashes and dots, a missing
    prefix (``26-7K3M9PX``), V for B and 0/1 for O/I in the prefix.
    """
    compact = _TYPED_SEPARATORS.sub("", typed).upper()
    if not compact:
        raise FolioError("empty", _l("Escriba el folio."))
    if not compact.isalnum() or not compact.isascii():
        raise FolioError("character", _l("El folio solo lleva letras y números."))
    if len(compact) < 2 + _BODY_LENGTH:
        raise FolioError(
            "length", _l("Al folio le faltan caracteres; revise que lo haya copiado completo.")
        )
    prefix = compact[: -2 - _BODY_LENGTH].translate(_PREFIX_READ_AS) or state_prefix
    yy = compact[-2 - _BODY_LENGTH : -_BODY_LENGTH]
    body = "".join(_READ_AS.get(c, c) for c in compact[-_BODY_LENGTH:])
    if prefix != state_prefix:
        raise FolioError("prefix", _l("El folio debe empezar con %(prefix)s.", prefix=state_prefix))
    if not yy.isdigit():
        raise FolioError(
            "year",
            _l(
                "Después de %(prefix)s el folio lleva dos números: el año.",
                prefix=state_prefix,
            ),
        )
    for c in body:
        if c in _UNUSABLE:
            raise FolioError(
                "character",
                _l(
                    "El folio no puede llevar «%(character)s»: los folios no usan 0, 1, I, L, "
                    "O ni U. Revise ese carácter.",
                    character=c,
                ),
            )
    return f"{prefix}-{yy}-{body}"


def validate_folio(typed: str, state_prefix: str = DEFAULT_PREFIX) -> str:
    """The canonical folio, or :class:`FolioError` when it cannot be one."""
    folio = normalize_folio(typed, state_prefix)
    _prefix, yy, body = folio.split("-")
    if check_character(int(yy), body[:RANDOM_LENGTH]) != body[RANDOM_LENGTH]:
        raise FolioError("check", _l("El folio tiene un error de escritura; revise cada carácter."))
    return folio


def is_valid_folio(typed: str, state_prefix: str = DEFAULT_PREFIX) -> bool:
    try:
        validate_folio(typed, state_prefix)
    except FolioError:
        return False
    return True


def _check_prefix(state_prefix: str) -> None:
    # Letters only, so that a prefix can never be confused with the year.
    if not re.fullmatch(r"[A-Z]{2,4}", state_prefix):
        raise ValueError("the folio prefix is 2 to 4 capital letters")
