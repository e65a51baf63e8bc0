"""Checking uploaded materials by their content, and the photo rules.

Everything here works on bytes and raises MaterialRejected with a stable code (API.md
"Attachments") and a Chinese message saying exactly what is wrong. Nothing is stored until a file
has passed; images are re-encoded (orientation applied, metadata dropped) before storage.
"""

import colorsys
import hashlib
import io
import re
import uuid
import warnings
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
POLYGLOT_MARKERS = re.compile(rb"<script|<html|<iframe|<!doctype\s+html", re.IGNORECASE)
ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/ResetForm", "/GoToE"}


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
            active = _has_active_content(reader)
            for page in reader.pages[:20]:
                page.extract_text()  # walks the page's content: a broken file fails here
    except MaterialRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError):
        raise MaterialRejected("corrupt_file", "PDF 文件已损坏或不完整，无法打开，请重新导出后上传。") from None
    if pages == 0:
        raise MaterialRejected("corrupt_file", "PDF 文件没有任何页面。")
    if active:
        raise MaterialRejected("unsupported_type", "PDF 中含有脚本、附件或自动执行的动作，请另存为普通 PDF 后上传。")
    return CheckedFile(content=data, content_type=PDF, sha256=hashlib.sha256(data).hexdigest())


def _is_active_action(action) -> bool:
    action = action.get_object() if hasattr(action, "get_object") else action
    return isinstance(action, dict) and str(action.get("/S")) in ACTIVE_ACTIONS


def _has_active_content(reader) -> bool:
    """Scripts, launch actions or embedded files anywhere a viewer would run or open them."""
    root = reader.trailer["/Root"].get_object()
    names = root.get("/Names")
    names = names.get_object() if names is not None else {}
    if "/JavaScript" in names or "/EmbeddedFiles" in names:
        return True
    if _is_active_action(root.get("/OpenAction")):
        return True
    triggers = [root.get("/AA")]
    for page in reader.pages[:200]:
        triggers.append(page.get("/AA"))
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            triggers.append(annotation.get("/AA"))
            if _is_active_action(annotation.get("/A")):
                return True
    for trigger in triggers:
        trigger = trigger.get_object() if hasattr(trigger, "get_object") else trigger
        if isinstance(trigger, dict) and any(_is_active_action(a) for a in trigger.values()):
            return True
    return False


def _open_image(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > settings.UPLOAD_MAX_PIXELS:
                raise MaterialRejected(
                    "image_too_large", f"图片像素过大（{width}×{height}），请缩小到 4000 万像素以内后上传。"
                )
            image.load()  # full decode: a truncated or corrupt image fails here
            return image
    except MaterialRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise MaterialRejected("image_too_large", "图片像素过大，无法处理，请缩小后上传。") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise MaterialRejected("corrupt_file", "图片已损坏或不完整，无法打开，请重新拍摄或扫描后上传。") from None


def _reencode_image(data: bytes, content_type: str) -> CheckedFile:
    image = _open_image(data)
    image = ImageOps.exif_transpose(image)  # apply the camera's rotation, then forget the EXIF
    out = io.BytesIO()
    if content_type == JPEG:
        image = image.convert("RGB")
        # Keep quality high: a re-encoded photo must stay above the 30 KB floor the original met.
        image.save(out, format="JPEG", quality=95, optimize=True)
        if len(data) > PHOTO_MIN_BYTES and out.tell() <= PHOTO_MIN_BYTES:
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=100, subsampling=0)
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
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


def check_photo(original: bytes, checked: CheckedFile) -> None:
    """The standard one-inch photo (一寸免冠证件照): JPG, > 30 KB, ≥ 295×413, portrait, white or blue."""
    if len(original) <= PHOTO_MIN_BYTES:
        raise MaterialRejected(
            "photo_too_small_bytes",
            f"证件照文件为 {len(original) / 1024:.1f} KB，须大于 30 KB。请使用更清晰的原图，不要过度压缩。",
        )
    width, height = checked.width, checked.height
    if width < PHOTO_MIN_SIZE[0] or height < PHOTO_MIN_SIZE[1]:
        raise MaterialRejected(
            "photo_too_few_pixels", f"证件照为 {width}×{height} 像素，须不小于 295×413 像素（宽×高）。"
        )
    if height <= width:
        raise MaterialRejected("photo_not_portrait", f"证件照须为竖版（高大于宽），您上传的是 {width}×{height}。")
    background = photo_background(Image.open(io.BytesIO(checked.content)))
    if background not in ("white", "blue"):
        found = "颜色不均匀" if background == "mixed" else f"为{BACKGROUND_NAMES[background]}"
        raise MaterialRejected(
            "photo_background", f"证件照背景须为白色或蓝色，检测到背景{found}。请在纯白或纯蓝背景前重新拍摄。"
        )


def storage_name(application_id, checked: CheckedFile) -> str:
    """An unguessable name that says nothing about the person: materials/ab/<uuid>.jpg"""
    token = uuid.uuid4().hex
    return f"materials/{token[:2]}/{token}.{checked.extension}"
