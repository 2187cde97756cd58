"""CURP (Clave Única de Registro de Población): validation, reading and building.

The structure, position by position (RENAPO's *Instructivo Normativo para la
Asignación de la CURP*), for Ana Gómez Martínez, born in Querétaro on 12 March
1985::

    G O M A 8 5 0 3 1 2 M Q T M R N 0 1
    1   first letter of the first surname
    2   first internal vowel of the first surname
    3   first letter of the second surname (X when there is none)
    4   first letter of the given name (the second one after MARÍA or JOSÉ)
    5-10  birth date, YYMMDD
    11  sex: H (hombre), M (mujer), X (no binario, issued since 2023)
    12-13 state of birth (RENAPO code; NE = born abroad)
    14-16 first internal consonant of first surname, second surname, name
    17  homoclave: a digit for people born before 2000, a letter from 2000 on;
        RENAPO raises it to tell apart people whose first 16 characters match
    18  check digit

Validation builds on python-stdnum's ``stdnum.mx.curp`` (its check digit is the
reference our tests compare against) but is done field by field here, for two
reasons: each problem gets its own plain-Spanish message, and stdnum refuses
the ``X`` sex marker that RENAPO now issues.
"""

from __future__ import annotations

import functools
import operator
import random
import re
import unicodedata
from datetime import date
from typing import Literal, cast

from portal.messages import Message, Refusal, Text, _l, spanish

Sex = Literal["H", "M", "X"]

SEXES: dict[str, str] = {"H": "Hombre", "M": "Mujer", "X": "No binario"}

# RENAPO state code -> (INEGI state code, name). NE has no INEGI code.
STATES: dict[str, tuple[str, str]] = {
    "AS": ("01", "Aguascalientes"),
    "BC": ("02", "Baja California"),
    "BS": ("03", "Baja California Sur"),
    "CC": ("04", "Campeche"),
    "CL": ("05", "Coahuila de Zaragoza"),
    "CM": ("06", "Colima"),
    "CS": ("07", "Chiapas"),
    "CH": ("08", "Chihuahua"),
    "DF": ("09", "Ciudad de México"),
    "DG": ("10", "Durango"),
    "GT": ("11", "Guanajuato"),
    "GR": ("12", "Guerrero"),
    "HG": ("13", "Hidalgo"),
    "JC": ("14", "Jalisco"),
    "MC": ("15", "México"),
    "MN": ("16", "Michoacán de Ocampo"),
    "MS": ("17", "Morelos"),
    "NT": ("18", "Nayarit"),
    "NL": ("19", "Nuevo León"),
    "OC": ("20", "Oaxaca"),
    "PL": ("21", "Puebla"),
    "QT": ("22", "Querétaro"),
    "QR": ("23", "Quintana Roo"),
    "SP": ("24", "San Luis Potosí"),
    "SL": ("25", "Sinaloa"),
    "SR": ("26", "Sonora"),
    "TC": ("27", "Tabasco"),
    "TS": ("28", "Tamaulipas"),
    "TL": ("29", "Tlaxcala"),
    "VZ": ("30", "Veracruz de Ignacio de la Llave"),
    "YN": ("31", "Yucatán"),
    "ZS": ("32", "Zacatecas"),
    "NE": ("", "Nacido en el extranjero"),
}

RENAPO_STATE_BY_INEGI: dict[str, str] = {
    inegi: renapo for renapo, (inegi, _name) in STATES.items() if inegi
}

# RENAPO's list of "palabras inconvenientes" (Anexo 2 of the Instructivo). When
# the first four letters spell one of them, RENAPO replaces the second letter
# with X. python-stdnum refuses the same prefixes (the tests check each word).
# fmt: off
INCONVENIENT_WORDS: frozenset[str] = frozenset({
    "BACA", "BAKA", "BUEI", "BUEY", "CACA", "CACO", "CAGA", "CAGO", "CAKA", "CAKO", "COGE", "COGI",
    "COJA", "COJE", "COJI", "COJO", "COLA", "CULO", "FALO", "FETO", "GETA", "GUEI", "GUEY", "JETA",
    "JOTO", "KACA", "KACO", "KAGA", "KAGO", "KAKA", "KAKO", "KOGE", "KOGI", "KOJA", "KOJE", "KOJI",
    "KOJO", "KOLA", "KULO", "LILO", "LOCA", "LOCO", "LOKA", "LOKO", "MAME", "MAMO", "MEAR", "MEAS",
    "MEON", "MIAR", "MION", "MOCO", "MOKO", "MULA", "MULO", "NACA", "NACO", "PEDA", "PEDO", "PENE",
    "PIPI", "PITO", "POPO", "PUTA", "PUTO", "QULO", "RATA", "ROBA", "ROBE", "ROBO", "RUIN", "SENO",
    "TETA", "VACA", "VAGA", "VAGO", "VAKA", "VUEI", "VUEY", "WUEI", "WUEY",
})
# fmt: on

# Words skipped when taking letters from compound names: prepositions,
# conjunctions and contractions (DE LA CRUZ -> CRUZ), and the very common first
# given names MARÍA and JOSÉ when another name follows (MARÍA DEL CARMEN -> C).
# fmt: off
_PARTICLES = frozenset({
    "DA", "DAS", "DE", "DEL", "DER", "DI", "DIE", "DD", "EL", "LA", "LOS", "LAS", "LE", "LES",
    "MAC", "MC", "VAN", "VON", "Y",
})
# fmt: on
_COMMON_FIRST_NAMES = frozenset({"MARIA", "MA.", "MA", "JOSE", "J.", "J"})

_VOWELS = frozenset("AEIOU")

# Check digit: each of the first 17 characters is worth its index in this
# alphabet (RENAPO's, with Ñ at 24) times a weight from 18 down to 2. The
# values are applied with bytes.translate because check_digit runs once per
# row when millions of synthetic citizens are generated.
_CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_CHECK_VALUES = bytes.maketrans(
    _CHECK_ALPHABET.encode("latin-1"), bytes(range(len(_CHECK_ALPHABET)))
)
_CHECK_WEIGHTS = tuple(range(18, 1, -1))

_CURP_LENGTH = 18
_MASK_VISIBLE_START = 4
_MASK_VISIBLE_END = 2


class CurpError(Refusal, ValueError):
    """A CURP that cannot be right. ``message`` is plain Spanish for people;
    ``code`` is stable for programs (bulk-upload reports, tests)."""

    def __init__(self, code: str, message: Text) -> None:
        super().__init__(message)
        self.code = code


def normalize(raw: str) -> str:
    """Upper-case and drop the spaces and dashes people type or paste."""
    return re.sub(r"[\s\-]+", "", raw).upper()


def validate(raw: str) -> str:
    """Return the normalized CURP or raise :class:`CurpError`.

    Checks are ordered from the most to the least obvious mistake, so the
    message names the first thing the person should look at.
    """
    curp = normalize(raw)
    if not curp:
        raise CurpError("empty", _l("Escriba su CURP."))
    if len(curp) != _CURP_LENGTH:
        raise CurpError(
            "length",
            _l("La CURP debe tener 18 caracteres; usted escribió %(count)s.", count=len(curp)),
        )
    if not re.fullmatch(r"[A-Z0-9]{18}", curp):
        raise CurpError("characters", _l("La CURP solo lleva letras sin acentos y números."))
    if not re.fullmatch(r"[A-Z]{4}", curp[:4]):
        raise CurpError("format", _l("Los primeros 4 caracteres de la CURP son letras."))
    if not curp[4:10].isdigit():
        raise CurpError(
            "format",
            _l("Los caracteres 5 a 10 de la CURP son su fecha de nacimiento en números (AAMMDD)."),
        )
    if curp[10] not in SEXES:
        raise CurpError("sex", _l("El carácter 11 de la CURP debe ser H, M o X."))
    if curp[11:13] not in STATES:
        raise CurpError(
            "state", _l("Los caracteres 12 y 13 de la CURP no son una clave de entidad válida.")
        )
    if not re.fullmatch(r"[A-Z]{3}", curp[13:16]):
        raise CurpError("format", _l("Los caracteres 14 a 16 de la CURP son letras."))
    if not curp[17].isdigit():
        raise CurpError("format", _l("El último carácter de la CURP es un número."))
    if curp[:4] in INCONVENIENT_WORDS:
        raise CurpError("word", _l("Las primeras 4 letras de la CURP no son válidas."))
    _birth_date(curp)
    if curp[17] != check_digit(curp[:17]):
        raise CurpError(
            "check_digit",
            _l("El dígito verificador no coincide; revise que la CURP esté bien escrita."),
        )
    return curp


def is_valid(raw: str) -> bool:
    try:
        validate(raw)
    except CurpError:
        return False
    return True


def check_digit(first17: str) -> str:
    """The 18th character for the given first 17, which must already be
    CURP characters (0-9, A-Z): others are not rejected here."""
    values = first17.encode("latin-1").translate(_CHECK_VALUES)
    total = sum(map(operator.mul, values, _CHECK_WEIGHTS))
    return str((10 - total % 10) % 10)


def birth_date(curp: str) -> date:
    """Birth date of a valid CURP; the homoclave (position 17) gives the century."""
    return _birth_date(validate(curp))


def _birth_date(curp: str) -> date:
    century = 1900 if curp[16].isdigit() else 2000
    try:
        return date(century + int(curp[4:6]), int(curp[6:8]), int(curp[8:10]))
    except ValueError:
        raise CurpError("date", _l("La fecha de nacimiento de la CURP no existe.")) from None


def sex(curp: str) -> Sex:
    """``'H'``, ``'M'`` or ``'X'`` as written in the CURP."""
    return cast(Sex, validate(curp)[10])


def state_code(curp: str) -> str:
    """RENAPO code of the state of birth (``'QT'``); see :data:`STATES`."""
    return validate(curp)[11:13]


def check_consistency(curp: str, birth_date: date | None, sex: str | None) -> list[str]:
    """Each way the CURP disagrees with the other data we hold, in Spanish (to store).

    ``None`` means the data is unknown and is not compared. Raises
    :class:`CurpError` when the CURP itself is invalid: validate it first.
    """
    return [spanish(problem) for problem in consistency_problems(curp, birth_date, sex)]


def consistency_problems(curp: str, birth_date: date | None, sex: str | None) -> list[Message]:
    """:func:`check_consistency` as messages, translated when shown to the person."""
    curp = validate(curp)
    problems: list[Message] = []
    curp_date = _birth_date(curp)
    if birth_date is not None and birth_date != curp_date:
        problems.append(
            _l(
                "La fecha de nacimiento (%(given)s) no coincide con la de la CURP (%(curp)s).",
                given=f"{birth_date:%d/%m/%Y}",
                curp=f"{curp_date:%d/%m/%Y}",
            )
        )
    if sex is not None and sex != curp[10]:
        problems.append(
            _l(
                "El sexo registrado (%(given)s) no coincide con el de la CURP (%(curp)s).",
                given=SEXES.get(sex, sex),
                curp=SEXES[curp[10]],
            )
        )
    return problems


def mask(curp: str) -> str:
    """The CURP as staff lists show it: ``GOMA************01``.

    The first four letters come from the name, which the list already shows,
    and the last two (homoclave and check digit) tell apart homonyms on the
    phone; everything that reveals birth date, sex and state of birth is
    hidden. The result keeps 18 characters so it still reads as a CURP. A
    string that is not 18 characters long is hidden entirely, never partly.
    """
    curp = normalize(curp)
    if len(curp) != _CURP_LENGTH:
        return "*" * len(curp)
    hidden = _CURP_LENGTH - _MASK_VISIBLE_START - _MASK_VISIBLE_END
    return curp[:_MASK_VISIBLE_START] + "*" * hidden + curp[-_MASK_VISIBLE_END:]


def _words(name: str) -> list[str]:
    """Upper-case words of a name as the CURP rules see them.

    Ñ becomes X before accents are removed (RENAPO writes X for Ñ, whereas
    dropping the tilde would give N); hyphens separate words; other
    punctuation is dropped after the MA./J. abbreviations have been seen.
    """
    upper = unicodedata.normalize("NFC", name).upper().replace("Ñ", "X")
    plain = "".join(
        c for c in unicodedata.normalize("NFD", upper) if unicodedata.category(c) != "Mn"
    )
    return plain.replace("-", " ").split()


def _letters_only(word: str) -> str:
    return "".join(c for c in word if "A" <= c <= "Z")


def _significant_word(words: list[str], skip: frozenset[str]) -> str:
    """The first word that is not skipped, or the last word when all are."""
    candidates = [w for w in words if w not in skip and _letters_only(w)]
    chosen = candidates[0] if candidates else (words[-1] if words else "")
    return _letters_only(chosen)


def _internal(word: str, wanted_vowel: bool) -> str:
    for c in word[1:]:
        if (c in _VOWELS) == wanted_vowel:
            return c
    return "X"


# Names repeat a lot (a few hundred surnames cover most people), so the letter
# extraction, which walks Unicode data, is cached; it is pure.
@functools.lru_cache(maxsize=8192)
def _surname_parts(surname: str) -> tuple[str, str, str] | None:
    word = _significant_word(_words(surname), _PARTICLES)
    if not word:
        return None
    return (word[0], _internal(word, wanted_vowel=True), _internal(word, wanted_vowel=False))


def surname_letters(surname: str) -> tuple[str, str, str]:
    """(first letter, first internal vowel, first internal consonant) of a
    surname; ``('X', 'X', 'X')`` for a missing second surname."""
    return _surname_parts(surname) or ("X", "X", "X")


@functools.lru_cache(maxsize=8192)
def given_name_letters(given_names: str) -> tuple[str, str]:
    """(first letter, first internal consonant) of the given name that counts:
    the first one, unless it is MARÍA or JOSÉ and another name follows."""
    words = _words(given_names)
    if len(words) > 1 and words[0] in _COMMON_FIRST_NAMES:
        words = words[1:]
    word = _significant_word(words, _PARTICLES)
    if not word:
        raise ValueError("the given name has no letters")
    return (word[0], _internal(word, wanted_vowel=False))


def name_letters(first_name: str, last_name1: str, last_name2: str | None) -> tuple[str, str]:
    """The four initial letters (positions 1-4, with RENAPO's replacement of
    inconvenient words) and the three internal consonants (positions 14-16)."""
    first_surname = _surname_parts(last_name1)
    if first_surname is None:
        raise ValueError("the first surname has no letters")
    s1_initial, s1_vowel, s1_consonant = first_surname
    s2_initial, _s2_vowel, s2_consonant = surname_letters(last_name2 or "")
    g_initial, g_consonant = given_name_letters(first_name)
    four = s1_initial + s1_vowel + s2_initial + g_initial
    if four in INCONVENIENT_WORDS:
        four = four[0] + "X" + four[2:]
    return four, s1_consonant + s2_consonant + g_consonant


def assemble(
    four_letters: str,
    consonants: str,
    birth_date: date,
    sex: str,
    state: str,
    homoclave: str,
) -> str:
    """Put the parts together and append the check digit. No validation: the
    caller guarantees each part (see :func:`make_curp`)."""
    first17 = (
        f"{four_letters}{birth_date.year % 100:02d}{birth_date.month:02d}{birth_date.day:02d}"
        f"{sex}{state}{consonants}{homoclave}"
    )
    return first17 + check_digit(first17)


def make_curp(
    first_name: str,
    last_name1: str,
    last_name2: str | None,
    birth_date: date,
    sex: str,
    state: str = "QT",
    rng: random.Random | None = None,
    homoclave: str | None = None,
) -> str:
    """Build the CURP RENAPO would assign to this person.

    The homoclave cannot be derived from the data (RENAPO assigns it to tell
    homonyms apart). Pass it explicitly, or it is drawn from ``rng``: a digit
    for births before 2000, a letter from 2000 on, as the century rule needs.
    """
    if sex not in SEXES:
        raise ValueError(f"sex must be H, M or X, not {sex!r}")
    if state not in STATES:
        raise ValueError(f"unknown RENAPO state code {state!r}")
    if not 1900 <= birth_date.year <= 2099:
        raise ValueError("a CURP can only hold birth years 1900 to 2099")
    born_before_2000 = birth_date.year < 2000
    if homoclave is None:
        chooser = rng or random
        homoclave = chooser.choice(
            "0123456789" if born_before_2000 else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        )
    elif not re.fullmatch("[0-9]" if born_before_2000 else "[A-Z]", homoclave):
        raise ValueError("the homoclave is a digit before 2000 and a letter from 2000 on")
    four, consonants = name_letters(first_name, last_name1, last_name2)
    return assemble(four, consonants, birth_date, sex, state, homoclave)
