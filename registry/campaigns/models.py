"""Verification campaigns (集中核查/激活): everyone in scope gets a task; who has not answered by
the deadline gets the campaign's mark (异常 or 冻结) on their record; a late answer clears it."""

import uuid

from django.conf import settings
from django.db import models

from registry.accounts.access import ScopedQuerySet


class CampaignStatus(models.TextChoices):
    OPEN = "open", "进行中"
    CLOSING = "closing", "截止处理中"
    CLOSED = "closed", "已截止"


class NoResponse(models.TextChoices):
    ABNORMAL = "abnormal", "标注为异常"
    FROZEN = "frozen", "冻结"


class Campaign(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField("名称", max_length=100)
    scope = models.JSONField("范围")
    scope_label = models.CharField("范围说明", max_length=300)
    deadline = models.DateField("截止日期")
    on_no_response = models.CharField("逾期未答复", max_length=20, choices=NoResponse.choices)
    remind_days = models.PositiveSmallIntegerField("截止前几天提醒", default=7)
    status = models.CharField("状态", max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.OPEN)
    in_scope = models.PositiveIntegerField("范围内人数", default=0)
    # Tasks are created in batches (user-id order); `cursor` is the last person given one.
    cursor = models.BigIntegerField(default=0)
    tasks_created = models.BooleanField(default=False)
    # Marking at the deadline goes through the tasks in id order; `close_cursor` is the last done.
    close_cursor = models.BigIntegerField(default=0)
    reminded_at = models.DateTimeField("已提醒", null=True, blank=True)
    closed_at = models.DateTimeField("截止处理完成", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("发起时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "集中核查"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Answer(models.TextChoices):
    CONFIRM = "confirm", "确认信息无变化"
    CHANGE = "change", "提交信息变更"


class TargetQuerySet(ScopedQuerySet):
    pass


class CampaignTarget(models.Model):
    """One person in a campaign's scope: their task, their answer, the mark the deadline set."""

    access_owner_field = "user"
    access_district_field = "district"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answer = models.CharField("答复", max_length=20, choices=Answer.choices, blank=True)
    marked_at = models.DateTimeField("标注时间", null=True, blank=True)
    mark = models.CharField("标注", max_length=20, blank=True)  # the record status this campaign set
    cleared_at = models.DateTimeField("解除时间", null=True, blank=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "核查对象"
        constraints = [models.UniqueConstraint(fields=["campaign", "record"], name="campaign_target_unique")]
        indexes = [
            models.Index(fields=["user", "answered_at"], name="campaign_target_tasks"),
            models.Index(fields=["record", "marked_at"], name="campaign_target_marks"),
            models.Index(fields=["campaign", "district"], name="campaign_target_district"),
            # The marks still in force that no answer has lifted: where a late change is looked for.
            models.Index(
                fields=["record"],
                name="campaign_target_open_mark",
                condition=models.Q(marked_at__isnull=False, cleared_at__isnull=True, answered_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.record_id}"

    @property
    def mark_in_force(self) -> bool:
        return self.marked_at is not None and self.cleared_at is None
