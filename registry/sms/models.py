from django.db import models

from registry.core.outbox import DeliveryStatus, OutboxRow

SmsStatus = DeliveryStatus  # the statuses every outbox shares (registry/core/outbox.py)


class SmsMessage(OutboxRow):
    """The outbox: one row per text message. Delivery happens in a background job; the text is
    cleared after delivery so verification codes do not stay readable at rest."""

    phone = models.CharField("手机号码", max_length=11, db_index=True)
    purpose = models.CharField("用途", max_length=40)
    text = models.TextField("内容")
    code = models.CharField("验证码", max_length=10, blank=True)  # only until delivered

    class Meta(OutboxRow.Meta):
        verbose_name = verbose_name_plural = "短信"
        indexes = [models.Index(fields=["status", "created_at"], name="sms_status_created")]

    def __str__(self) -> str:
        return f"{self.phone} {self.purpose} {self.get_status_display()}"
