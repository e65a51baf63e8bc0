"""Integrity records (诚信记录): rewards, penalties and bans from accounting work (会计法 第四十二条
等), each with its document number. A ban is in force from `starts_on` to `ends_on` (inclusive; none:
until lifted) unless ended early (`ended_on`)."""

import uuid

from django.conf import settings
from django.db import models

from registry.accounts.access import ScopedQuerySet


class IntegrityKind(models.TextChoices):
    REWARD = "reward", "表彰奖励"
    PENALTY = "penalty", "行政处罚"
    BAN = "ban", "禁止从事会计工作"


class IntegrityQuerySet(ScopedQuerySet):
    def in_force_on(self, day):
        return self.filter(starts_on__lte=day).filter(
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day),
            models.Q(ended_on__isnull=True) | models.Q(ended_on__gt=day),
        )


class IntegrityEntry(models.Model):
    access_owner_field = "record__user"
    access_district_field = "record__district"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="integrity_entries")
    kind = models.CharField("类别", max_length=20, choices=IntegrityKind.choices)
    summary = models.CharField("事由", max_length=500)
    document_number = models.CharField("文号", max_length=100, blank=True)
    starts_on = models.DateField("起始日期")
    ends_on = models.DateField("截止日期", null=True, blank=True)
    district = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")  # recorded by
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    ended_on = models.DateField("提前解除日期", null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.CharField("解除原因", max_length=300, blank=True)

    objects = IntegrityQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "诚信记录"
        ordering = ["-starts_on", "-created_at"]
        indexes = [models.Index(fields=["record", "kind", "starts_on"], name="integrity_record_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.document_number}"

    def in_force_on(self, day) -> bool:
        """`ends_on` is the last day in force; a record lifted early stops applying on `ended_on`."""
        return (
            self.starts_on <= day
            and (self.ends_on is None or day <= self.ends_on)
            and (self.ended_on is None or day < self.ended_on)
        )
