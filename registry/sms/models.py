from django.db import models

from registry.core.outbox import DeliveryStatus

SmsStatus = DeliveryStatus  # the statuses every outbox shares (registry/core/outbox.py)


class SmsMessage(models.Model):
    """The outbox: one row per text message. Delivery happens in a background job; the text is
    cleared after delivery so verification codes do not stay readable at rest."""

    phone = models.CharField("手机号码", max_length=11, db_index=True)
    purpose = models.CharField("用途", max_length=40)
    text = models.TextField("内容")
    code = models.CharField("验证码", max_length=10, blank=True)  # only until delivered
    status = models.CharField("状态", max_length=10, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    claimed_at = models.DateTimeField("开始发送", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "短信"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="sms_status_created")]

    def __str__(self) -> str:
        return f"{self.phone} {self.purpose} {self.get_status_display()}"
