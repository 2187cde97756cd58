"""Each identity document's number has its shape; anything else is refused with a clear message."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.citizens import id_documents as ids

BORN = dt.date(1990, 5, 17)


@pytest.mark.parametrize(
    ("id_type", "typed", "stored"),
    [
        ("ine", "GMGZRS90051722M100", "GMGZRS90051722M100"),  # clave de elector
        ("ine", "gmgzrs 900517 22 m100", "GMGZRS90051722M100"),
        ("ine", "123456789", "123456789"),  # CIC
        ("ine", "1234567890123", "1234567890123"),  # OCR
        ("ine", "IDMEX1234567897", "123456789"),  # the back's machine-readable line
        ("pasaporte", "G12345678", "G12345678"),
        ("pasaporte", "03840012345", "03840012345"),
        ("cedula", "1234567", "1234567"),
        ("cedula", "12345678", "12345678"),
        ("cartilla", "D-1234567", "D1234567"),
        ("licencia", "QRO-1234567", "QRO1234567"),
        ("otra", "INAPAM 2024 0001", "INAPAM20240001"),
    ],
)
def test_numbers_of_each_shape_are_accepted_and_normalised(id_type, typed, stored):
    assert ids.validate(id_type, typed, birth_date=BORN, sex="M") == stored


@pytest.mark.parametrize(
    ("id_type", "typed", "message"),
    [
        ("ine", "0000", "no es un número de identificación"),
        ("ine", "000000000", "no es un número de identificación"),
        ("ine", "IDMEX99999", "clave de elector (18 caracteres"),
        ("ine", "12345678", "CIC (9 dígitos)"),
        ("ine", "GMGZRS90133122M100", "fecha de nacimiento (AAMMDD)"),
        ("ine", "GMGZRS90051799M100", "el estado (01 a 32)"),
        ("ine", "GMGZRS91051722M100", "no corresponde a la fecha de nacimiento"),
        ("ine", "GMGZRS90051722H100", "no corresponde al sexo"),
        ("pasaporte", "G1234567", "una letra y 8 dígitos"),
        ("pasaporte", "GG1234567", "una letra y 8 dígitos"),
        ("cedula", "123456", "7 u 8 dígitos"),
        ("cedula", "ABC12345", "7 u 8 dígitos"),
        ("cartilla", "1234567", "una letra y 7 u 8 dígitos"),
        ("licencia", "ABCDEFG", "al menos 4 dígitos"),
        ("licencia", "A1", "de 6 a 15"),
        ("otra", "12", "de 6 a 30"),
        ("otra", "", "Escriba el número"),
        ("tarjeta", "12345678", "Elija el tipo"),
    ],
)
def test_numbers_without_their_documents_shape_are_refused(id_type, typed, message):
    with pytest.raises(ids.IdNumberError) as refused:
        ids.validate(id_type, typed, birth_date=BORN, sex="M")
    assert message in refused.value.message


def test_every_type_the_form_offers_has_a_format_message():
    from portal.backoffice.forms import ID_TYPE_LABELS

    assert set(ID_TYPE_LABELS) == set(ids.ID_TYPES) == set(ids.FORMATS)


def test_a_voter_key_of_a_non_binary_person_is_not_checked_for_sex():
    assert ids.validate("ine", "GMGZRS90051722H100", birth_date=BORN, sex="X")
