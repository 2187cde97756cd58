import base64
import io
import json
import random
import shutil
import subprocess
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
import segno
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from portal.applications import folio
from portal.delivery import credentials
from portal.delivery.credentials import (
    CredentialClaims,
    CredentialError,
    CredentialKeyError,
    generate_keypair,
    sign,
    verify,
)

REPO = Path(__file__).resolve().parents[2]
PRIVATE, PUBLIC = generate_keypair()
OTHER_PRIVATE, OTHER_PUBLIC = generate_keypair()
TODAY = date(2026, 6, 1)
REALISTIC_ORIGIN = "https://ventanilla.queretaro.gob.mx"

# RFC 8037, appendix A.1-A.3: an Ed25519 key and its JWK thumbprint.
RFC_8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC_8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC_8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def make_claims(**overrides) -> CredentialClaims:
    defaults = {
        "credential_id": "0123456789abcdef",
        "folio": folio.new_folio(year=2026, rng=random.Random(1)),
        "program_id": 12,
        "issued": date(2026, 3, 2),
        "expires": date(2026, 12, 31),
    }
    return CredentialClaims(**(defaults | overrides))


def token_bytes(token: str) -> bytearray:
    return bytearray(int(token).to_bytes(credentials.TOKEN_BYTES, "big"))


def token_text(raw: bytes) -> str:
    return str(int.from_bytes(raw, "big")).zfill(credentials.TOKEN_DIGITS)


def signed_raw(payload: bytes) -> str:
    """A token for an arbitrary payload, properly signed."""
    return token_text(payload + PRIVATE.sign(credentials.SIGNING_CONTEXT + payload))


def error_of(token: str, public_key=PUBLIC, today=TODAY) -> CredentialError:
    with pytest.raises(CredentialError) as error:
        verify(token, public_key, today=today)
    return error.value


# Signing and verifying --------------------------------------------------------


def test_a_signed_credential_verifies_to_the_same_claims():
    claims = make_claims()
    token = sign(claims, PRIVATE)
    assert verify(token, PUBLIC, today=TODAY) == claims


def test_the_token_is_212_digits_and_deterministic():
    token = sign(make_claims(), PRIVATE)
    assert len(token) == credentials.TOKEN_DIGITS == 212
    assert token.isdigit()
    assert sign(make_claims(), PRIVATE) == token


def test_a_credential_without_expiry_never_expires():
    claims = make_claims(expires=None)
    assert verify(sign(claims, PRIVATE), PUBLIC, today=date(2150, 1, 1)) == claims


def test_the_layout_is_the_documented_one():
    claims = make_claims(folio="QRO-26-7878AB6", program_id=0x0102)
    raw = token_bytes(sign(claims, PRIVATE))
    assert raw[0] == 1
    assert raw[1:9].hex() == "0123456789abcdef"
    assert int.from_bytes(raw[9:12], "big") == 17 * 27**2 + 18 * 27 + 15  # Q R O
    assert raw[12] == 26
    digits = [folio.ALPHABET.index(c) for c in "7878AB6"]
    assert int.from_bytes(raw[13:18], "big") == sum(
        d * 29**p for p, d in enumerate(reversed(digits))
    )
    assert raw[18:20] == b"\x01\x02"
    assert int.from_bytes(raw[20:22], "big") == (date(2026, 3, 2) - date(2020, 1, 1)).days
    assert int.from_bytes(raw[22:24], "big") == (date(2026, 12, 31) - date(2020, 1, 1)).days
    PUBLIC.verify(bytes(raw[24:]), b"ventanilla-unica/credencial\x00" + bytes(raw[:24]))


folios = st.builds(
    lambda prefix, year, seed: folio.new_folio(prefix, year, random.Random(seed)),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=4),
    st.integers(2000, 2099),
    st.integers(0, 2**32),
)
days = st.dates(min_value=date(2020, 1, 2), max_value=date(2199, 6, 1))


@settings(max_examples=200)
@given(
    credential_id=st.binary(min_size=8, max_size=8).map(bytes.hex),
    number=folios,
    program_id=st.integers(1, 65535),
    issued=days,
    expires_after=st.one_of(st.none(), st.integers(0, 3000)),
)
def test_any_valid_claims_round_trip(credential_id, number, program_id, issued, expires_after):
    expires = None
    if expires_after is not None:
        expires = min(date.fromordinal(issued.toordinal() + expires_after), date(2199, 6, 6))
    claims = CredentialClaims(credential_id, number, program_id, issued, expires)
    assert verify(sign(claims, PRIVATE), PUBLIC, today=issued) == claims


def test_new_credential_ids_are_random_hex():
    ids = {credentials.new_credential_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)


# Refusals ---------------------------------------------------------------------


@pytest.mark.parametrize("offset", [1, 8, 9, 12, 13, 17, 18, 20, 22, 23, 24, 50, 87])
def test_an_altered_byte_is_a_bad_signature(offset):
    raw = token_bytes(sign(make_claims(), PRIVATE))
    raw[offset] ^= 0x01
    error = error_of(token_text(raw))
    assert error.code == "bad_signature"
    assert error.message == "La firma no es válida: la credencial es falsa o fue alterada."


@settings(max_examples=100)
@given(position=st.integers(0, 211), digit=st.sampled_from("0123456789"))
def test_an_altered_digit_is_refused(position, digit):
    token = sign(make_claims(), PRIVATE)
    if token[position] == digit:
        return
    altered = token[:position] + digit + token[position + 1 :]
    assert error_of(altered).code in {"bad_signature", "malformed", "unsupported_version"}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],
        lambda t: t[:100],
        lambda t: t + "0",
        lambda t: "",
        lambda t: t[:-1] + "A",
        lambda t: "9" * 212,  # more than 88 bytes can hold
        lambda t: "٣" * 212,  # digits, but not ASCII ones
        lambda t: t[:100] + " " + t[100:],
    ],
    ids=["one-short", "half", "one-long", "empty", "letter", "too-big", "arabic", "space"],
)
def test_truncated_or_garbled_tokens_are_malformed(mangle):
    error = error_of(mangle(sign(make_claims(), PRIVATE)))
    assert error.code == "malformed"
    assert error.message == "El código no es una credencial del portal o está incompleto."


def test_surrounding_whitespace_is_ignored():
    token = sign(make_claims(), PRIVATE)
    assert verify(f"  {token}\n", PUBLIC, today=TODAY) == make_claims()


def test_another_key_is_a_bad_signature():
    assert error_of(sign(make_claims(), OTHER_PRIVATE)).code == "bad_signature"
    assert error_of(sign(make_claims(), PRIVATE), OTHER_PUBLIC).code == "bad_signature"


def test_an_expired_credential_is_refused_with_its_claims():
    claims = make_claims(expires=date(2026, 5, 31))
    token = sign(claims, PRIVATE)
    assert verify(token, PUBLIC, today=date(2026, 5, 31)) == claims
    error = error_of(token, today=date(2026, 6, 1))
    assert error.code == "expired"
    assert error.message == "La credencial venció el 31/05/2026."
    assert error.claims == claims


def test_a_future_format_version_is_named_as_such():
    raw = token_bytes(sign(make_claims(), PRIVATE))
    error = error_of(signed_raw(b"\x02" + bytes(raw[1:24])))
    assert error.code == "unsupported_version"


@pytest.mark.parametrize(
    ("payload_change", "why"),
    [
        ({10: 0x30, 11: 0x78}, "a zero base-27 digit in the prefix: Q, 0, O"),
        ({13: 0xFF}, "folio body out of range"),
        ({12: 120}, "year out of range"),
        ({18: 0, 19: 0}, "program id 0"),
        ({17: 0}, "wrong folio check character"),
    ],
)
def test_a_signed_but_undecodable_payload_is_malformed(payload_change, why):
    payload = token_bytes(sign(make_claims(), PRIVATE))[:24]
    for offset, value in payload_change.items():
        payload[offset] = value
    assert error_of(signed_raw(bytes(payload))).code == "malformed", why


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"credential_id": "0123456789ABCDEF"}, "credential_id"),
        ({"credential_id": "0123"}, "credential_id"),
        ({"folio": "QRO-26-7878AB7"}, "not a valid folio"),
        ({"folio": "qro-26-7878ab6"}, "must be canonical"),
        ({"folio": "QUERE-26-7878AB6"}, "must be canonical"),
        ({"folio": "QRO-26-7878AB6-"}, "must be canonical"),
        ({"program_id": 0}, "program_id"),
        ({"program_id": 65536}, "program_id"),
        ({"issued": date(2019, 12, 31)}, "issued"),
        ({"issued": date(2200, 1, 1), "expires": None}, "issued"),
        ({"expires": date(2026, 3, 1)}, "expires"),
        ({"issued": date(2020, 1, 1), "expires": date(2020, 1, 1)}, "expires"),
    ],
)
def test_claims_that_cannot_be_encoded_are_refused_when_signing(overrides, message):
    with pytest.raises(ValueError, match=message):
        sign(make_claims(**overrides), PRIVATE)


# Keys -------------------------------------------------------------------------


def test_a_private_key_loads_from_pem_and_from_base64():
    pem = PRIVATE.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    encoded = credentials.private_key_base64(PRIVATE)
    for source in (pem, pem.decode(), encoded, f"  {encoded}\n"):
        loaded = credentials.load_private_key(source)
        assert credentials.public_key_pem(loaded.public_key()) == credentials.public_key_pem(PUBLIC)


def test_the_rfc_8037_key_gives_the_rfc_public_key_and_thumbprint():
    private_key = credentials.load_private_key(RFC_8037_D)
    jwk = credentials.public_key_jwk(private_key.public_key())
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": RFC_8037_X,
        "kid": RFC_8037_THUMBPRINT,
        "alg": "EdDSA",
        "use": "sig",
    }


def test_a_public_key_loads_from_pem_jwk_and_base64():
    expected = credentials.public_key_pem(PUBLIC)
    jwk = credentials.public_key_jwk(PUBLIC)
    for source in (expected, expected.encode(), json.dumps(jwk), jwk["x"]):
        assert credentials.public_key_pem(credentials.load_public_key(source)) == expected


def ec_private_pem(password: bytes | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def encrypted_ed25519_pem() -> bytes:
    return PRIVATE.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secreto"),
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("not a key!", "neither PEM nor base64"),
        (base64.b64encode(b"x" * 16).decode(), "32 bytes, not 16"),
        (ec_private_pem(), "not Ed25519"),
        (encrypted_ed25519_pem(), "not an unencrypted private key"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not an unencrypted"),
    ],
)
def test_unusable_private_keys_are_explained(source, message):
    with pytest.raises(CredentialKeyError, match=message):
        credentials.load_private_key(source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('{"kty": "EC", "crv": "P-256", "x": "AAAA"}', "not an OKP Ed25519 key"),
        ('{"kty": "OKP", ', "not valid JSON"),
        ("[1, 2]", "neither PEM nor base64"),
        (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode(),
            "not Ed25519",
        ),
    ],
)
def test_unusable_public_keys_are_explained(source, message):
    with pytest.raises(CredentialKeyError, match=message):
        credentials.load_public_key(source)


# URLs and QR codes ------------------------------------------------------------


def realistic_url(claims=None) -> str:
    return credentials.credential_url(sign(claims or make_claims(), PRIVATE), REALISTIC_ORIGIN)


def test_the_credential_url_is_upper_case_with_the_token_last():
    token = sign(make_claims(), PRIVATE)
    url = credentials.credential_url(token, REALISTIC_ORIGIN + "/")
    assert url == f"HTTPS://VENTANILLA.QUERETARO.GOB.MX/E/{token}"
    assert credentials.token_from_url(url) == token
    assert credentials.token_from_url(url.lower() + "?origen=camara#x") == token
    assert credentials.token_from_url(f" {token} ") == token


@pytest.mark.parametrize(
    "origin", ["ventanilla.queretaro.gob.mx", "https://host/portal", "https://host/?a=1", "ftp://h"]
)
def test_the_origin_must_be_scheme_and_host(origin):
    with pytest.raises(ValueError):
        credentials.credential_url("1" * 212, origin)


def test_the_realistic_url_fits_version_7_at_error_correction_m():
    url = realistic_url()
    assert credentials.qr_version(url) == 7
    # The same URL in one segment, or in lower case, needs a larger code.
    assert segno.make(url, error="m", boost_error=False).version > 7
    assert credentials.qr_version(url.lower()) > 7


def test_the_version_does_not_depend_on_the_claims():
    versions = {
        credentials.qr_version(realistic_url(make_claims(folio=number, expires=None)))
        for number in (
            "QRO-26-ZZZZZZ" + folio.check_character(26, "ZZZZZZ"),
            "CDMX-99-222222" + folio.check_character(99, "222222"),
        )
    }
    assert versions == {7}


def test_version_5_cannot_hold_any_signed_credential_url():
    # The shortest plausible URL, a version byte, an 8-byte credential id and
    # the 64-byte signature, in the densest modes, already need version 6.
    shortest = ["HTTPS://X.MX/E/", str(2 ** (8 * 73) - 1)]
    assert segno.make(shortest, error="m", boost_error=False).version == 6
    # And the realistic URL leaves room for at most 14 payload bytes in version 6.
    prefix = "HTTPS://VENTANILLA.QUERETARO.GOB.MX/E/"
    fits = segno.make([prefix, str(2 ** (8 * 78) - 1)], error="m", boost_error=False)
    too_big = segno.make([prefix, str(2 ** (8 * 79) - 1)], error="m", boost_error=False)
    assert (fits.version, too_big.version) == (6, 7)


def test_the_svg_is_small_accessible_and_sized_by_css():
    svg = credentials.qr_svg(realistic_url())
    assert len(svg) < 4000
    root = ElementTree.fromstring(svg)
    assert root.tag == "svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 53 53"  # 45 modules and a 4-module margin
    assert root.get("width") is None and root.get("height") is None
    assert root[0].tag == "title"
    assert root[0].text == "Código QR de su credencial de entrega"
    assert "<script" not in svg and "<?xml" not in svg


def test_the_svg_title_can_be_changed_and_is_escaped():
    svg = credentials.qr_svg(realistic_url(), title="Credencial de Ana <López>")
    assert ElementTree.fromstring(svg)[0].text == "Credencial de Ana <López>"


def test_a_code_is_encoded_once_per_url_and_process(monkeypatch):
    # The beneficiary's page shows the code on every visit: segno's encoding
    # (~15 ms of CPU) runs once per URL, shared by the drawing and the version.
    url = realistic_url() + "7"
    made = []
    real_make = segno.make
    monkeypatch.setattr(segno, "make", lambda *a, **k: made.append(a) or real_make(*a, **k))
    first = credentials.qr_svg(url, title="Credencial")
    assert credentials.qr_svg(url, title="Credencial") is first
    assert 6 <= credentials.qr_version(url) <= 40
    credentials.qr_png(url)
    assert len(made) == 1
    # Another URL is another code.
    assert credentials.qr_svg(realistic_url() + "8", title="Credencial") != first
    assert len(made) == 2


def test_the_png_has_a_quiet_zone_and_the_requested_scale():
    data = credentials.qr_png(realistic_url(), scale=4)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (53 * 4, 53 * 4)
        assert image.convert("L").getpixel((0, 0)) == 255


VERIFY_IN_NODE = r"""
import { createRequire } from "node:module";
const require = createRequire(process.cwd() + "/");
const jsQR = require("jsqr");
const input = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const code = jsQR(new Uint8ClampedArray(Buffer.from(input.rgba, "base64")),
                  input.width, input.height);
const digits = code.data.split("/").pop();
const bytes = new Uint8Array(88);
for (let i = 87, v = BigInt(digits); i >= 0; i--, v >>= 8n) bytes[i] = Number(v & 0xffn);
const key = await crypto.subtle.importKey(
    "jwk", input.jwk, { name: "Ed25519" }, false, ["verify"]);
const context = new TextEncoder().encode("ventanilla-unica/credencial\0");
const message = new Uint8Array(context.length + 24);
message.set(context);
message.set(bytes.slice(0, 24), context.length);
const genuine = await crypto.subtle.verify("Ed25519", key, bytes.slice(24), message);
message[context.length + 5] ^= 1;
const altered = await crypto.subtle.verify("Ed25519", key, bytes.slice(24), message);
console.log(JSON.stringify({ url: code.data, version: code.version, genuine, altered }));
"""


@pytest.mark.skipif(
    shutil.which("node") is None or not (REPO / "node_modules" / "jsqr").is_dir(),
    reason="needs node and the npm packages (jsqr)",
)
def test_a_browser_style_verifier_reads_the_qr_and_checks_the_signature():
    """jsQR (the npm reader the delivery page uses) decodes the PNG and
    WebCrypto verifies the signature following only the documented layout."""
    url = realistic_url()
    with Image.open(io.BytesIO(credentials.qr_png(url, scale=4))) as image:
        rgba = image.convert("RGBA")
    request = {
        "width": rgba.width,
        "height": rgba.height,
        "rgba": base64.b64encode(rgba.tobytes()).decode(),
        "jwk": credentials.public_key_jwk(PUBLIC),
    }
    result = subprocess.run(
        ["node", "--input-type=module", "--no-warnings", "-e", VERIFY_IN_NODE],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == {
        "url": url,
        "version": 7,
        "genuine": True,
        "altered": False,
    }
