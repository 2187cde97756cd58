"""Sample files built in code: the demo's scans and the tests' uploads.

No binary file is committed; a PDF is written object by object with a correct
cross-reference table, an image is drawn with Pillow.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw


def pdf_bytes(
    objects: Sequence[bytes], *, header: bytes = b"%PDF-1.4\n", trailer_extra: bytes = b""
) -> bytes:
    """A PDF of ``objects`` (numbered from 1, the first the catalog) with a
    correct cross-reference table; ``trailer_extra`` goes into the trailer."""
    out = io.BytesIO()
    out.write(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1)
        + trailer_extra
        + b">>\nstartxref\n%d\n%%%%EOF\n" % xref
    )
    return out.getvalue()


def sample_pdf(title: str) -> bytes:
    """A one-page PDF with a line of text: what a scanned form printed to PDF looks like."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 14 Tf 40 760 Td (" + text + b") Tj ET"
    return pdf_bytes(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        ]
    )


def sample_jpeg(title: str) -> bytes:
    """A small photo-like JPEG with a caption."""
    image = Image.new("RGB", (320, 240), (214, 200, 180))
    ImageDraw.Draw(image).text((12, 12), title, fill=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()
