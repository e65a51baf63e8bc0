"""Reporting tables, kept apart from the core models (STYLE.md practice 12).

`PersonFact` is one flat row per approved record (the few fields the breakdowns need, taken from
the record's current version); `Figure` holds the aggregated counts the dashboard and
`GET /api/v1/stats/summary` read; `Snapshot` says when they were last refreshed ("as of").
Only `stats.services` writes them, from the scheduled `refresh_stats` job.
"""

import uuid

from django.conf import settings
from django.db import models


class PersonFact(models.Model):
    record_id = models.BigIntegerField(primary_key=True)
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=20)
    district = models.CharField(max_length=6)
    level = models.CharField(max_length=20, blank=True)  # highest qualification level, "" for none
    education = models.CharField(max_length=20, blank=True)  # highest education level
    gender = models.CharField(max_length=2, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True)
    unit_type = models.CharField(max_length=20, blank=True)
    category = models.CharField(max_length=4, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "统计用人员事实表"

    def __str__(self) -> str:
        return f"{self.record_id} v{self.version}"


class Figure(models.Model):
    """One number: `dimension` (level, education, age_band, …, flow:first_collection, review_days,
    ce_total:2025 …), `district` (a reviewing unit's code) and `key` (the value counted, or a month)."""

    dimension = models.CharField(max_length=40)
    district = models.CharField(max_length=6)
    key = models.CharField(max_length=20)
    value = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["district", "dimension"], name="figure_district_dimension")]

    def __str__(self) -> str:
        return f"{self.dimension} {self.district} {self.key}={self.value}"


class Snapshot(models.Model):
    refreshed_at = models.DateTimeField()
    seconds = models.FloatField()
    facts = models.PositiveIntegerField()
    pending = models.PositiveIntegerField(default=0)  # records not yet in the facts (a refresh in parts)

    class Meta:
        get_latest_by = "refreshed_at"

    def __str__(self) -> str:
        return f"{self.refreshed_at:%Y-%m-%d %H:%M}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    READY = "ready", "可下载"
    FAILED = "failed", "失败"
    EXPIRED = "expired", "已过期删除"


class ExportJob(models.Model):
    """A large export written by a background job; downloaded by its requester only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, default="people")
    fmt = models.CharField(max_length=4)  # csv | xlsx
    filters = models.JSONField(default=dict)
    full_id_numbers = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows = models.PositiveIntegerField(default=0)
    last_record_id = models.BigIntegerField(default=0)  # progress of a CSV written in parts
    size = models.BigIntegerField(default=0)  # bytes written so far (a retried part truncates back here)
    file = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "导出任务"
        permissions = [("export_full_id_number", "导出完整证件号码")]

    def __str__(self) -> str:
        return f"{self.kind}.{self.fmt} {self.get_status_display()}"
