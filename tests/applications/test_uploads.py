"""Every input here is built in code; no binary fixtures are committed."""

import io
import random
import struct
import zipfile
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from portal.applications import uploads
from portal.applications.uploads import UploadRejected, inspect_upload
from portal.demo.samples import pdf_bytes

MB = 1024 * 1024


def image_bytes(size=(64, 48), fmt="JPEG", mode="RGB", noisy=True, seed=0, **save_options) -> bytes:
    """A real image; noisy pixels so that compressed data is large enough to
    truncate in the middle."""
    if noisy:
        rng = random.Random(seed)
        channels = len(Image.new(mode, (1, 1)).getbands())
        raw = bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * channels))
        image = Image.frombytes(mode, size, raw)
    else:
        image = Image.new(mode, size, "white" if mode != "P" else 0)
    output = io.BytesIO()
    image.save(output, fmt, **save_options)
    return output.getvalue()


def jpeg(**kwargs) -> bytes:
    return image_bytes(fmt="JPEG", **kwargs)


def png(**kwargs) -> bytes:
    return image_bytes(fmt="PNG", **kwargs)


def pdf(body_objects: list[bytes] | None = None, catalog_extra: bytes = b"", trailer_extra=b""):
    """A small, well-formed PDF with a correct cross-reference table. Extra
    objects are numbered from 4 on."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        *(body_objects or []),
    ]
    return pdf_bytes(objects, header=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", trailer_extra=trailer_extra)


def object_stream(content: bytes, dictionary_extra: bytes = b"", compress=True) -> bytes:
    """An /ObjStm object holding one object (number 10) whose text is ``content``."""
    header = b"10 0 "
    payload = header + content
    data = zlib.compress(payload) if compress else payload
    filters = b"/Filter /FlateDecode " if compress else b""
    return (
        b"<< /Type /ObjStm /N 1 /First %d /Length %d " % (len(header), len(data))
        + filters
        + dictionary_extra
        + b">>\nstream\n"
        + data
        + b"\nendstream"
    )


def rejected(data: bytes, filename="documento.pdf", **kwargs) -> UploadRejected:
    with pytest.raises(UploadRejected) as error:
        inspect_upload(data, filename, **kwargs)
    return error.value


# Accepted documents ---------------------------------------------------------


def test_a_valid_small_pdf_is_accepted_and_stored_rebuilt():
    document = pdf()
    clean = inspect_upload(document, "acta de nacimiento.pdf")
    assert (clean.kind, clean.content_type, clean.filename, clean.notice) == (
        "pdf",
        "application/pdf",
        "acta de nacimiento.pdf",
        None,
    )
    # Never the uploaded bytes: a fresh file written from the parsed objects.
    assert clean.data != document
    assert clean.data.startswith(b"%PDF-") and b"/ObjStm" in clean.data


def test_a_pdf_written_by_pillow_is_accepted():
    document = image_bytes(fmt="PDF", noisy=False)
    assert inspect_upload(document, "escaneo.pdf").kind == "pdf"


def test_a_pdf_with_a_clean_object_stream_is_accepted():
    document = pdf([object_stream(b"<< /Producer (Escaner de la oficina) >>")])
    assert inspect_upload(document, "comprobante.pdf").kind == "pdf"


@pytest.mark.parametrize(("maker", "kind"), [(jpeg, "jpg"), (png, "png")])
def test_images_are_accepted_and_re_encoded(maker, kind):
    original = maker()
    clean = inspect_upload(original, f"foto.{kind}")
    assert clean.kind == kind
    assert clean.content_type == uploads.CONTENT_TYPES[kind]
    assert clean.filename == f"foto.{kind}"
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.format == {"jpg": "JPEG", "png": "PNG"}[kind]
        assert image.size == (64, 48)


def test_the_extension_follows_the_content_not_the_name():
    clean = inspect_upload(png(), "captura.jpg")
    assert clean.kind == "png"
    assert clean.filename == "captura.png"


def test_large_photos_are_scaled_down():
    clean = inspect_upload(jpeg(size=(5000, 3000), noisy=False), "foto.jpg")
    with Image.open(io.BytesIO(clean.data)) as image:
        assert max(image.size) == uploads.MAX_SIDE
        assert image.size == (2400, 1440)


def test_a_phone_photo_with_gps_is_stripped_and_turned_upright():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # camera held upright: rotate 90° on display
    exif[ExifTags.Base.Make] = "TelefonoBarato"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (20.0, 35.0, 19.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (100.0, 23.0, 18.0),
    }
    original = jpeg(size=(80, 40), exif=exif.tobytes())
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    clean = inspect_upload(original, "IMG_0001.jpg")

    assert b"Exif" not in clean.data
    assert b"TelefonoBarato" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as image:
        assert not image.getexif()
        assert image.size == (40, 80)


def test_colour_profiles_and_text_chunks_are_dropped():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    info = PngInfo()
    info.add_text("Comment", "datos personales ocultos")
    original = png(icc_profile=profile, pnginfo=info)
    clean = inspect_upload(original, "a.png")
    assert b"iCCP" not in clean.data
    assert b"datos personales" not in clean.data


def test_palette_transparency_survives_as_an_alpha_channel():
    image = Image.new("P", (4, 4), 0)
    image.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    image.putpixel((0, 0), 1)
    output = io.BytesIO()
    image.save(output, "PNG", transparency=0)
    clean = inspect_upload(output.getvalue(), "firma.png")
    with Image.open(io.BytesIO(clean.data)) as result:
        assert result.mode == "RGBA"
        assert result.getpixel((1, 1))[3] == 0
        assert result.getpixel((0, 0)) == (0, 0, 0, 255)


def test_cmyk_jpegs_become_rgb():
    clean = inspect_upload(jpeg(mode="CMYK"), "escaneo.jpg")
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.mode == "RGB"


# Refused: type ----------------------------------------------------------------

WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 46 + b"PE\x00\x00"


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (WINDOWS_EXE + b"\x00" * 200, "tarea.pdf"),
        (b"Hola, esto es texto.\n" * 10, "acta.pdf"),
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "foto.jpg"),
        (
            (
                b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
                b"<script>alert(1)</script></svg>"
            ),
            "firma.png",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "firma.svg"),
        (image_bytes(fmt="GIF", mode="P", noisy=False), "foto.gif"),
        (image_bytes(fmt="BMP", noisy=False), "foto.jpg"),
        (b"PK\x03\x04" + b"\x00" * 100, "documento.pdf"),
        # An HTML page that merely contains a PNG is not a PNG.
        (b"<html><body>" + png(), "foto.png"),
        (b"\x00" * 16 + pdf(), "acta.pdf"),
    ],
)
def test_anything_but_pdf_jpg_or_png_is_refused_whatever_its_name(data, filename):
    error = rejected(data, filename)
    assert error.code == "type"
    assert error.message.startswith("Este requisito solo acepta una foto JPG o PNG o un PDF;")


@pytest.mark.parametrize(
    ("allowed", "start"),
    [
        ({"pdf"}, "Este requisito solo acepta PDF. Si tiene una foto del documento, guárdela"),
        ({"jpg", "png"}, "Este requisito solo acepta fotos JPG o PNG. Tome una foto"),
        ({"png", "pdf"}, "Este requisito solo acepta una foto PNG o un PDF;"),
    ],
)
def test_the_type_message_names_only_what_is_allowed(allowed, start):
    data = jpeg() if "jpg" not in allowed else pdf()
    assert rejected(data, allowed=allowed).message.startswith(start)


@pytest.mark.parametrize(
    ("formats", "hint", "accept", "photos_only"),
    [
        ("pdf", "Solo PDF; máximo 5 MB.", ".pdf,application/pdf", False),
        ("jpg,png", "Foto JPG o PNG; máximo 5 MB.", ".jpg,.jpeg,image/jpeg,.png,image/png", True),
        (
            "pdf,jpg,png",
            "Foto JPG o PNG, o PDF; máximo 5 MB.",
            ".jpg,.jpeg,image/jpeg,.png,image/png,.pdf,application/pdf",
            False,
        ),
        (
            ["png", "pdf"],
            "Foto PNG, o PDF; máximo 5 MB.",
            ".png,image/png,.pdf,application/pdf",
            False,
        ),
    ],
)
def test_the_hint_and_the_file_field_say_exactly_what_is_accepted(
    formats, hint, accept, photos_only
):
    assert str(uploads.format_hint(formats, 5)) == hint
    assert uploads.accept_types(formats) == accept
    assert uploads.photos_only(formats) is photos_only


@pytest.mark.parametrize(
    ("formats", "advice"),
    [
        ("pdf", "Reduzca el PDF"),
        ("jpg,png", "Tome la foto con menos resolución y vuelva a subirla."),
        ("pdf,jpg,png", "Tome la foto con menos resolución o reduzca el PDF y vuelva a subirlo."),
    ],
)
def test_the_too_large_message_gives_the_limit_and_what_to_do(formats, advice):
    message = str(uploads.too_large_message(formats, 10))
    assert message.startswith("El archivo pesa más de 10 MB, el máximo. ")
    assert advice in message


def test_unknown_kinds_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown kinds"):
        inspect_upload(pdf(), "a.pdf", allowed={"pdf", "docx"})


# Refused: size ----------------------------------------------------------------


def test_zero_bytes_are_refused():
    error = rejected(b"")
    assert (error.code, error.message) == ("empty", "El archivo está vacío; vuelva a elegirlo.")


def test_oversized_files_are_refused_before_anything_else():
    data = pdf() + b"%" + b"x" * (5 * MB)
    error = rejected(data)
    assert error.code == "too_large"
    assert error.message == (
        "El archivo pesa 5.1 MB y el máximo es 5 MB. Tome la foto con menos resolución o "
        "reduzca el PDF y vuelva a subirlo."
    )


def test_the_size_limit_is_configurable():
    assert "el máximo es 0 MB." in rejected(jpeg(), max_bytes=100).message
    assert inspect_upload(jpeg(), "a.jpg", max_bytes=MB).kind == "jpg"


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size (with a correct CRC)."""
    data = bytearray(png(size=(1, 1), noisy=False))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@pytest.mark.parametrize(("width", "height"), [(8000, 6000), (12000, 12000), (20000, 20000)])
def test_decompression_bombs_are_refused_before_decoding(width, height):
    error = rejected(png_declaring(width, height), "foto.png")
    assert error.code == "too_many_pixels"
    assert "el máximo es de 40 megapíxeles" in error.message


def test_the_pixel_limit_is_configurable():
    assert rejected(jpeg(size=(100, 100)), max_pixels=9_999).code == "too_many_pixels"


# Refused: damaged -------------------------------------------------------------


@pytest.mark.parametrize("maker", [jpeg, png], ids=["jpeg", "png"])
def test_truncated_images_are_refused(maker):
    data = maker(size=(200, 200))
    error = rejected(data[: len(data) // 2], "foto.jpg")
    assert error.code == "damaged"
    assert error.message.startswith("La imagen está dañada o incompleta.")


def test_a_truncated_pdf_is_refused():
    document = pdf()
    error = rejected(document[: len(document) - 40])
    assert error.code == "damaged"
    assert error.message.startswith("El PDF está incompleto o dañado.")


def test_an_image_with_a_valid_signature_but_garbage_inside_is_refused():
    assert rejected(b"\x89PNG\r\n\x1a\n" + b"\x00" * 300, "a.png").code == "damaged"


# Active content is stripped; encrypted or unreadable PDFs are refused -----------
# (the full hostile corpus is in test_pdf.py)

ACTIVE_CONTENT = [
    pytest.param(b"/OpenAction 4 0 R", [b"<< /S /JavaScript /JS (app.alert(1)) >>"], id="js"),
    pytest.param(b"/OpenAction 4 0 R", [b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"], id="escaped"),
    pytest.param(b"/OpenAction 4 0 R", [b"<< /S /Launch /F (cmd.exe) >>"], id="launch"),
    pytest.param(
        b"/Names << /EmbeddedFiles 4 0 R >>",
        [b"<< /Names [(a.exe) << /Type /Filespec /EF << /F 5 0 R >> >>] >>",
         b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream"],
        id="embedded-file",
    ),
    pytest.param(b"", [object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>")], id="objstm"),
    pytest.param(
        b"", [object_stream(b"<< /S /Launch /F (cmd.exe) >>", compress=False)],
        id="objstm-uncompressed",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("catalog", "objects"), ACTIVE_CONTENT)
def test_active_content_is_stripped_from_pdfs(catalog, objects):
    clean = inspect_upload(pdf(objects, catalog_extra=catalog), "documento.pdf")
    for trace in (b"JavaScript", b"app.alert", b"Launch", b"cmd.exe", b"EmbeddedFile", b"MZ"):
        assert trace not in clean.data
        assert trace not in zlib.decompress(clean.data.split(b"stream\n")[1])


def test_encrypted_pdfs_are_refused():
    encrypt = b"<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>"
    error = rejected(pdf([encrypt], trailer_extra=b"/Encrypt 4 0 R /ID [<01> <01>] "))
    assert error.code in ("pdf_encrypted", "damaged")
    assert error.message.startswith("El PDF")


def test_a_pdf_with_a_corrupt_deflate_stream_is_refused():
    stream = object_stream(b"<< >>").replace(b"stream\n" + b"x", b"stream\n" + b"\x00")
    assert rejected(pdf([stream])).code == "damaged"


@pytest.mark.parametrize("layers", [1, 2])
def test_a_stream_that_inflates_beyond_the_budget_is_refused(monkeypatch, layers):
    monkeypatch.setattr(uploads.pdf, "MAX_DECODED_BYTES", 8 * MB)
    bomb = b" " * (40 * MB)
    for _ in range(layers):
        bomb = zlib.compress(bomb, 9)
    filters = b" ".join([b"/FlateDecode"] * layers)
    stream = (
        b"<< /Type /ObjStm /N 1 /First 5 /Filter [%s] /Length %d >>\nstream\n"
        % (filters, len(bomb))
        + bomb
        + b"\nendstream"
    )
    assert rejected(pdf([stream])).code == "pdf_unreadable"


# Polyglots: only pixels survive -----------------------------------------------


def test_a_jpeg_with_a_zip_archive_appended_loses_the_archive():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("Exploit.class", b"\xca\xfe\xba\xbe payload")
    polyglot = jpeg() + archive.getvalue()
    clean = inspect_upload(polyglot, "foto.jpg")
    assert b"PK\x03\x04" not in clean.data
    assert b"Exploit" not in clean.data


def test_a_png_carrying_html_and_javascript_loses_them():
    script = b"<html><script>fetch('/mis-solicitudes').then(r=>r.text())</script></html>"
    info = PngInfo()
    info.add_text("Description", script.decode())
    polyglot = png(pnginfo=info) + script
    assert script in polyglot
    clean = inspect_upload(polyglot, "foto.png")
    assert b"<script" not in clean.data
    assert b"fetch" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.size == (64, 48)


# File names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "kind", "safe"),
    [
        ("../../etc/passwd.pdf", "pdf", "passwd.pdf"),
        ("..\\..\\Windows\\System32\\cmd.pdf", "pdf", "cmd.pdf"),
        ("C:\\fakepath\\INE frente.jpg", "jpg", "INE frente.jpg"),
        (
            "Comprobante de domicilio – Querétaro.pdf",
            "pdf",
            "Comprobante de domicilio – Querétaro.pdf",
        ),
        ("Cu\u0301rp de Nin\u0303o.pdf", "pdf", "Cúrp de Niño.pdf"),
        ("factura\u202egpj.exe", "jpg", "facturagpj.jpg"),
        ("acta\x00\r\n.pdf", "pdf", "acta.pdf"),
        ('a<b>c:"d"|e?*.pdf', "pdf", "a_b_c__d__e__.pdf"),
        ("   .pdf", "pdf", "documento.pdf"),
        ("", "png", "documento.png"),
        ("..", "pdf", "documento.pdf"),
        (".bashrc", "pdf", "bashrc.pdf"),
        ("CON.pdf", "pdf", "CON_.pdf"),
        ("foto", "jpg", "foto.jpg"),
        ("foto.jpeg", "jpg", "foto.jpg"),
        ("informe.final.v2.pdf", "pdf", "informe.final.v2.pdf"),
        ("x" * 300 + ".pdf", "pdf", "x" * 100 + ".pdf"),
        ("  muchos    espacios\t.pdf  ", "pdf", "muchos espacios.pdf"),
    ],
)
def test_file_names_are_made_safe(filename, kind, safe):
    assert uploads.safe_filename(filename, kind) == safe


def test_a_path_traversal_name_is_cleaned_on_a_real_upload():
    assert inspect_upload(pdf(), "../../etc/passwd.pdf").filename == "passwd.pdf"
