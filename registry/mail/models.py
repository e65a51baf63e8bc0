"""The email outbox: one row per message, delivered by background jobs (registry/mail/services.py)."""

from django.db import models

from registry.core.outbox import OutboxRow


class OutgoingEmail(OutboxRow):
    """One email to one address. The body is cleared once the row is sent or failed: what it said
    stays where it came from (a notice keeps its own text), and a notice to 500,000 people does not
    keep 500,000 copies of it (docs/decisions/0018-email-channel.md)."""

    to = models.CharField("收件地址", max_length=254)
    purpose = models.CharField("用途", max_length=40)
    subject = models.CharField("主题", max_length=200)
    body = models.TextField("正文", blank=True)

    class Meta(OutboxRow.Meta):
        verbose_name = verbose_name_plural = "电子邮件"
        indexes = [models.Index(fields=["status", "created_at"], name="mail_status_created")]

    def __str__(self) -> str:
        return f"{self.to} {self.purpose} {self.get_status_display()}"
