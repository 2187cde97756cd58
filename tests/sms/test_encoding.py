"""The segment rules: GSM 03.38 exactly where it suffices, UCS-2 otherwise, no
character lost or split, one segment whenever the short wording fits."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from portal.sms import encoding as e

SPANISH = "abcdefghijklmnñopqrstuvwxyzABCDEFGHIJKLMNÑOPQRSTUVWXYZáéíóúÁÉÍÓÚüÜ¿¡ .,;:-0123456789"
GSM_TEXT = st.text(
    alphabet=st.sampled_from([ch for ch in e.GSM_BASIC if ch != "\x1b"] + list(e.GSM_EXTENSION))
)
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=400)
LINK = "https://ventanilla.queretaro.gob.mx/mis-solicitudes/QRO-26-7K3M9PX"


def _join(segments: e.Segments) -> str:
    udh = 6 if len(segments.payloads) > 1 else 0
    return "".join(e.decode(p[udh:], segments.data_coding) for p in segments.payloads)


def test_the_gsm_table_has_these_spanish_letters_and_not_the_others():
    assert all(e.is_gsm(ch) for ch in "éÉñÑüÜ¿¡àèùìò")
    assert not any(e.is_gsm(ch) for ch in "áíóúÁÍÓÚ")
    assert len(e.GSM_BASIC) == 128


def test_extension_characters_take_two_places():
    assert e.length("€[]", e.GSM7) == 6
    assert e.encode("€", e.GSM7) == bytes((0x1B, 0x65))


@given(GSM_TEXT)
def test_gsm_text_stays_gsm_and_round_trips(text):
    segments = e.segments(text, reference=7)
    assert segments.encoding == e.GSM7 and segments.data_coding == 0
    assert _join(segments) == text


@given(ANY_TEXT, st.integers(0, 255))
@example("Revisión " * 20, 3)
@example("😀" * 40, 0)
def test_every_text_round_trips_and_every_part_fits(text, reference):
    segments = e.segments(text, reference)
    assert segments.encoding == (e.GSM7 if e.is_gsm(text) else e.UCS2)
    assert _join(segments) == text
    if len(segments.payloads) == 1:
        assert e.length(text) <= e.SINGLE[segments.encoding]
        assert segments.esm_class == 0
    else:
        assert segments.esm_class == e.UDHI
        for number, payload in enumerate(segments.payloads, start=1):
            assert payload[:6] == bytes((5, 0, 3, reference, len(segments.payloads), number))
            piece = e.decode(payload[6:], segments.data_coding)
            assert e.length(piece, segments.encoding) <= e.PART[segments.encoding]
            # 140 octets is a segment's room on the air (GSM packs 7 bits).
            octets = len(payload) if segments.encoding == e.UCS2 else 6 + (len(payload) - 6) * 7 / 8
            assert octets <= 140


@given(st.text(alphabet=SPANISH, min_size=1, max_size=60), st.text(alphabet=SPANISH, max_size=600))
def test_a_notice_keeps_its_link_and_its_accents_and_is_one_segment_when_it_can_be(title, body):
    text = e.compose(title, body, LINK)
    assert text.endswith(" " + LINK)
    short = " ".join(title.split()).rstrip(".") + ". " + LINK
    if e.fits_one(short):
        assert e.fits_one(text)
    assert len(e.split(text)) <= e.MAX_PARTS
    # Nothing transliterated: every letter of the text is one the notice had.
    assert set(text) <= set(title) | set(body) | set(LINK) | set(". ")


def test_the_whole_notice_goes_when_it_fits():
    assert e.compose("Aprobada", "Recoja su apoyo el lunes.", LINK) == (
        f"Aprobada. Recoja su apoyo el lunes. {LINK}"
    )


def test_typography_is_made_plain_so_the_text_stays_gsm():
    text = e.compose("Aviso", "Su cita “confirmada” – el lunes…", "")
    assert text == 'Aviso. Su cita "confirmada" - el lunes...'
    assert e.is_gsm(text)


def test_a_body_too_long_for_four_segments_is_cut_at_a_word():
    body = "palabra " * 200
    text = e.compose("Aviso", body, "")
    assert len(e.split(text)) == e.MAX_PARTS and text.endswith("palabra...")


def test_incoming_latin1_and_escape_are_read():
    assert e.decode("Estádo".encode("latin-1"), 0x03) == "Estádo"
    assert e.decode(bytes((0x1B, 0x65, 0x41)), 0x00) == "€A"
