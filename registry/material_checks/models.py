"""What was read back from one stored material: recognised lines and image measurements.

Kept beside the attachment (one row each, deleted with it), never in the audit log. The comparison
with the form is not stored: it is made when the checks are shown, so a corrected form is judged at
once without reading the file again (selectors.checks_of)."""

from django.db import models


class ReadingStatus(models.TextChoices):
    PENDING = "pending", "识别中"
    DONE = "done", "已完成"
    UNAVAILABLE = "unavailable", "未检查（识别组件不可用）"
    FAILED = "failed", "未检查（识别出错）"


class MaterialReading(models.Model):
    attachment = models.OneToOneField(
        "applications.Attachment", primary_key=True, on_delete=models.CASCADE, related_name="reading"
    )
    status = models.CharField(max_length=20, choices=ReadingStatus.choices, default=ReadingStatus.PENDING)
    # [{"text", "score", "box": [[x, y] × 4]}] in reading order; "source": "ocr" | "pdf_text"
    lines = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10, blank=True)
    # {"sharpness", "p1", "p99", "width", "height", "faces": [[x, y, w, h]]}
    metrics = models.JSONField(default=dict, blank=True)
    # Why a part could not run (engine or face model missing, error): shown as "未检查：…"
    ocr_note = models.CharField(max_length=300, blank=True)
    face_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "材料识别结果"
        indexes = [models.Index(fields=["status", "created_at"], name="reading_status_created")]

    def __str__(self) -> str:
        return f"{self.attachment_id} {self.status}"
