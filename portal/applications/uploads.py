"""Checking and cleaning uploaded documents before they are stored.

:func:`inspect_upload` is the single gate for citizen documents. It trusts
neither the file name nor the browser's content type:

* the type is detected from the bytes (puremagic) and must then pass a strict
  check of its own: the signature at offset 0 and a real decode;
* JPEG and PNG are decoded and re-encoded with Pillow. Only pixels survive, so
  EXIF (GPS position, camera serial), ICC profiles, text chunks and anything
  appended or embedded (HTML, scripts, ZIP archives in polyglot files) are
  gone. The EXIF orientation is applied first so phone photos stay upright,
  large photos are scaled down, and the declared size is checked against our
  own pixel limit before anything is decoded (decompression bombs);
* PDFs are disarmed and rebuilt by :mod:`portal.applications.pdf`: parsed
  whole by qpdf, every action, script, XFA form, embedded file and media
  annotation stripped, and a fresh file written from the cleaned objects.
  What is stored (and what staff open) is always the rebuilt file, never the
  uploaded bytes; files that are damaged, polyglots or need a password are
  refused.

Every refusal is an :class:`UploadRejected` with a message in plain Spanish for
the person who uploaded the file.
"""

from __future__ import annotations

import io
import math
import re
import struct
import unicodedata
import warnings
import zlib
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import puremagic
from PIL import Image, ImageOps

from portal.applications import pdf
from portal.messages import Refusal, Text, _l

KINDS = ("pdf", "jpg", "png")
DEFAULT_ALLOWED: frozenset[str] = frozenset(KINDS)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Our own decompression-bomb limit, well below Pillow's default (89 MP): a
# 40 MP phone photo is the largest real document we expect.
MAX_PIXELS = 40_000_000
# Longest side after re-encoding: enough to read an ID card or a receipt, and
# a 12 MP photo drops from about 4 MB to well under 1 MB.
MAX_SIDE = 2400
JPEG_QUALITY = 85
FILENAME_MAX_CHARS = 100

CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
_KIND_BY_MIME = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_SIGNATURES = {"pdf": b"%PDF-", "jpg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n"}
_PILLOW_FORMATS = {"jpg": "JPEG", "png": "PNG"}
# Names as well as types: some desktop pickers filter only by extension.
_ACCEPT = {"jpg": ".jpg,.jpeg,image/jpeg", "png": ".png,image/png", "pdf": ".pdf,application/pdf"}
_PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"})

_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{n}" for n in range(1, 10)}
    | {f"LPT{n}" for n in range(1, 10)}
)
_FILENAME_FORBIDDEN = re.compile(r'[<>:"|?*]')


@dataclass(frozen=True)
class CleanFile:
    """A document that passed inspection; ``data`` is what should be stored."""

    kind: str  # "pdf", "jpg" or "png"
    content_type: str
    data: bytes
    filename: str  # safe to show and to send in Content-Disposition
    # What was changed that the person should know (active content taken
    # out of a PDF), to show beside "received"; None when nothing was.
    notice: Text | None = None


class UploadRejected(Refusal, ValueError):
    """The upload cannot be accepted; ``message`` is plain Spanish for the
    person, ``code`` is stable for programs and tests."""

    def __init__(self, code: str, message: Text) -> None:
        super().__init__(message)
        self.code = code


def refusal_status(rejected: UploadRejected) -> int:
    """A file over the limit is 413, as when the body is refused unread; any
    other refusal (kind, empty, damaged, over a cap) is a form to correct, 422."""
    return 413 if rejected.code == "too_large" else 422


def max_upload_bytes(config: Mapping[str, Any]) -> int:
    """The one size limit for a document, from the ``MAX_UPLOAD_MB`` setting:
    a citizen's upload and a scan at the counter are held to the same."""
    return int(config["MAX_UPLOAD_MB"]) * 1024 * 1024


# What a requirement accepts, said the same way on every page that takes a
# file (the citizen's documents, the counter, re-certification) and in the
# refusals. ``formats`` is a requirement's ``formats``: "pdf,jpg,png" or a list.


def accepted_kinds(formats: str | Iterable[str]) -> frozenset[str]:
    kinds = formats.split(",") if isinstance(formats, str) else formats
    return frozenset(kind.strip() for kind in kinds if kind.strip())


def _images(allowed: AbstractSet[str]) -> Text | str:
    """The kinds of photo accepted ("JPG o PNG"), or "" when none is."""
    if {"jpg", "png"} <= allowed:
        return _l("JPG o PNG")
    return " ".join(kind.upper() for kind in ("jpg", "png") if kind in allowed)


def format_hint(formats: str | Iterable[str], max_mb: int) -> Text:
    """The hint under a file field: "Solo PDF; máximo 5 MB." and so on."""
    allowed = accepted_kinds(formats)
    images = _images(allowed)
    if not images:
        return _l("Solo PDF; máximo %(mb)s MB.", mb=max_mb)
    if "pdf" not in allowed:
        return _l("Foto %(images)s; máximo %(mb)s MB.", images=images, mb=max_mb)
    return _l("Foto %(images)s, o PDF; máximo %(mb)s MB.", images=images, mb=max_mb)


def accept_types(formats: str | Iterable[str]) -> str:
    """The ``accept`` attribute of the file field: only what will be accepted."""
    allowed = accepted_kinds(formats)
    return ",".join(types for kind, types in _ACCEPT.items() if kind in allowed)


def photos_only(formats: str | Iterable[str]) -> bool:
    """Whether the field may open the camera straight away (``capture``): a
    phone that does would leave no way to choose a PDF."""
    return "pdf" not in accepted_kinds(formats)


def wrong_format_message(allowed: AbstractSet[str]) -> Text:
    """The refusal of a file of another kind, naming what is accepted."""
    images = _images(allowed)
    if not images:
        return _l(
            "Este requisito solo acepta PDF. Si tiene una foto del documento, guárdela como PDF "
            "(en muchos teléfonos: Compartir o Imprimir, y luego Guardar como PDF) y vuelva a "
            "subirla."
        )
    if "pdf" not in allowed:
        return _l(
            "Este requisito solo acepta fotos %(images)s. Tome una foto del documento y súbala.",
            images=images,
        )
    return _l(
        "Este requisito solo acepta una foto %(images)s o un PDF; este archivo no es ninguno "
        "de los dos. Elija una foto o un PDF del documento.",
        images=images,
    )


def _smaller_advice(allowed: AbstractSet[str]) -> Text:
    if not _images(allowed):
        return _l(
            "Reduzca el PDF (por ejemplo, escanéelo con menos resolución) y vuelva a subirlo."
        )
    if "pdf" not in allowed:
        return _l("Tome la foto con menos resolución y vuelva a subirla.")
    return _l("Tome la foto con menos resolución o reduzca el PDF y vuelva a subirlo.")


def too_large_message(formats: str | Iterable[str], max_mb: int) -> Text:
    """The refusal of a body over the limit, refused before it was read
    (``web.security``): its size is not known, only that it is too much."""
    return _l(
        "El archivo pesa más de %(maximum)s MB, el máximo. %(advice)s",
        maximum=max_mb,
        advice=_smaller_advice(accepted_kinds(formats)),
    )


def inspect_upload(
    data: bytes,
    filename: str,
    allowed: AbstractSet[str] = DEFAULT_ALLOWED,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_SIDE,
) -> CleanFile:
    """Check an upload and return what to store, or raise :class:`UploadRejected`."""
    unknown = set(allowed) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; known: {KINDS}")
    if not data:
        raise UploadRejected("empty", _l("El archivo está vacío; vuelva a elegirlo."))
    if len(data) > max_bytes:
        raise UploadRejected(
            "too_large",
            _l(
                "El archivo pesa %(size)s MB y el máximo es %(maximum)s MB. %(advice)s",
                size=_megabytes(len(data), round_up=True),
                maximum=_megabytes(max_bytes),
                advice=_smaller_advice(allowed),
            ),
        )
    kind = _detect_kind(data)
    if kind is None or kind not in allowed:
        raise UploadRejected("type", wrong_format_message(allowed))
    notice: Text | None = None
    if kind == "pdf":
        clean, notice = _disarm_pdf(data)
    else:
        clean = _reencode_image(data, kind, max_pixels, max_side)
    return CleanFile(
        kind=kind,
        content_type=CONTENT_TYPES[kind],
        data=clean,
        filename=safe_filename(filename, kind),
        notice=notice,
    )


def _megabytes(size: int, round_up: bool = False) -> str:
    """Size in MB with one decimal; rounded up for the file's size so that a
    file just over the limit never reads as equal to it."""
    tenths = size * 10 / (1024 * 1024)
    shown = (math.ceil(tenths) if round_up else math.floor(tenths)) / 10
    return f"{shown:.1f}".removesuffix(".0")


def _detect_kind(data: bytes) -> str | None:
    """The kind puremagic ranks first, if its signature is also at offset 0.

    puremagic also matches signatures found further into the file; requiring
    ours at the very start refuses files that only contain a document.
    """
    try:
        matches = puremagic.magic_string(data)
    except (puremagic.PureError, ValueError):
        return None
    if not matches:
        return None
    kind = _KIND_BY_MIME.get(matches[0].mime_type)
    if kind is None or not data.startswith(_SIGNATURES[kind]):
        return None
    return kind


def _reencode_image(data: bytes, kind: str, max_pixels: int, max_side: int) -> bytes:
    damaged = UploadRejected(
        "damaged",
        _l("La imagen está dañada o incompleta. Vuelva a tomar la foto o a guardarla."),
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limits; make it an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[kind]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error):
        raise damaged from None
    width, height = image.size
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    try:
        if kind == "jpg":
            # Decode at a reduced scale when the photo is much larger than
            # what we keep: faster and far less memory than full size.
            image.draft("RGB", (max_side, max_side))
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error):
        raise damaged from None
    if max(upright.size) > max_side:
        upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    if kind == "jpg" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    elif kind == "png" and ("transparency" in upright.info or upright.mode not in _PNG_MODES):
        # A transparent palette colour lives in the metadata dropped below;
        # an alpha channel keeps it as pixels.
        upright = upright.convert("RGBA")
    # Drop every piece of metadata (EXIF, ICC profile, text chunks) so that
    # only pixels are written.
    upright.info = {}
    output = io.BytesIO()
    if kind == "jpg":
        upright.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        upright.save(output, "PNG")
    return output.getvalue()


def _too_many_pixels(max_pixels: int) -> UploadRejected:
    return UploadRejected(
        "too_many_pixels",
        _l(
            "La imagen tiene demasiados píxeles: el máximo es de %(megapixels)s "
            "megapíxeles. Envíe una foto más pequeña.",
            megapixels=f"{max_pixels / 1_000_000:g}",
        ),
    )


def _disarm_pdf(data: bytes) -> tuple[bytes, Text | None]:
    try:
        disarmed = pdf.disarm(data)
    except pdf.PdfRefused as refused:
        raise UploadRejected(refused.code, refused.message) from None
    if not disarmed.removed:
        return disarmed.data, None
    removed = [str(kind) for kind in disarmed.removed_phrase()]
    phrase = (
        removed[0]
        if len(removed) == 1
        else _l("%(kinds)s y %(last)s", kinds=", ".join(removed[:-1]), last=removed[-1])
    )
    notice = _l(
        "Por seguridad quitamos del PDF %(removed)s. Las páginas no cambiaron: revise que el "
        "documento se lea bien.",
        removed=phrase,
    )
    return disarmed.data, notice


def safe_filename(filename: str, kind: str) -> str:
    """A name safe to show and to offer for download: no folders, no control
    or invisible characters (such as the right-to-left override used to
    disguise ``gpj.exe``), accents kept, at most :data:`FILENAME_MAX_CHARS`
    characters before an extension that matches the detected kind."""
    name = unicodedata.normalize("NFC", filename)
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = _FILENAME_FORBIDDEN.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip()
    stem, dot, extension = name.rpartition(".")
    if not dot or not re.fullmatch(r"\w{1,5}", extension):
        stem = name
    stem = stem[:FILENAME_MAX_CHARS].strip(" .")
    if not stem:
        stem = "documento"
    elif stem.upper() in _WINDOWS_RESERVED:
        stem += "_"
    return f"{stem}.{kind}"
