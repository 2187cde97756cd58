"""How a text becomes SMS segments: GSM 03.38 when every character is in it,
UCS-2 otherwise, so no accent is ever lost.

GSM 03.38 (the 7-bit default alphabet, 3GPP TS 23.038) has é É è ù ì ò à ñ Ñ
ü Ü ¿ ¡ but not á í ó ú Á Í Ó Ú: a Spanish text with any of those goes as
UCS-2 (UTF-16), where one segment holds 70 characters instead of 160. Segments
of a concatenated message lose room to the 6-octet header (UDH) that tells the
phone how to join them: 153 GSM characters or 67 UCS-2 units each. Characters
of the extension table (``€ [ ] { } ^ ~ | \\`` and form feed) take two GSM
places, and are never split from their escape.

:func:`compose` chooses the wording: the whole notice with its link when that
fits one segment, else its title with the link, else (only then) the whole
notice in several segments.
"""

from __future__ import annotations

from dataclasses import dataclass

# The default alphabet, by code (0x1B, the escape to the extension table, is
# not a character of its own).
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
ESCAPE = 0x1B
_BASIC_CODES = {c: i for i, c in enumerate(GSM_BASIC) if i != ESCAPE}
_EXTENSION_CHARS = {code: c for c, code in GSM_EXTENSION.items()}

GSM7 = "gsm7"
UCS2 = "ucs2"
# SMPP data_coding: 0 the SMSC's default alphabet (GSM 03.38), 8 UCS-2.
DATA_CODING = {GSM7: 0x00, UCS2: 0x08}
# esm_class bit saying that short_message starts with a UDH.
UDHI = 0x40
SINGLE = {GSM7: 160, UCS2: 70}
PART = {GSM7: 153, UCS2: 67}
# No more parts than this: a notice longer than that is cut (the link is kept).
MAX_PARTS = 4

# Typography that has a plain equivalent in GSM: replacing it loses nothing a
# reader sees as a letter, and keeps a text in 160-character segments.
_PLAIN = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "\t": " ",
    }
)


def plain_typography(text: str) -> str:
    """``text`` with curly quotes, dashes, ellipses and odd spaces made plain."""
    return text.translate(_PLAIN)


def is_gsm(text: str) -> bool:
    return all(c in _BASIC_CODES or c in GSM_EXTENSION for c in text)


def encoding_of(text: str) -> str:
    return GSM7 if is_gsm(text) else UCS2


def _units(c: str, encoding: str) -> int:
    """Places one character takes in a segment: GSM septets or UTF-16 units."""
    if encoding == GSM7:
        return 2 if c in GSM_EXTENSION else 1
    return 2 if ord(c) > 0xFFFF else 1


def length(text: str, encoding: str | None = None) -> int:
    encoding = encoding or encoding_of(text)
    return sum(_units(c, encoding) for c in text)


def fits_one(text: str) -> bool:
    encoding = encoding_of(text)
    return length(text, encoding) <= SINGLE[encoding]


def split(text: str, encoding: str | None = None) -> list[str]:
    """The pieces of ``text``, one per segment, never splitting a character."""
    encoding = encoding or encoding_of(text)
    if length(text, encoding) <= SINGLE[encoding]:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for c in text:
        units = _units(c, encoding)
        if used + units > PART[encoding]:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(c)
        used += units
    pieces.append("".join(current))
    return pieces


def encode(text: str, encoding: str) -> bytes:
    """GSM 03.38 one octet per character (unpacked, what SMPP carries), or UTF-16BE."""
    if encoding == UCS2:
        return text.encode("utf-16-be")
    out = bytearray()
    for c in text:
        if c in GSM_EXTENSION:
            out += bytes((ESCAPE, GSM_EXTENSION[c]))
        else:
            out.append(_BASIC_CODES[c])
    return bytes(out)


def decode(payload: bytes, data_coding: int) -> str:
    """The text of an incoming short_message (GSM 03.38, Latin-1, UCS-2)."""
    coding = data_coding & 0x0F if data_coding < 0xF0 else data_coding & 0x04
    if coding == 0x08:
        return payload.decode("utf-16-be", errors="replace")
    if coding in (0x03, 0x04):
        return payload.decode("latin-1")
    out, escaped = [], False
    for octet in payload:
        if escaped:
            out.append(_EXTENSION_CHARS.get(octet, " "))
            escaped = False
        elif octet == ESCAPE:
            escaped = True
        else:
            out.append(GSM_BASIC[octet & 0x7F])
    return "".join(out)


@dataclass(frozen=True)
class Segments:
    """What to put in submit_sm: one ``short_message`` per part."""

    text: str
    encoding: str
    payloads: tuple[bytes, ...]

    @property
    def data_coding(self) -> int:
        return DATA_CODING[self.encoding]

    @property
    def esm_class(self) -> int:
        return UDHI if len(self.payloads) > 1 else 0x00


def segments(text: str, reference: int = 0) -> Segments:
    """``text`` as SMS parts; ``reference`` (0-255) ties the parts of one message."""
    encoding = encoding_of(text)
    pieces = split(text, encoding)
    if len(pieces) == 1:
        return Segments(text, encoding, (encode(text, encoding),))
    total = len(pieces)
    payloads = tuple(
        bytes((0x05, 0x00, 0x03, reference & 0xFF, total, number)) + encode(piece, encoding)
        for number, piece in enumerate(pieces, start=1)
    )
    return Segments(text, encoding, payloads)


def _cut(text: str, room: int, encoding: str) -> str:
    """``text`` cut at a word to take at most ``room`` places, marked with "..."."""
    if length(text, encoding) <= room:
        return text
    room -= 3
    if room <= 0:
        return ""
    kept, used = [], 0
    for c in text:
        used += _units(c, encoding)
        if used > room:
            break
        kept.append(c)
    cut = "".join(kept)
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" .,;:") + "..."


def compose(title: str, body: str, link: str = "") -> str:
    """The SMS of a notice: ``title. body link``, or ``title. link`` when that
    takes fewer segments (one, where it fits); beyond :data:`MAX_PARTS` segments
    the body is cut at a word. The link is always kept whole."""
    title = " ".join(plain_typography(title).split()).rstrip(".")
    body = " ".join(plain_typography(body).split())
    tail = f" {link}" if link else ""
    whole = f"{title}. {body}{tail}" if body else f"{title}.{tail}"
    short = f"{title}.{tail}"
    # Fewest segments; the whole text when it costs no more.
    # Without a link, the title alone would leave the reader nowhere to read the rest.
    candidates = (whole, short) if link else (whole,)
    best = min(candidates, key=lambda text: len(split(text)))
    if len(split(best)) <= MAX_PARTS:
        return best
    encoding = encoding_of(whole)
    room = PART[encoding] * MAX_PARTS - length(f"{title}. {tail}", encoding)
    cut = _cut(body, room, encoding)
    return f"{title}. {cut}{tail}" if cut else short
