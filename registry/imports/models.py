"""Records brought in from the system being replaced (issue 15).

An import run is an `ImportBatch`; every record it creates is an ordinary `records.Record` (version 1,
source `import:<NAME>`) with no account yet, plus one `ImportedPerson` row that remembers where it came
from, the phone the old system had, an optional password hash, and who claimed it.
"""

import uuid

from django.conf import settings
from django.db import models

from registry.accounts.access import ScopedQuerySet


class BatchStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ImportBatch(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source = models.CharField("来源系统", max_length=33)
    file_name = models.CharField("文件名", max_length=200)
    # The uploaded file (admin page) waits here for the background job, then is cleared.
    upload = models.BinaryField(null=True, blank=True, editable=False)
    mapping = models.JSONField("字段映射", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    total = models.PositiveIntegerField("总行数", default=0)
    processed = models.PositiveIntegerField("已处理", default=0)
    imported = models.PositiveIntegerField("导入", default=0)
    rejected = models.PositiveIntegerField("未通过", default=0)
    already_present = models.PositiveIntegerField("已存在", default=0)
    error = models.TextField("错误", blank=True)
    report = models.BinaryField("错误报告（XLSX）", null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "导入批次"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source} {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.status in (BatchStatus.DONE, BatchStatus.FAILED)


class ClaimVia(models.TextChoices):
    PHONE = "phone", "登录手机号与存量记录一致"
    SMS = "sms", "存量记录手机号短信验证"
    DISTRICT = "district", "区财政局核验身份"
    OLD_PASSWORD = "old_password", "原系统账号密码"


class ImportedPersonQuerySet(ScopedQuerySet):
    def unclaimed(self):
        return self.filter(claimed_at__isnull=True)


class ImportedPerson(models.Model):
    """One imported record and its claim. Unique by (source, ID number): a second run of the same
    file finds every row here and changes nothing."""

    access_owner_field = "record__user"
    access_district_field = "record__district"

    record = models.OneToOneField("records.Record", on_delete=models.PROTECT, related_name="imported")
    source = models.CharField("来源系统", max_length=33)
    id_number = models.CharField("证件号码", max_length=18)
    phone = models.CharField("原系统手机号码", max_length=11, blank=True)
    # A hash from the old system in Django's "<algorithm>$…" form (see hashers.py); never plaintext.
    password_hash = models.CharField(max_length=255, blank=True)
    collected_on = models.DateField("原采集日期", null=True, blank=True)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    claimed_at = models.DateTimeField("认领时间", null=True, blank=True)
    claimed_via = models.CharField("认领方式", max_length=20, choices=ClaimVia.choices, blank=True)

    objects = ImportedPersonQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "存量人员"
        constraints = [models.UniqueConstraint(fields=["source", "id_number"], name="imported_source_id_unique")]
        indexes = [
            models.Index(fields=["id_number"], name="imported_id_number"),
            # "is my verified phone on an unclaimed record?" right after login
            models.Index(
                fields=["phone"], name="imported_unclaimed_phone", condition=models.Q(claimed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.id_number}"


class ClaimAttempt(models.Model):
    """One claim request of an account (core.ratelimit.record_attempt): an account cannot probe
    ID numbers for unclaimed records faster than CLAIM_HOURLY_LIMIT an hour."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.user_id} {self.at:%Y-%m-%d %H:%M}"
