"""Signed delivery credentials and their QR codes.

An approved beneficiary gets a credential: a short token signed with Ed25519
that a delivery point can check offline with the portal's public key. The QR
code holds a portal URL ending in the token, so any camera app opens the
portal, and the delivery page can verify the signature in the browser.

Token layout, format version 1
==============================

The token is 88 bytes: a 24-byte payload followed by its 64-byte Ed25519
signature. All integers are unsigned and big-endian.

======  ====  ===============================================================
offset  size  field
======  ====  ===============================================================
0       1     format version: 1
1       8     credential id: 8 random bytes (shown as 16 lowercase hex digits)
9       3     folio prefix: its 2-4 letters as base-27 digits, A=1 ... Z=26,
              first letter most significant (QRO = 17*27^2 + 18*27 + 15)
12      1     folio year, two digits (26 for 2026)
13      5     folio body: its 7 characters (6 random + check) as base-29
              digits, each the character's index in
              ``23456789ABCDEFGHJKMNPQRSTWXYZ``, first most significant
18      2     program id (the catalog's numeric id, 1-65535)
20      2     issue day: days since 2020-01-01
22      2     expiry day: days since 2020-01-01, inclusive; 0 = no expiry
24      64    Ed25519 signature of ``b"ventanilla-unica/credencial\\x00"``
              followed by bytes 0-23
======  ====  ===============================================================

The token's text is those 88 bytes read as one unsigned integer, written in
decimal and left-padded with zeros to exactly 212 digits (2**704 has 212
digits). The credential URL is the portal's origin in capitals followed by
``/E/`` and the token, e.g. ``HTTPS://VENTANILLA.QUERETARO.GOB.MX/E/0123...``.
Host names are case-insensitive, so browsers open it normally; the portal must
route ``/E/<token>``.

Why this shape: a QR code's numeric mode stores 3 digits in 10 bits, within
0.4% of raw binary, and the upper-case prefix fits alphanumeric mode (11 bits
per 2 characters), while lower case or base64 would need byte mode (8 bits per
character). Mixed in one code as two segments, the realistic URL above
needs version 7 at error correction M (45 x 45 modules). Version 5 is not
reachable with any URL: at level M it holds 688 data bits, and the 64-byte
signature alone takes 512 of them, the shortest plausible ``HTTPS://X.MX/E/``
prefix another 100, which leaves under 9 bytes for version, credential and
folio. Version 6 would need a payload of 14 bytes or less.

Verifying in a browser (WebCrypto)::

    const n = BigInt(digits);                       // the 212 digits
    const bytes = new Uint8Array(88);
    for (let i = 87, v = n; i >= 0; i--, v >>= 8n) bytes[i] = Number(v & 0xffn);
    const key = await crypto.subtle.importKey(
        "jwk", jwk, {name: "Ed25519"}, false, ["verify"]);  // public_key_jwk()
    const message = concat(utf8("ventanilla-unica/credencial\\0"), bytes.slice(0, 24));
    const ok = await crypto.subtle.verify("Ed25519", key, bytes.slice(24), message);

The signature proves the portal issued the credential; whether it is still
valid (not revoked, not reissued, not delivered) is for the server to say.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from portal.applications import folio as folios
from portal.messages import Refusal, Text, _l

FORMAT_VERSION = 1
SIGNING_CONTEXT = b"ventanilla-unica/credencial\x00"
EPOCH = date(2020, 1, 1)
PAYLOAD_BYTES = 24
SIGNATURE_BYTES = 64
TOKEN_BYTES = PAYLOAD_BYTES + SIGNATURE_BYTES
TOKEN_DIGITS = len(str(2 ** (8 * TOKEN_BYTES) - 1))
CREDENTIAL_ID_BYTES = 8
MAX_PROGRAM_ID = 0xFFFF
QR_ERROR = "m"
QR_TITLE = "Código QR de su credencial de entrega"

_LAST_DAY = EPOCH + timedelta(days=0xFFFF)
_TOKEN = re.compile(rf"[0-9]{{{TOKEN_DIGITS}}}")
_CREDENTIAL_ID = re.compile(rf"[0-9a-f]{{{2 * CREDENTIAL_ID_BYTES}}}")
_CANONICAL_FOLIO = re.compile(rf"([A-Z]{{2,4}})-([0-9]{{2}})-([{folios.ALPHABET}]{{7}})")
_PREFIX_BASE = 27
_BODY_BASE = len(folios.ALPHABET)
_BODY_LENGTH = folios.RANDOM_LENGTH + 1


@dataclass(frozen=True)
class CredentialClaims:
    credential_id: str  # 16 lowercase hex digits, see new_credential_id()
    folio: str  # canonical, e.g. "QRO-26-7K3M9PX"
    program_id: int
    issued: date
    expires: date | None  # last valid day; None for no expiry


class CredentialError(Refusal):
    """A token that must not be honoured. ``code`` is one of ``malformed``,
    ``unsupported_version``, ``bad_signature`` or ``expired``; ``message`` is
    plain Spanish for the delivery operator. For ``expired`` the signature was
    good and ``claims`` holds what the credential says."""

    def __init__(self, code: str, message: Text, claims: CredentialClaims | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.claims = claims


class CredentialKeyError(ValueError):
    """Key material that cannot be loaded; never contains the key itself."""


def new_credential_id() -> str:
    return secrets.token_hex(CREDENTIAL_ID_BYTES)


def sign(claims: CredentialClaims, private_key: Ed25519PrivateKey) -> str:
    """The token (212 decimal digits) for these claims."""
    payload = _encode_payload(claims)
    signature = private_key.sign(SIGNING_CONTEXT + payload)
    return str(int.from_bytes(payload + signature, "big")).zfill(TOKEN_DIGITS)


def verify(token: str, public_key: Ed25519PublicKey, today: date | None = None) -> CredentialClaims:
    """The claims of a genuine, unexpired token, or :class:`CredentialError`.

    ``today`` defaults to the current date. With several published keys (during
    a key rotation), try each: ``bad_signature`` means "not this key".
    """
    token = token.strip()
    if not _TOKEN.fullmatch(token) or int(token) >> (8 * TOKEN_BYTES):
        raise CredentialError(
            "malformed", _l("El código no es una credencial del portal o está incompleto.")
        )
    raw = int(token).to_bytes(TOKEN_BYTES, "big")
    payload, signature = raw[:PAYLOAD_BYTES], raw[PAYLOAD_BYTES:]
    if payload[0] != FORMAT_VERSION:
        raise CredentialError(
            "unsupported_version",
            _l(
                "Esta credencial es de una versión que este verificador no conoce. "
                "Actualiza la página o verifícala con conexión."
            ),
        )
    try:
        public_key.verify(signature, SIGNING_CONTEXT + payload)
    except InvalidSignature:
        raise CredentialError(
            "bad_signature", _l("La firma no es válida: la credencial es falsa o fue alterada.")
        ) from None
    try:
        claims = _decode_payload(payload)
    except ValueError:
        # Only a bug in the issuer can sign an undecodable payload.
        raise CredentialError(
            "malformed", _l("El código no es una credencial del portal o está incompleto.")
        ) from None
    if claims.expires is not None and (today or date.today()) > claims.expires:
        raise CredentialError(
            "expired",
            _l("La credencial venció el %(date)s.", date=f"{claims.expires:%d/%m/%Y}"),
            claims,
        )
    return claims


def _encode_payload(claims: CredentialClaims) -> bytes:
    if not _CREDENTIAL_ID.fullmatch(claims.credential_id):
        raise ValueError("credential_id must be 16 lowercase hex digits")
    prefix, yy, body = _split_folio(claims.folio)
    if not 1 <= claims.program_id <= MAX_PROGRAM_ID:
        raise ValueError(f"program_id must be between 1 and {MAX_PROGRAM_ID}")
    if not EPOCH <= claims.issued <= _LAST_DAY:
        raise ValueError(f"issued must be between {EPOCH} and {_LAST_DAY}")
    if claims.expires is not None and not (
        max(claims.issued, EPOCH + timedelta(days=1)) <= claims.expires <= _LAST_DAY
    ):
        raise ValueError("expires must be after 2020-01-01, on or after issued, and in range")
    prefix_value = 0
    for letter in prefix:
        prefix_value = prefix_value * _PREFIX_BASE + ord(letter) - ord("A") + 1
    body_value = 0
    for character in body:
        body_value = body_value * _BODY_BASE + folios.ALPHABET.index(character)
    return b"".join(
        (
            bytes([FORMAT_VERSION]),
            bytes.fromhex(claims.credential_id),
            prefix_value.to_bytes(3, "big"),
            bytes([yy]),
            body_value.to_bytes(5, "big"),
            claims.program_id.to_bytes(2, "big"),
            _day_number(claims.issued).to_bytes(2, "big"),
            (_day_number(claims.expires) if claims.expires else 0).to_bytes(2, "big"),
        )
    )


def _split_folio(folio: str) -> tuple[str, int, str]:
    shape = _CANONICAL_FOLIO.fullmatch(folio)
    if shape is None:
        raise ValueError(f"the folio must be canonical, like QRO-26-7K3M9PX: {folio!r}")
    prefix, yy, body = shape.groups()
    if not folios.is_valid_folio(folio, state_prefix=prefix):
        raise ValueError(f"not a valid folio (check character): {folio!r}")
    return prefix, int(yy), body


def _decode_payload(payload: bytes) -> CredentialClaims:
    prefix_value = int.from_bytes(payload[9:12], "big")
    letters = []
    while prefix_value:
        prefix_value, digit = divmod(prefix_value, _PREFIX_BASE)
        if digit == 0:
            raise ValueError("a zero digit inside the folio prefix")
        letters.append(chr(ord("A") + digit - 1))
    body_value = int.from_bytes(payload[13:18], "big")
    characters = []
    for _ in range(_BODY_LENGTH):
        body_value, digit = divmod(body_value, _BODY_BASE)
        characters.append(folios.ALPHABET[digit])
    if body_value or payload[12] > 99:
        raise ValueError("folio out of range")
    folio = f"{''.join(reversed(letters))}-{payload[12]:02d}-{''.join(reversed(characters))}"
    _split_folio(folio)
    program_id = int.from_bytes(payload[18:20], "big")
    expires = int.from_bytes(payload[22:24], "big")
    if program_id == 0:
        raise ValueError("program id 0")
    return CredentialClaims(
        credential_id=payload[1:9].hex(),
        folio=folio,
        program_id=program_id,
        issued=EPOCH + timedelta(days=int.from_bytes(payload[20:22], "big")),
        expires=EPOCH + timedelta(days=expires) if expires else None,
    )


def _day_number(day: date) -> int:
    return (day - EPOCH).days


# Keys -------------------------------------------------------------------------


def generate_keypair() -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    private_key = Ed25519PrivateKey.generate()
    return private_key, private_key.public_key()


def load_private_key(data: str | bytes) -> Ed25519PrivateKey:
    """From an unencrypted PKCS#8 PEM, or base64 (standard or URL-safe) of
    the 32-byte raw key, as :func:`private_key_base64` writes for configuration."""
    text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError):
            raise CredentialKeyError("the PEM is not an unencrypted private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise CredentialKeyError("the PEM holds a private key that is not Ed25519")
        return key
    return Ed25519PrivateKey.from_private_bytes(_raw_key(text, "private"))


def private_key_base64(private_key: Ed25519PrivateKey) -> str:
    """The raw 32-byte key in base64, for a configuration variable."""
    raw = private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode()


def load_public_key(data: str | bytes) -> Ed25519PublicKey:
    """From a PEM (SubjectPublicKeyInfo), an Ed25519 JWK in JSON, or base64 of
    the 32-byte raw key: what ``credential verify --public-key FILE`` reads."""
    text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError:
            raise CredentialKeyError("the PEM is not a public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise CredentialKeyError("the PEM holds a public key that is not Ed25519")
        return key
    if text.startswith("{"):
        try:
            jwk = json.loads(text)
        except json.JSONDecodeError:
            raise CredentialKeyError("the JWK is not valid JSON") from None
        if not isinstance(jwk, dict) or (jwk.get("kty"), jwk.get("crv")) != ("OKP", "Ed25519"):
            raise CredentialKeyError("the JWK is not an OKP Ed25519 key")
        text = str(jwk.get("x", ""))
    return Ed25519PublicKey.from_public_bytes(_raw_key(text, "public"))


def _raw_key(text: str, kind: str) -> bytes:
    standard = text.replace("-", "+").replace("_", "/")
    standard += "=" * (-len(standard) % 4)
    try:
        raw = base64.b64decode(standard, validate=True)
    except binascii.Error:
        raise CredentialKeyError(f"the {kind} key is neither PEM nor base64") from None
    if len(raw) != 32:
        raise CredentialKeyError(f"an Ed25519 {kind} key is 32 bytes, not {len(raw)}")
    return raw


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def key_id(public_key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint, used as ``kid``."""
    required = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _base64url(_raw_public(public_key))},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _base64url(hashlib.sha256(required.encode()).digest())


def public_key_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as a JWK (RFC 8037), ready for a JWKS document."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _base64url(_raw_public(public_key)),
        "kid": key_id(public_key),
        "alg": "EdDSA",
        "use": "sig",
    }


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


# URLs and QR codes ------------------------------------------------------------


def credential_url(token: str, origin: str = "https://ventanilla.queretaro.gob.mx") -> str:
    """``HTTPS://HOST/E/<token>``: upper case so the QR can use its dense
    alphanumeric mode. ``origin`` is scheme and host only, since a path could
    be case-sensitive."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"origin must be scheme://host, not {origin!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("origin must not have a path, query or fragment")
    return f"{parts.scheme}://{parts.netloc}/E/{token}".upper()


def token_from_url(text: str) -> str:
    """The token in a scanned or pasted credential URL (any case, with or
    without query or fragment); text without a slash is returned stripped."""
    path = urlsplit(text.strip()).path if "/" in text else text
    return path.rstrip("/").rpartition("/")[2].strip()


def _segments(url: str) -> str | list[str]:
    """The URL as QR segments: what precedes a trailing run of digits, and the
    digits. segno picks each segment's densest mode (numeric for the digits,
    alphanumeric for an upper-case URL); one segment otherwise."""
    head, slash, tail = url.rpartition("/")
    if slash and tail.isdigit() and tail.isascii():
        return [head + slash, tail]
    return url


@functools.lru_cache(maxsize=1024)
def _qr(url: str) -> segno.QRCode:
    # One encoding per URL and process, shared by the drawing, the PNG and
    # qr_version (the page asked segno for the same code twice).
    # boost_error: use a higher error correction level when it fits in the
    # same version, which makes printed codes more robust for free.
    return segno.make(
        _segments(url),  # type: ignore[arg-type]  # segno's stubs: make() takes a list of segments too
        error=QR_ERROR,
        micro=False,
        boost_error=True,
    )


def qr_version(url: str) -> int:
    """The QR version (1-40) the URL needs at error correction M."""
    return int(_qr(url).version)


@functools.lru_cache(maxsize=1024)
def qr_svg(url: str, title: str = QR_TITLE) -> str:
    """An inline ``<svg>`` (no XML declaration, no fixed size: size it with
    CSS) with a ``<title>`` and ``role="img"`` for screen readers.

    Kept per process for the last 1,024 codes (about 6 KB each): the
    beneficiary's application page shows it on every visit, and encoding it
    (segno's mask selection in pure Python) cost ~15 ms of CPU, five times
    the rest of the page. A credential's URL never changes, so neither does
    its drawing."""
    svg = _qr(url).svg_inline(
        title=title, svgclass="qr", lineclass=None, omitsize=True, dark="#000", light="#fff"
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


def qr_png(url: str, scale: int = 8) -> bytes:
    """A PNG with ``scale`` pixels per module and the standard 4-module margin."""
    output = io.BytesIO()
    _qr(url).save(output, kind="png", scale=scale, border=4)
    return output.getvalue()
