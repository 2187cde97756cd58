"""Disarm and rebuild uploaded PDFs with pikepdf (qpdf's full parser).

Reviewers open citizens' PDFs in desktop readers, which run scripts, follow
launch actions and open attachments. Matching byte patterns cannot see what a
reader sees (object streams behind chained filters, names escaped, padded
dictionaries), so :func:`disarm` parses the whole object graph instead and:

1. refuses what is not a PDF: truncated files (no ``%%EOF`` at the end),
   ``%PDF-`` followed by HTML, bytes appended after the last ``%%EOF``
   (PDF+ZIP, PDF+JPEG and similar polyglots), damaged streams, deflate bombs,
   files that need a password to open, no pages or too many;
2. **strips** every piece of active content, wherever it is referenced: every
   action (``/OpenAction``, ``/A``, ``/Next``, ``/PA``; additional actions
   ``/AA`` of the document, pages, fields and annotations; JavaScript, Launch,
   URI, SubmitForm, GoToR, ImportData, Rendition and the rest), the
   ``/JavaScript`` and ``/EmbeddedFiles`` name trees, XFA forms, embedded and
   associated files, and annotations that carry files or media (file
   attachments, RichMedia, Screen, Movie, Sound, 3D);
3. **rebuilds** the file: qpdf writes a fresh PDF from the cleaned objects
   that are still reachable from the catalog (anything unreferenced, such as
   a payload appended as an unused object, is left behind), with streams
   decoded and compressed again, object streams regenerated and encryption
   (an owner password that only restricts printing) removed;
4. re-reads the rebuilt file and walks every object again: if any active
   content survived, the file is refused rather than stored. The page count
   and each page's media box must be what they were.

Stripping rather than refusing is deliberate: links (``/URI``) and form
actions are common in ordinary certificates and bank statements, and what the
reviewer needs is the page content, which never changes. The person is told
what was removed (:attr:`Disarmed.removed`, shown by the upload page).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name, ObjectStreamMode, Pdf, StreamDecodeLevel

from portal.messages import Text, _l

MAX_PAGES = 300
# What all of a file's deflated streams may expand to: a 5 MB scan of 20
# uncompressed-looking pages is far below; a deflate bomb is far above.
MAX_DECODED_BYTES = 512 * 1024 * 1024
# Streams in filters other than deflate and images (LZW, run length, ASCII)
# are decoded whole by qpdf; only small ones are accepted.
MAX_RARE_FILTER_BYTES = 256 * 1024
_CHUNK = 64 * 1024
_FLATE_FILTERS = frozenset({"/FlateDecode", "/Fl"})
_GENERALIZED_FILTERS = _FLATE_FILTERS | {
    "/LZWDecode", "/LZW", "/RunLengthDecode", "/RL", "/ASCII85Decode", "/A85",
    "/ASCIIHexDecode", "/AHx",
}  # fmt: skip
# Writers put a newline or a few bytes of padding after %%EOF, never more.
EOF_WINDOW = 1024

# The action types of ISO 32000-2, table 201, plus Adobe's RichMedia one.
ACTION_TYPES = frozenset(
    {
        "/GoTo", "/GoToR", "/GoToE", "/GoToDp", "/Launch", "/Thread", "/URI", "/Sound",
        "/Movie", "/Hide", "/Named", "/SubmitForm", "/ResetForm", "/ImportData",
        "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView", "/JavaScript", "/ECMAScript",
        "/RichMediaExecute",
    }
)  # fmt: skip
# Keys whose value is an action (or a chain of them).
ACTION_KEYS = ("/A", "/OpenAction", "/Next", "/PA")
# Keys that are active content whatever their value.
ACTIVE_KEYS = frozenset(
    {"/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/RF", "/XFA", "/AF",
     "/RichMediaContent", "/RichMediaSettings", "/AlternatePresentations", "/Collection",
     "/NeedsRendering"}
)  # fmt: skip
# Annotations that carry a file, media or a 3D scene.
ACTIVE_ANNOTATIONS = frozenset(
    {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
)
ACTIVE_TYPES = frozenset({"/EmbeddedFile", "/Action", "/RichMediaContent"})

# What the person is told was removed, by kind.
_REMOVED_NAMES: dict[str, Text] = {
    "links": _l("enlaces a sitios o a otros archivos"),
    "scripts": _l("código (JavaScript)"),
    "actions": _l("acciones automáticas"),
    "attachments": _l("archivos adjuntos"),
    "forms": _l("formularios interactivos (XFA)"),
    "media": _l("contenido multimedia"),
}
_LINK_ACTIONS = frozenset({"/URI", "/GoToR", "/GoToE", "/GoTo", "/Thread", "/Named"})
_SCRIPT_ACTIONS = frozenset({"/JavaScript", "/ECMAScript"})
_MEDIA_ACTIONS = frozenset({"/Sound", "/Movie", "/Rendition", "/RichMediaExecute", "/GoTo3DView"})


class PdfRefused(Exception):
    """The PDF cannot be stored; ``code`` is stable, ``message`` plain Spanish."""

    def __init__(self, code: str, message: Text) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Disarmed:
    """The rebuilt PDF and what had to be removed from it."""

    data: bytes
    pages: int
    removed: frozenset[str] = field(default_factory=frozenset)

    def removed_phrase(self) -> list[Text]:
        return [_REMOVED_NAMES[kind] for kind in sorted(self.removed)]


def damaged() -> PdfRefused:
    return PdfRefused(
        "damaged",
        _l(
            "El PDF está incompleto o dañado. Vuelva a descargarlo o a generarlo (por "
            "ejemplo, imprímalo como PDF o escanéelo de nuevo)."
        ),
    )


def encrypted() -> PdfRefused:
    return PdfRefused(
        "pdf_encrypted",
        _l(
            "El PDF está protegido con contraseña. Ábralo, guarde el archivo sin contraseña "
            "(o imprímalo como PDF) y vuelva a enviarlo."
        ),
    )


def unreadable() -> PdfRefused:
    return PdfRefused(
        "pdf_unreadable",
        _l(
            "No pudimos revisar este PDF. Imprima el documento como PDF o escanéelo y vuelva "
            "a intentarlo."
        ),
    )


def disarm(data: bytes, *, max_pages: int = MAX_PAGES) -> Disarmed:
    """Parse, strip and rebuild ``data``; raise :class:`PdfRefused` if it
    cannot be made safe. The returned bytes are what should be stored."""
    end = data.rfind(b"%%EOF")
    if not data.startswith(b"%PDF-") or end == -1 or len(data) - end > EOF_WINDOW:
        raise damaged()
    if data[end + 5 :].strip(b" \t\r\n\x00"):
        # Something appended after the end: a ZIP archive's directory or a
        # JPEG (polyglots that are a PDF to one program, a ZIP to another).
        raise damaged()
    try:
        # A broken cross-reference table is repaired, as every reader does;
        # the rebuilt file then has a correct one, so every reader sees what
        # qpdf saw. Truncation was refused above (no %%EOF at the end), and a
        # file with no objects to recover (HTML after the header) fails here.
        with Pdf.open(io.BytesIO(data)) as pdf:
            return _disarm_open(pdf, max_pages)
    except pikepdf.PasswordError:
        raise encrypted() from None
    except PdfRefused:
        raise
    except (pikepdf.PdfError, pikepdf.ForeignObjectError, ValueError, TypeError, KeyError):
        raise damaged() from None
    except RecursionError:
        raise unreadable() from None


def _disarm_open(pdf: Pdf, max_pages: int) -> Disarmed:
    pages = len(pdf.pages)
    if pages == 0:
        raise damaged()
    if pages > max_pages:
        raise PdfRefused(
            "pdf_too_many_pages",
            _l(
                "El PDF tiene %(pages)s páginas y el máximo es %(maximum)s. Envíe solo las "
                "páginas del documento que se pide.",
                pages=pages,
                maximum=max_pages,
            ),
        )
    boxes = [_box(page.obj) for page in pdf.pages]
    _check_streams(pdf)
    removed = _strip(pdf)
    # A fresh trailer: the catalog and document information only (qpdf adds
    # the cross-reference keys; it needs a /Size to replace, which a repaired
    # file may lack). Anything else hanging from the trailer is left behind.
    for key in set(pdf.trailer.keys()) - {"/Root", "/Info"}:
        del pdf.trailer[key]
    pdf.trailer.Size = 0
    output = io.BytesIO()
    pdf.save(
        output,
        encryption=False,
        compress_streams=True,
        stream_decode_level=StreamDecodeLevel.generalized,
        object_stream_mode=ObjectStreamMode.generate,
        fix_metadata_version=False,
        deterministic_id=True,
    )
    rebuilt = output.getvalue()
    with Pdf.open(io.BytesIO(rebuilt), attempt_recovery=False) as check:
        if len(check.pages) != pages or [_box(p.obj) for p in check.pages] != boxes:
            raise unreadable()
        if next(active_content(check), None) is not None:
            raise unreadable()
    return Disarmed(data=rebuilt, pages=pages, removed=frozenset(removed))


def _check_streams(pdf: Pdf) -> None:
    """Decode every stream qpdf will decode when rebuilding, within a budget.

    qpdf copies a stream it cannot decode as it is, so a damaged stream would
    go unnoticed; and a small deflate stream can expand to gigabytes. Flate
    chains are inflated here piece by piece (constant memory) against
    :data:`MAX_DECODED_BYTES` for the whole file; the rarer filters are
    decoded by qpdf only when their encoded data is small.
    """
    budget = MAX_DECODED_BYTES
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        filters = obj.stream_dict.get("/Filter")
        names = [str(f) for f in filters] if isinstance(filters, Array) else [str(filters)]
        if filters is None or not set(names) <= _GENERALIZED_FILTERS:
            # Unfiltered, or a chain with an image filter (JPEG, JPEG 2000,
            # fax, JBIG2) that only readers decode: qpdf copies it as it is.
            continue
        if set(names) <= _FLATE_FILTERS:
            budget -= _inflated_size(obj.read_raw_bytes(), len(names), budget)
            continue
        if len(obj.read_raw_bytes()) > MAX_RARE_FILTER_BYTES:
            raise unreadable()
        budget -= len(obj.read_bytes(pikepdf.StreamDecodeLevel.generalized))
        if budget < 0:
            raise unreadable()


def _inflated_size(raw: bytes, layers: int, budget: int) -> int:
    """Inflate ``raw`` through ``layers`` chained deflate decoders, holding
    no more than a chunk per layer in memory; the size of the result."""
    pieces: Iterator[bytes] = (raw[i : i + _CHUNK] for i in range(0, len(raw), _CHUNK))
    for _ in range(layers):
        pieces = _inflate(pieces)
    total = 0
    try:
        for piece in pieces:
            total += len(piece)
            if total > budget:
                raise unreadable()
    except zlib.error:
        raise damaged() from None
    return total


def _inflate(pieces: Iterator[bytes]) -> Iterator[bytes]:
    decoder = zlib.decompressobj()
    for piece in pieces:
        data = piece
        while data and not decoder.eof:
            output = decoder.decompress(data, _CHUNK)
            if output:
                yield output
            data = decoder.unconsumed_tail
        if decoder.eof:
            # Readers ignore what follows the end of the deflate data.
            return
    rest = decoder.flush()
    if rest:
        yield rest


def _box(page: pikepdf.Object) -> list[float]:
    box = page.get("/MediaBox")
    if not isinstance(box, Array):
        return []
    return [float(value) for value in box]


def _strip(pdf: Pdf) -> set[str]:
    """Remove active content in place; return the kinds removed."""
    removed: set[str] = set()
    root = pdf.Root
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        for key, kind in (
            ("/JavaScript", "scripts"),
            ("/EmbeddedFiles", "attachments"),
            ("/AlternatePresentations", "media"),
            ("/Renditions", "media"),
        ):
            if key in names:
                del names[key]
                removed.add(kind)
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary) and "/XFA" in form:
        del form["/XFA"]
        removed.add("forms")
    if "/URI" in root:  # a base URI for relative links
        del root["/URI"]
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        if not isinstance(annotations, Array):
            continue
        kept = [a for a in annotations if _annotation_subtype(a) not in ACTIVE_ANNOTATIONS]
        if len(kept) != len(annotations):
            removed.add("attachments" if _has_attachment(annotations) else "media")
            page.obj["/Annots"] = Array(kept)
    for dictionary in _dictionaries(pdf):
        removed |= _strip_dictionary(dictionary)
    return removed


def _dictionaries(pdf: Pdf) -> Iterator[pikepdf.Object]:
    """Every dictionary in the file: each indirect object's (a stream's own
    dictionary included), the trailer, and the direct dictionaries nested in
    them, such as an annotation written inside a page's /Annots array."""
    for obj in [pdf.trailer, *pdf.objects]:
        yield from _nested(obj, top=True)


def _nested(obj: object, top: bool = False) -> Iterator[pikepdf.Object]:
    if not isinstance(obj, pikepdf.Object):
        return  # numbers and booleans come back as Python values
    if obj.is_indirect and not top:
        return  # visited on its own
    if isinstance(obj, pikepdf.Stream):
        obj = obj.stream_dict
    if isinstance(obj, Dictionary):
        yield obj
        values = [obj[key] for key in list(obj.keys())]
    elif isinstance(obj, Array):
        values = list(obj)
    else:
        return
    for value in values:
        yield from _nested(value)


def _strip_dictionary(dictionary: pikepdf.Object) -> set[str]:
    removed: set[str] = set()
    for key in ACTION_KEYS:
        value = dictionary.get(key)
        if value is None:
            continue
        if not _is_action(value):
            # An /OpenAction destination (which page to open on), an outline
            # item's next sibling, a structure element's attributes.
            continue
        removed |= _action_kinds(value)
        del dictionary[key]
    for key in ACTIVE_KEYS & set(dictionary.keys()):
        if key == "/AA":
            removed.add("actions")
        elif key in ("/JS", "/JavaScript"):
            removed.add("scripts")
        elif key == "/XFA":
            removed.add("forms")
        elif key in ("/RichMediaContent", "/RichMediaSettings", "/AlternatePresentations"):
            removed.add("media")
        else:
            removed.add("attachments")
        del dictionary[key]
    return removed


def _is_action(value: pikepdf.Object) -> bool:
    if isinstance(value, Array):
        return any(_is_action(item) for item in value)
    if not isinstance(value, Dictionary):
        return False
    return value.get("/Type") == Name.Action or str(value.get("/S", "")) in ACTION_TYPES


def _action_kinds(value: pikepdf.Object) -> set[str]:
    kinds: set[str] = set()
    actions = list(value) if isinstance(value, Array) else [value]
    for action in actions:
        if not isinstance(action, Dictionary):
            continue
        kind = str(action.get("/S", ""))
        if kind in _SCRIPT_ACTIONS:
            kinds.add("scripts")
        elif kind in _LINK_ACTIONS:
            kinds.add("links")
        elif kind in _MEDIA_ACTIONS:
            kinds.add("media")
        else:
            kinds.add("actions")
    return kinds


def _annotation_subtype(annotation: pikepdf.Object) -> str:
    if not isinstance(annotation, Dictionary):
        return ""
    return str(annotation.get("/Subtype", ""))


def _has_attachment(annotations: pikepdf.Object) -> bool:
    return any(_annotation_subtype(a) == "/FileAttachment" for a in annotations)


def active_content(pdf: Pdf) -> Iterator[str]:
    """Describe every piece of active content left in ``pdf``: used on the
    rebuilt file as the last check, and by the tests on what is stored."""
    for number, dictionary in enumerate(_dictionaries(pdf)):
        keys = set(dictionary.keys())
        for key in sorted(keys & ACTIVE_KEYS):
            yield f"dictionary {number}: key {key}"
        for key in ACTION_KEYS:
            if key in keys and _is_action(dictionary[key]):
                yield f"dictionary {number}: action under {key}"
        if str(dictionary.get("/S", "")) in ACTION_TYPES and (
            "/Type" not in keys or dictionary.get("/Type") == Name.Action
        ):
            yield f"dictionary {number}: action {dictionary.get('/S')}"
        if str(dictionary.get("/Type", "")) in ACTIVE_TYPES:
            yield f"dictionary {number}: type {dictionary.get('/Type')}"
        if str(dictionary.get("/Subtype", "")) in ACTIVE_ANNOTATIONS and (
            dictionary.get("/Type") in (None, Name.Annot)
        ):
            yield f"dictionary {number}: annotation {dictionary.get('/Subtype')}"
