"""Reading materials back: scheduling after an upload, the job itself, copying and requeueing.

`reading_schedule` runs inside the upload's transaction and only writes a pending row; the work is
a job after commit (core.jobs.enqueue: Celery with a broker, else this process's own OCR thread), so
an upload returns as fast as before. `reading_run` is idempotent: only a pending row is worked on,
and the result is written with a conditional UPDATE."""

import datetime as dt
import io
import logging
import time
import warnings

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image

from registry.applications import storage
from registry.applications.models import Attachment
from registry.core.jobs import enqueue

from . import engine, faces, legibility
from .matching import TEXT_CODES
from .models import MaterialReading, ReadingStatus
from .selectors import FACE_MIN_WIDTH, IMAGE_TYPES

logger = logging.getLogger("registry.material_checks")
FACE_WORK_WIDTH = 240  # the photo is searched for a face at this width (a face fills a third of it)
PDF_TEXT_MIN_CHARS = 10  # a PDF page with at least this much text of its own is not OCR'd
# OCR reads a copy at most this long (stored images go up to 2048): about 135 dpi for A4, and half the
# time and three quarters of the peak memory of 2048 px (docs/performance.md, "Materials read back").
OCR_MAX_SIDE = 1600


def reading_schedule(*, attachment: Attachment) -> None:
    """Called by the upload inside its transaction: a pending row now, the reading after commit."""
    if not settings.MATERIAL_CHECKS or attachment.content_type not in IMAGE_TYPES:
        return
    MaterialReading.objects.update_or_create(
        attachment=attachment, defaults={"status": ReadingStatus.PENDING, "finished_at": None}
    )
    _dispatch(attachment.pk)


def _dispatch(attachment_id) -> None:
    from . import tasks

    enqueue(tasks.material_read, str(attachment_id), in_process=tasks.read_in_background)


def reading_copy(*, source: Attachment, target: Attachment) -> None:
    """A copied material (a change application starts from the approved one's files) keeps its reading."""
    reading = MaterialReading.objects.filter(attachment=source).first()
    if reading is None or reading.status == ReadingStatus.PENDING:
        reading_schedule(attachment=target)
        return
    reading.pk = None
    reading.attachment = target
    reading.save(force_insert=True)


def readings_requeue(*, older_than: dt.timedelta = dt.timedelta(minutes=5), backfill: bool = False) -> int:
    """Dispatch again the readings still pending after `older_than` (a worker died, the broker was
    down); with `backfill`, schedule materials stored before readings existed. Returns how many."""
    count = 0
    stale = MaterialReading.objects.filter(
        status=ReadingStatus.PENDING, created_at__lt=timezone.now() - older_than
    ).values_list("attachment_id", flat=True)
    for attachment_id in stale:
        with transaction.atomic():
            _dispatch(attachment_id)
        count += 1
    if backfill:
        missing = Attachment.objects.current().filter(reading__isnull=True, content_type__in=IMAGE_TYPES)
        for attachment in missing.iterator():
            with transaction.atomic():
                reading_schedule(attachment=attachment)
            count += 1
    return count


def _image_of(attachment: Attachment) -> np.ndarray:
    """The stored image, or a PDF's first rendered page, as RGB pixels."""
    name = attachment.pages[0]["name"] if attachment.content_type == "application/pdf" else attachment.file.name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        image = Image.open(io.BytesIO(storage.read(name))).convert("RGB")
    return np.asarray(image)


def _pdf_text_lines(attachment: Attachment) -> list[dict]:
    """The first page's own text, when the PDF has a text layer (no OCR needed)."""
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = PdfReader(io.BytesIO(storage.read(attachment.file.name)), strict=False).pages[0].extract_text()
    except Exception:  # a PDF pypdf reads oddly is simply OCR'd from its rendered page
        return []
    lines = [{"text": line.strip(), "score": 1.0, "box": []} for line in (text or "").splitlines() if line.strip()]
    return lines if sum(len(line["text"]) for line in lines) >= PDF_TEXT_MIN_CHARS else []


def _faces(image: np.ndarray, extra_dir: str) -> list[list[int]]:
    import cv2

    height, width = image.shape[:2]
    scale = FACE_WORK_WIDTH / width
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, (FACE_WORK_WIDTH, round(height * scale)), interpolation=cv2.INTER_AREA)
    found = faces.find_faces(grey, min_size=round(FACE_WORK_WIDTH * FACE_MIN_WIDTH * 0.5), extra_dir=extra_dir)
    return [[round(v / scale) for v in face] for face in found]


def _fitted(image: np.ndarray, side: int) -> np.ndarray:
    import cv2

    height, width = image.shape[:2]
    scale = side / max(height, width)
    if scale >= 1:
        return image
    return cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)


def read_material(attachment: Attachment) -> dict:
    """Everything read from one material (the fields of MaterialReading), without saving."""
    out = {"lines": [], "source": "", "metrics": {}, "ocr_note": "", "face_note": ""}
    if attachment.content_type == "application/pdf" and not attachment.pages:
        raise ValueError("PDF without rendered pages")
    image = _image_of(attachment)
    height, width = image.shape[:2]
    try:
        out["metrics"] = {**legibility.measure(image), "width": width, "height": height}
    except ImportError as exc:  # OpenCV's libraries missing on this machine
        out["ocr_note"] = out["face_note"] = f"{type(exc).__name__}: {exc}"[:250]
        return out
    if attachment.kind == "photo":
        try:
            out["metrics"]["faces"] = _faces(image, settings.MATERIAL_CHECKS_CASCADE_DIR)
        except faces.CascadeUnavailable as exc:
            out["face_note"] = str(exc)[:250]
    if attachment.kind in TEXT_CODES:
        if attachment.content_type == "application/pdf":
            out["lines"] = _pdf_text_lines(attachment)
            out["source"] = "pdf_text" if out["lines"] else ""
        if not out["source"]:
            try:
                out["lines"] = engine.recognise(
                    _fitted(image, OCR_MAX_SIDE),
                    threads=settings.MATERIAL_CHECKS_OCR_THREADS,
                    model_dir=settings.MATERIAL_CHECKS_OCR_MODELS,
                )
                out["source"] = "ocr"
            except engine.EngineUnavailable as exc:
                out["ocr_note"] = str(exc)[:250]
    return out


def reading_run(*, attachment_id: str) -> str | None:
    """The job: read one material and store the result. Returns the final status, None when there
    was nothing to do (already read, or the material is gone)."""
    reading = MaterialReading.objects.filter(attachment_id=attachment_id, status=ReadingStatus.PENDING).first()
    if reading is None:
        return None
    attachment = Attachment.objects.get(pk=attachment_id)
    started = time.perf_counter()
    try:
        result = read_material(attachment)
        status = ReadingStatus.UNAVAILABLE if result["ocr_note"] and not result["metrics"] else ReadingStatus.DONE
    except Exception:
        logger.exception("reading material %s failed", attachment_id)
        result, status = {}, ReadingStatus.FAILED
    updated = MaterialReading.objects.filter(attachment_id=attachment_id, status=ReadingStatus.PENDING).update(
        status=status, finished_at=timezone.now(), seconds=round(time.perf_counter() - started, 2), **result
    )
    return status if updated else None
