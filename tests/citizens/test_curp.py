import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.mx import curp as stdnum_curp

from portal.citizens import curp
from portal.citizens.curp import CurpError

# Built by hand from RENAPO's rules and checked with python-stdnum.
VALID = "PELJ900512HQTRPN22"


def with_check_digit(first17: str) -> str:
    return first17 + stdnum_curp.calc_check_digit(first17 + "0")


def test_a_valid_curp_is_returned_normalized():
    assert curp.validate("  pelj900512hqtrpn22 ") == VALID
    assert curp.validate("PELJ-900512-HQTRPN-22") == VALID


def test_stdnums_own_example_is_valid():
    assert curp.validate("BOXW310820HNERXN09") == "BOXW310820HNERXN09"


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("", "empty", "Escriba su CURP."),
        ("PELJ900512HQTRPN2", "length", "La CURP debe tener 18 caracteres; usted escribió 17."),
        ("PELJ900512HQTRPN222", "length", "La CURP debe tener 18 caracteres; usted escribió 19."),
        ("PÉLJ900512HQTRPN22", "characters", "La CURP solo lleva letras sin acentos y números."),
        ("PEL1900512HQTRPN22", "format", "Los primeros 4 caracteres de la CURP son letras."),
        ("PELJ90O512HQTRPN22", "format", "Los caracteres 5 a 10 de la CURP son su fecha"),
        ("PELJ900512FQTRPN22", "sex", "El carácter 11 de la CURP debe ser H, M o X."),
        ("PELJ900512HZZRPN22", "state", "Los caracteres 12 y 13 de la CURP no son"),
        ("PELJ900512HQTRP122", "format", "Los caracteres 14 a 16 de la CURP son letras."),
        ("PELJ900512HQTRPN2A", "format", "El último carácter de la CURP es un número."),
        ("PELJ900231HQTRPN22", "date", "La fecha de nacimiento de la CURP no existe."),
        ("PELJ900512HQTRPN23", "check_digit", "El dígito verificador no coincide"),
    ],
)
def test_each_mistake_gets_its_own_spanish_message(raw, code, message):
    with pytest.raises(CurpError) as error:
        curp.validate(raw)
    assert error.value.code == code
    assert error.value.message.startswith(message)
    assert str(error.value) == error.value.message
    assert not curp.is_valid(raw)


def test_an_inconvenient_word_is_refused():
    with pytest.raises(CurpError) as error:
        curp.validate(with_check_digit("BUEY850304MQTNSL1"))
    assert error.value.code == "word"


@pytest.mark.parametrize("word", sorted(curp.INCONVENIENT_WORDS))
def test_stdnum_refuses_each_inconvenient_word_and_accepts_its_replacement(word):
    assert not stdnum_curp.is_valid(with_check_digit(word + "850304MQTNSL1"))
    replaced = word[0] + "X" + word[2:]
    assert stdnum_curp.is_valid(with_check_digit(replaced + "850304MQTNSL1"))


def test_the_century_comes_from_the_homoclave():
    born_2001 = with_check_digit("NUXJ010101MQTXXSA")
    born_1901 = with_check_digit("NUXJ010101MQTXXS0")
    assert curp.birth_date(born_2001) == date(2001, 1, 1)
    assert curp.birth_date(born_1901) == date(1901, 1, 1)


def test_reading_the_fields():
    assert curp.birth_date(VALID) == date(1990, 5, 12)
    assert curp.sex(VALID) == "H"
    assert curp.state_code(VALID) == "QT"
    assert curp.STATES[curp.state_code(VALID)] == ("22", "Querétaro")
    assert curp.RENAPO_STATE_BY_INEGI["22"] == "QT"


def test_the_non_binary_marker_is_accepted_although_stdnum_refuses_it():
    number = with_check_digit("XUIA100228XQTXBNA")
    assert curp.validate(number) == number
    assert curp.sex(number) == "X"
    assert not stdnum_curp.is_valid(number)


def test_reading_a_field_of_an_invalid_curp_raises():
    with pytest.raises(CurpError):
        curp.sex("PELJ900512HQTRPN23")


def test_consistent_data_gives_no_messages():
    assert curp.check_consistency(VALID, date(1990, 5, 12), "H") == []
    assert curp.check_consistency(VALID, None, None) == []


def test_inconsistent_data_gives_one_message_each():
    messages = curp.check_consistency(VALID, date(1990, 5, 13), "M")
    assert messages == [
        "La fecha de nacimiento (13/05/1990) no coincide con la de la CURP (12/05/1990).",
        "El sexo registrado (Mujer) no coincide con el de la CURP (Hombre).",
    ]


def test_consistency_of_an_invalid_curp_raises():
    with pytest.raises(CurpError):
        curp.check_consistency("PELJ", date(1990, 5, 12), "H")


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (VALID, "PELJ************22"),
        (" pelj900512hqtrpn22", "PELJ************22"),
        ("PELJ9005", "********"),
        ("", ""),
    ],
)
def test_mask_shows_only_name_letters_and_homoclave(raw, masked):
    assert curp.mask(raw) == masked


@pytest.mark.parametrize(
    ("names", "born", "sex", "expected_first16"),
    [
        # Plain case: P-E from PÉREZ, L from LÓPEZ, J from JUAN; R, P, N inside.
        (("Juan", "Pérez", "López"), date(1990, 5, 12), "H", "PELJ900512HQTRPN"),
        # MARÍA is skipped in a compound name; Ñ counts as X; no second surname.
        (("María José", "Núñez", ""), date(2001, 1, 1), "M", "NUXJ010101MQTXXS"),
        # BUEY is an inconvenient word: the second letter becomes X.
        (("Yolanda", "Buendía", "Estrada"), date(1985, 3, 4), "M", "BXEY850304MQTNSL"),
        # Particles are skipped in surnames and given names alike.
        (("José de Jesús", "de la Cruz", "Muñoz"), date(1960, 12, 31), "H", "CUMJ601231HQTRXS"),
        (("María de los Ángeles", "del Río", "Ugalde"), date(1975, 7, 7), "M", "RIUA750707MQTXGN"),
        # A leading Ñ becomes X; the X marker is written as given.
        (("Ana", "Ñuñez", "Ibáñez"), date(2010, 2, 28), "X", "XUIA100228XQTXBN"),
        # Names with no internal vowel or consonant get X.
        (("Ia", "Oz", "Ay"), date(1999, 9, 9), "M", "OXAI990909MQTZYX"),
        # Hyphenated surnames: the first word counts.
        (("Luis", "García-Olvera", None), date(1988, 8, 8), "H", "GAXL880808HQTRXS"),
    ],
)
def test_make_curp_follows_renapo_rules(names, born, sex, expected_first16):
    homoclave = "0" if born.year < 2000 else "A"
    number = curp.make_curp(*names, born, sex, homoclave=homoclave)
    assert number[:16] == expected_first16
    assert number[16] == homoclave
    assert curp.validate(number) == number


def test_make_curp_draws_the_homoclave_by_century():
    rng = random.Random(3)
    before = {
        curp.make_curp("Juan", "Pérez", "López", date(1999, 1, 1), "H", rng=rng)[16]
        for _ in range(50)
    }
    after = {
        curp.make_curp("Juan", "Pérez", "López", date(2000, 1, 1), "H", rng=rng)[16]
        for _ in range(50)
    }
    assert before <= set("0123456789") and len(before) > 1
    assert after <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ") and len(after) > 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sex": "F"}, "sex must be"),
        ({"state": "XX"}, "unknown RENAPO state"),
        ({"birth_date": date(1899, 12, 31)}, "birth years 1900 to 2099"),
        ({"homoclave": "A"}, "the homoclave is a digit before 2000"),
        ({"homoclave": "12"}, "the homoclave is a digit before 2000"),
        ({"last_name1": " - "}, "first surname has no letters"),
        ({"first_name": ""}, "given name has no letters"),
    ],
)
def test_make_curp_refuses_impossible_input(kwargs, message):
    arguments = {
        "first_name": "Juan",
        "last_name1": "Pérez",
        "last_name2": "López",
        "birth_date": date(1990, 5, 12),
        "sex": "H",
    } | kwargs
    with pytest.raises(ValueError, match=message):
        curp.make_curp(**arguments)


name_text = st.text(
    alphabet=st.sampled_from(
        "ABCDEFGHIJKLMNÑOPQRSTUVWXYZÁÉÍÓÚÜabcdefghijklmnñopqrstuvwxyzáéíóú -.'"
    ),
    min_size=0,
    max_size=20,
)
has_letters = name_text.filter(lambda s: any(c.isalpha() for c in s))


@settings(max_examples=400)
@given(
    first_name=has_letters,
    last_name1=has_letters,
    last_name2=name_text,
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    sex=st.sampled_from("HM"),
    state=st.sampled_from(sorted(curp.STATES)),
    seed=st.integers(0, 2**32),
)
def test_make_curp_always_builds_what_stdnum_accepts(
    first_name, last_name1, last_name2, born, sex, state, seed
):
    number = curp.make_curp(
        first_name, last_name1, last_name2, born, sex, state, rng=random.Random(seed)
    )
    assert stdnum_curp.validate(number) == number
    assert curp.validate(number) == number
    assert curp.birth_date(number) == born
    assert curp.sex(number) == sex
    assert curp.state_code(number) == state


@settings(max_examples=300)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=17, max_size=17))
def test_our_check_digit_agrees_with_stdnum(first17):
    assert curp.check_digit(first17) == stdnum_curp.calc_check_digit(first17 + "0")


@settings(max_examples=300)
@given(st.text(min_size=0, max_size=25))
def test_validate_either_accepts_what_stdnum_accepts_or_raises_curp_error(raw):
    try:
        number = curp.validate(raw)
    except CurpError:
        assert not stdnum_curp.is_valid(curp.normalize(raw)) or curp.normalize(raw)[10] == "X"
    else:
        assert stdnum_curp.is_valid(number) or number[10] == "X"
