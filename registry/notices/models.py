"""Notices (通知公告): one row per notice, one row per person it reached (their inbox entry, read
flag and, with the SMS and email channels, their messages in the SMS and email outboxes)."""

import uuid

from django.conf import settings
from django.db import models


class NoticeStatus(models.TextChoices):
    SCHEDULED = "scheduled", "待发布"
    PUBLISHING = "publishing", "发布中"
    PUBLISHED = "published", "已发布"


class Notice(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField("标题", max_length=100)
    body = models.TextField("正文", max_length=5000)
    audience = models.JSONField("发送范围")
    audience_label = models.CharField("发送范围说明", max_length=300)
    channels = models.JSONField("渠道", default=list)
    status = models.CharField("状态", max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.SCHEDULED)
    publish_at = models.DateTimeField("发布时间")
    published_at = models.DateTimeField("开始发布", null=True, blank=True)
    finished_at = models.DateTimeField("发布完成", null=True, blank=True)
    # Fan-out progress: people are added in batches in user-id order; `cursor` is the last one added.
    cursor = models.BigIntegerField(default=0)
    recipients = models.PositiveIntegerField("收件人数", default=0)
    fanned_out = models.PositiveIntegerField("已送达收件箱", default=0)
    campaign_id = models.UUIDField("相关核查", null=True, blank=True)  # a campaign's reminder
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知公告"
        ordering = ["-publish_at"]
        indexes = [models.Index(fields=["status", "publish_at"], name="notice_status_publish")]

    def __str__(self) -> str:
        return self.title

    @property
    def sends_sms(self) -> bool:
        return "sms" in self.channels

    @property
    def sends_email(self) -> bool:
        return "email" in self.channels


class NoticeRecipient(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    sms = models.ForeignKey("sms.SmsMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Empty on a notice sent by email: the person's record has no (usable) email address.
    email = models.ForeignKey("mail.OutgoingEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "通知收件人"
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notice_recipient_unique")]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_inbox_unread")]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.user_id}"
