"""Checking uploaded materials by their content, and the photo rules.

Everything here works on bytes and raises MaterialRejected with a stable code (API.md
"Attachments") and a Chinese message saying exactly what is wrong. Nothing is stored until a file
has passed; images are re-encoded (orientation applied, metadata dropped) before storage.
"""

import colorsys
import hashlib
import io
import re
import threading
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from .models import AttachmentKind

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}
ALLOWED = {AttachmentKind.PHOTO: {JPEG}}  # every other kind: JPEG, PNG or PDF
PHOTO_MIN_BYTES = 30 * 1024
PHOTO_MIN_SIZE = (295, 413)
# Markers of a web page hidden in a PDF (a polyglot a browser might run). Long enough that binary
# streams do not contain them by chance. Images need no such check: they are re-encoded.
POLYGLOT_MARKERS = re.compile(
    rb"<script|<html|<iframe|<!doctype\s+html|<body[\s>]|<svg[\s>/]|<img[\s/]|<object[\s>]|<embed[\s>]|javascript:",
    re.IGNORECASE,
)
# What makes a PDF do something beyond showing pages: run a script, start a program, open or fetch
# another file, play media, send or load form data. Refused wherever it appears (see _active_content).
ACTIVE_ACTIONS = {
    "/JavaScript": "脚本（JavaScript）",
    "/Launch": "启动外部程序的动作",
    "/GoToR": "打开其他文件的链接",
    "/GoToE": "打开嵌入文件的链接",
    "/Rendition": "多媒体播放动作",
    "/RichMediaExecute": "多媒体播放动作",
    "/Sound": "声音播放动作",
    "/Movie": "视频播放动作",
    "/SubmitForm": "提交表单数据的动作",
    "/ImportData": "导入外部数据的动作",
    "/ResetForm": "重置表单的动作",
}
ACTIVE_ANNOTATIONS = {
    "/FileAttachment": "附件批注（夹带文件）",
    "/RichMedia": "多媒体内容",
    "/Screen": "多媒体内容",
    "/Movie": "视频",
    "/Sound": "声音",
    "/3D": "三维内容",
}
PDF_MAX_OBJECTS = 200_000  # far more than any scanned document has; bounds the walk on crafted files


class MaterialRejected(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    sha256: str
    width: int | None = None
    height: int | None = None

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def read_limited(uploaded, limit: int | None = None) -> bytes:
    """Read an uploaded file, refusing (413) as soon as it passes the limit."""
    limit = limit or settings.UPLOAD_MAX_BYTES
    if getattr(uploaded, "size", None) and uploaded.size > limit:
        raise _too_large(limit)
    chunks, total = [], 0
    for chunk in uploaded.chunks():
        total += len(chunk)
        if total > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> MaterialRejected:
    return MaterialRejected(
        "file_too_large", f"文件超过 {limit // (1024 * 1024)} MB，请压缩或降低分辨率后重新上传。", 413
    )


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def check_material(kind: str, data: bytes) -> CheckedFile:
    if not data:
        raise MaterialRejected("corrupt_file", "文件为空，请重新选择文件。")
    content_type = sniff(data)
    allowed = ALLOWED.get(kind, {JPEG, PNG, PDF})
    if kind == AttachmentKind.PHOTO and content_type != JPEG:
        found = {PNG: "PNG 图片", PDF: "PDF 文件"}.get(content_type, "无法识别的文件")
        raise MaterialRejected(
            "photo_not_jpeg", f"证件照须为 JPG 格式，您上传的是{found}（按文件内容判断，与扩展名无关）。"
        )
    if content_type not in allowed:
        raise MaterialRejected(
            "unsupported_type", "只能上传 JPG、PNG 图片或 PDF 文件（按文件内容判断，与扩展名无关）。"
        )
    if content_type == PDF:
        return _check_pdf(data)
    checked = _reencode_image(data, content_type)
    if kind == AttachmentKind.PHOTO:
        check_photo(data, checked)
    return checked


def _check_pdf(data: bytes) -> CheckedFile:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if POLYGLOT_MARKERS.search(data):
        raise MaterialRejected("unsupported_type", "文件中夹带了网页代码，不是单纯的 PDF，请用扫描件重新生成文件。")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise MaterialRejected("corrupt_file", "PDF 设置了密码，请去除密码后上传。")
            pages = len(reader.pages)
            active = _active_content(reader)
    except MaterialRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError):
        raise MaterialRejected("corrupt_file", "PDF 文件已损坏或不完整，无法打开，请重新导出后上传。") from None
    if active:
        raise MaterialRejected(
            "pdf_active_content",
            f"PDF 中含有{active}，打开时可能自动执行或带出其他文件，不能上传。"
            "请用扫描件或“打印为 PDF”重新生成一份普通 PDF 后上传。",
        )
    if pages == 0:
        raise MaterialRejected("corrupt_file", "PDF 文件没有任何页面。")
    if pages > settings.UPLOAD_PDF_MAX_PAGES:
        raise MaterialRejected(
            "too_many_pages",
            f"PDF 共 {pages} 页，最多 {settings.UPLOAD_PDF_MAX_PAGES} 页。请只保留本项材料所需的页面后上传。",
        )
    return CheckedFile(content=data, content_type=PDF, sha256=hashlib.sha256(data).hexdigest())


def _active_content(reader) -> str | None:
    """What in the document a viewer would run, open, play or send, in words; None for a plain document.

    Walks every object reachable from the trailer — the catalog's /OpenAction and /AA, pages and
    their /AA, annotations' /A and /AA, AcroForm fields and their kids, outlines, every /Next of an
    action chain (arrays and cycles included: each indirect object is visited once), the /Names
    trees — so an action hidden one level deeper than a viewer-specific list would look is found too.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            found = _active_in(node)
            if found:
                return found
            stack.extend(node.values())
        elif isinstance(node, ArrayObject):
            stack.extend(node)
        else:
            continue
        visited += 1
        if visited > PDF_MAX_OBJECTS:
            raise MaterialRejected("corrupt_file", "PDF 文件结构异常复杂，无法检查，请用扫描件重新生成后上传。")
    return None


def _active_in(node) -> str | None:
    """One dictionary: an active action, a script, an embedded file, a media annotation, an XFA form."""
    if "/JS" in node or str(node.get("/S")) == "/JavaScript":
        return ACTIVE_ACTIONS["/JavaScript"]
    action = str(node.get("/S", ""))
    if action in ACTIVE_ACTIONS:
        return ACTIVE_ACTIONS[action]
    if str(node.get("/Type", "")) == "/Annot" or "/Rect" in node:
        subtype = str(node.get("/Subtype", ""))
        if subtype in ACTIVE_ANNOTATIONS:
            return ACTIVE_ANNOTATIONS[subtype]
    if "/EmbeddedFiles" in node or "/EF" in node or str(node.get("/Type", "")) == "/EmbeddedFile":
        return "嵌入的附件文件"
    if "/XFA" in node:
        return "XFA 动态表单（可含脚本）"
    if "/JavaScript" in node:  # the /Names tree of document-level scripts
        return ACTIVE_ACTIONS["/JavaScript"]
    return None


@dataclass(frozen=True)
class RenderedPage:
    number: int  # from 1
    content: bytes  # PNG
    width: int
    height: int
    sha256: str


# PDFium keeps global state and is not thread-safe: one call at a time per process.
_PDFIUM_LOCK = threading.Lock()


def render_pdf_pages(data: bytes) -> Iterator[RenderedPage]:
    """Each page of a checked PDF as a PNG, one at a time (only one page is in memory): reviewers see
    these pictures, never the PDF itself. UPLOAD_PDF_RENDER_DPI, with the longer side bounded by
    UPLOAD_PDF_PAGE_MAX_SIDE so an oversized page cannot make a huge bitmap. PDFium runs no scripts."""
    import pypdfium2 as pdfium

    dpi, max_side = settings.UPLOAD_PDF_RENDER_DPI, settings.UPLOAD_PDF_PAGE_MAX_SIDE
    try:
        with _PDFIUM_LOCK:
            document = pdfium.PdfDocument(data)
            count = len(document)
        try:
            for index in range(min(count, settings.UPLOAD_PDF_MAX_PAGES)):
                with _PDFIUM_LOCK:
                    page = document[index]
                    width, height = page.get_size()
                    if min(width, height) <= 0:
                        raise pdfium.PdfiumError("empty page box")
                    scale = min(dpi / 72, max_side / max(width, height))
                    image = page.render(scale=scale).to_pil().convert("RGB")
                    page.close()
                out = io.BytesIO()
                image.save(out, format="PNG")  # default compression: optimize=True costs seconds per page
                content = out.getvalue()
                yield RenderedPage(index + 1, content, image.width, image.height, hashlib.sha256(content).hexdigest())
        finally:
            with _PDFIUM_LOCK:
                document.close()
    except pdfium.PdfiumError:
        raise MaterialRejected("corrupt_file", "PDF 文件已损坏，页面无法显示，请重新导出后上传。") from None


def _open_image(data: bytes) -> Image.Image:
    """Decode an image no larger than UPLOAD_MAX_PIXELS — judged from the header, before any pixel is
    decoded — and, for a JPEG bigger than it will be stored, decode it at a reduced scale (draft)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > settings.UPLOAD_MAX_PIXELS:
                limit = settings.UPLOAD_MAX_PIXELS / 1_000_000
                raise MaterialRejected(
                    "image_too_large",
                    f"图片像素过大（{width}×{height}，约 {width * height / 1_000_000:.1f} 百万像素），"
                    f"须在 {limit:g} 百万像素以内。请用手机的普通拍照模式或 300 dpi 扫描后上传。",
                )
            if image.format in ("JPEG", "MPO"):  # MPO: a phone's JPEG with a second picture
                image.draft(None, _fitted(image.size, 0.75 * settings.UPLOAD_IMAGE_MAX_SIDE))
            image.load()  # full decode: a truncated or corrupt image fails here
            return image
    except MaterialRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise MaterialRejected("image_too_large", "图片像素过大，无法处理，请缩小后上传。") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise MaterialRejected("corrupt_file", "图片已损坏或不完整，无法打开，请重新拍摄或扫描后上传。") from None


def _fitted(size: tuple[int, int], longest: float) -> tuple[int, int]:
    """`size` scaled down (never up) so that its longer side is `longest`."""
    width, height = size
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


# Images are stored with the longer side at most UPLOAD_IMAGE_MAX_SIDE. A JPEG is decoded at the
# smallest DCT scale (1/2, 1/4, 1/8: draft) that keeps it at least 3/4 of that — a 12 Mpx phone photo
# (4032×3024) decodes straight to 2016×1512, a quarter of the memory — and anything still larger is
# reduced (a whole-factor box filter) and resampled.


def _reencode_image(data: bytes, content_type: str) -> CheckedFile:
    image = _open_image(data)
    ImageOps.exif_transpose(image, in_place=True)  # apply the camera's rotation, then forget the EXIF
    # A mode that resamples well (palette and 1-bit images would be resized nearest-neighbour).
    if content_type == JPEG:
        mode = "RGB"
    else:
        mode = image.mode if image.mode in ("RGB", "RGBA", "L", "LA") else "L" if image.mode == "1" else "RGBA"
    if image.mode != mode:
        image = image.convert(mode)
    target = _fitted(image.size, settings.UPLOAD_IMAGE_MAX_SIDE)
    if target != image.size:
        # reduce() first (a cheap box filter by a whole factor), then a good filter for the rest.
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
    # Nothing of the original's metadata survives: Pillow would otherwise write back a JPEG comment
    # (COM segment), an ICC profile or PNG text chunks it read.
    image.info = {}
    out = io.BytesIO()
    if content_type == JPEG:
        # Keep quality high: a re-encoded photo must stay above the 30 KB floor the original met.
        # No optimize=True: an extra pass over the whole image for a few percent of bytes.
        image.save(out, format="JPEG", quality=95)
        if len(data) > PHOTO_MIN_BYTES and out.tell() <= PHOTO_MIN_BYTES:
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=100, subsampling=0)
    else:
        image.save(out, format="PNG")  # default zlib level; optimize=True tries every filter, seconds on big images
    content = out.getvalue()
    return CheckedFile(
        content=content,
        content_type=content_type,
        sha256=hashlib.sha256(content).hexdigest(),
        width=image.width,
        height=image.height,
    )


# --- The photo -----------------------------------------------------------------------------------


def _classify(rgb: tuple[int, int, int]) -> str:
    r, g, b = (c / 255 for c in rgb)
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    if s < 0.15 and v > 0.82:
        return "white"
    if 0.5 <= h <= 0.7 and s > 0.3 and v > 0.35:
        return "blue"
    if s < 0.15:
        return "gray"
    if h < 0.05 or h > 0.92:
        return "red"
    return "other"


BACKGROUND_NAMES = {"white": "白色", "blue": "蓝色", "gray": "灰色", "red": "红色", "other": "其他颜色"}


def photo_background(image: Image.Image) -> str:
    """The dominant colour of the top band and the upper side bands (where a portrait's background
    shows; the bottom holds the shoulders). "white" or "blue" when ≥ 85% of sampled pixels agree."""
    small = image.convert("RGB").resize((60, 80))
    band = 4
    pixels = []
    for y in range(80):
        for x in range(60):
            in_top = y < band
            in_sides = (x < band or x >= 60 - band) and y < 50
            if in_top or in_sides:
                pixels.append(small.getpixel((x, y)))
    counts: dict[str, int] = {}
    for pixel in pixels:
        kind = _classify(pixel)
        counts[kind] = counts.get(kind, 0) + 1
    dominant = max(counts, key=counts.get)
    if dominant in ("white", "blue") and counts[dominant] >= 0.85 * len(pixels):
        return dominant
    return dominant if dominant not in ("white", "blue") else "mixed"


def photo_defects(original: bytes, checked: CheckedFile) -> list[tuple[str, str]]:
    """Every way the photo misses the standard one-inch photo (一寸免冠证件照: JPG, > 30 KB,
    ≥ 295×413, portrait, white or blue background), as (code, message) — all of them, so one
    retake fixes everything."""
    defects = []
    if len(original) <= PHOTO_MIN_BYTES:
        defects.append(
            (
                "photo_too_small_bytes",
                f"文件为 {len(original) / 1024:.1f} KB，须大于 30 KB：请使用更清晰的原图，不要过度压缩",
            )
        )
    width, height = checked.width, checked.height
    if width < PHOTO_MIN_SIZE[0] or height < PHOTO_MIN_SIZE[1]:
        defects.append(("photo_too_few_pixels", f"尺寸为 {width}×{height} 像素，须不小于 295×413 像素（宽×高）"))
    if height <= width:
        defects.append(("photo_not_portrait", f"须为竖版（高大于宽），您上传的是 {width}×{height}"))
    background = photo_background(Image.open(io.BytesIO(checked.content)))
    if background not in ("white", "blue"):
        found = "颜色不均匀" if background == "mixed" else f"为{BACKGROUND_NAMES[background]}"
        defects.append(("photo_background", f"背景须为白色或蓝色，检测到背景{found}：请在纯白或纯蓝背景前重新拍摄"))
    return defects


def check_photo(original: bytes, checked: CheckedFile) -> None:
    """Refuse a photo with any defect, naming every defect at once; the code is the first one's."""
    defects = photo_defects(original, checked)
    if len(defects) == 1:
        raise MaterialRejected(defects[0][0], f"证件照{defects[0][1]}。")
    if defects:
        listed = "；".join(f"{i}. {message}" for i, (_, message) in enumerate(defects, start=1))
        raise MaterialRejected(defects[0][0], f"证件照有 {len(defects)} 处不符合要求：{listed}。")


def storage_name(application_id, checked: CheckedFile) -> str:
    """An unguessable name that says nothing about the person: materials/ab/<uuid>.jpg"""
    token = uuid.uuid4().hex
    return f"materials/{token[:2]}/{token}.{checked.extension}"
