import random
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.applications import folio
from portal.applications.folio import (
    ALPHABET,
    FolioError,
    new_folio,
    normalize_folio,
    validate_folio,
)

FOLIO_SHAPE = re.compile(r"QRO-\d{2}-[23456789ABCDEFGHJKMNPQRSTWXYZ]{7}")

seeds = st.integers(0, 2**64)
years = st.integers(2000, 2099)


def test_the_alphabet_has_no_lookalikes_and_a_prime_size():
    assert len(ALPHABET) == 29
    assert not set(ALPHABET) & set("01ILOUV")
    assert all(29 % d for d in range(2, 29))


def test_a_new_folio_has_the_documented_shape_and_is_valid():
    number = new_folio(year=2026)
    assert FOLIO_SHAPE.fullmatch(number)
    assert number.startswith("QRO-26-")
    assert validate_folio(number) == number


def test_the_year_defaults_to_the_current_one():
    assert new_folio().startswith(f"QRO-{date.today().year % 100:02d}-")


def test_a_seeded_generator_repeats_itself():
    assert new_folio(year=2026, rng=random.Random(5)) == new_folio(year=2026, rng=random.Random(5))


@pytest.mark.parametrize("prefix", ["qro", "Q", "QUERE", "Q1O", ""])
def test_a_prefix_that_is_not_2_to_4_capital_letters_is_refused(prefix):
    with pytest.raises(ValueError):
        new_folio(prefix)


def test_other_prefixes_work_end_to_end():
    number = new_folio("CDMX", 2027)
    assert number.startswith("CDMX-27-")
    assert validate_folio(number, state_prefix="CDMX") == number


@given(seed=seeds, year=years)
def test_generated_folios_always_validate(seed, year):
    number = new_folio(year=year, rng=random.Random(seed))
    assert validate_folio(number) == number


def mangle(number: str, rng: random.Random) -> str:
    """Type a folio the way people do: any case, spaces or no dashes, V for B,
    0 for O in the prefix, sometimes without the prefix."""
    prefix, yy, body = number.split("-")
    body = body.replace("B", "V") if rng.random() < 0.5 else body
    prefix = prefix.replace("O", "0") if rng.random() < 0.3 else prefix
    parts = [prefix, yy, body] if rng.random() < 0.8 else [yy, body]
    separator = rng.choice(["", " ", "-", " - ", ".", "  "])
    typed = separator.join(parts)
    typed = typed.lower() if rng.random() < 0.5 else typed
    return f" {typed}\t" if rng.random() < 0.3 else typed


@given(seed=seeds, year=years)
def test_normalisation_round_trips_what_people_type(seed, year):
    rng = random.Random(seed)
    number = new_folio(year=year, rng=rng)
    typed = mangle(number, rng)
    assert normalize_folio(typed) == number
    assert validate_folio(typed) == number


@given(seed=seeds, year=years, data=st.data())
def test_any_single_wrong_character_is_detected(seed, year, data):
    number = new_folio(year=year, rng=random.Random(seed))
    position = data.draw(st.sampled_from([4, 5, 7, 8, 9, 10, 11, 12, 13]))
    alphabet = "0123456789" if position in (4, 5) else ALPHABET
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != number[position]))
    typo = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(FolioError) as error:
        validate_folio(typo)
    assert error.value.code == "check"


@given(seed=seeds, data=st.data())
def test_any_swap_of_two_characters_is_detected(seed, data):
    number = new_folio(year=2026, rng=random.Random(seed))
    body = number[7:]
    i, j = data.draw(st.sampled_from([(i, j) for i in range(7) for j in range(i + 1, 7)]))
    if body[i] == body[j]:
        return
    swapped = list(body)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert not folio.is_valid_folio(number[:7] + "".join(swapped))


@pytest.mark.parametrize("wrong", ["0", "O", "1", "I", "L", "U"])
def test_unusable_characters_are_named_in_the_message(wrong):
    number = new_folio(year=2026, rng=random.Random(1))
    typo = number[:-3] + wrong + number[-2:]
    with pytest.raises(FolioError) as error:
        normalize_folio(typo)
    assert error.value.code == "character"
    assert f"«{wrong}»" in error.value.message


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        ("", "empty", "Escriba el folio."),
        ("  - ", "empty", "Escriba el folio."),
        ("QRO-26-7K3", "length", "Al folio le faltan caracteres"),
        ("QRO-26-7K3M9P#", "character", "El folio solo lleva letras y números."),
        ("QRO-26-7K3M9PÑ", "character", "El folio solo lleva letras y números."),
        ("OAX-26-7K3M9PX", "prefix", "El folio debe empezar con QRO."),
        ("QRO-2A-7K3M9PX", "year", "Después de QRO el folio lleva dos números"),
    ],
)
def test_malformed_folios_get_a_clear_message(typed, code, message):
    with pytest.raises(FolioError) as error:
        validate_folio(typed)
    assert error.value.code == code
    assert error.value.message.startswith(message)
    assert not folio.is_valid_folio(typed)


def test_the_check_character_is_computed_over_year_and_random_part():
    # Values: 7 -> 5, 8 -> 6, A -> 8, B -> 9.
    # 9*2 + 8*6 + 7*5 + 6*6 + 5*5 + 4*6 + 3*8 + 2*9 = 228 = 7*29 + 25; 29 - 25 = 4
    assert folio.check_character(26, "7878AB") == ALPHABET[4] == "6"
