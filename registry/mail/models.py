"""The email outbox: one row per message, delivered by background jobs (registry/mail/services.py)."""

from django.db import models

from registry.core.outbox import DeliveryStatus


class OutgoingEmail(models.Model):
    """One email to one address. The body is cleared once the row is sent or failed: what it said
    stays where it came from (a notice keeps its own text), and a notice to 500,000 people does not
    keep 500,000 copies of it (docs/decisions/0018-email-channel.md)."""

    to = models.CharField("收件地址", max_length=254)
    purpose = models.CharField("用途", max_length=40)
    subject = models.CharField("主题", max_length=200)
    body = models.TextField("正文", blank=True)
    status = models.CharField("状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    claimed_at = models.DateTimeField("开始发送", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "电子邮件"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="mail_status_created")]

    def __str__(self) -> str:
        return f"{self.to} {self.purpose} {self.get_status_display()}"
