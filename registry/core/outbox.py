"""What the outboxes (registry.sms: text messages, registry.mail: email) share: the delivery
statuses, the exactly-once claim of a row, the backoff between attempts.

An outbox row is `queued` until a job claims it (`sending`, one more attempt), then `sent` or
`failed`, or `queued` again when a retry may help. The claim is a conditional UPDATE on the row as
read, so of two jobs for one row (a redelivery and a requeue) exactly one sends it.
"""

import datetime as dt

from django.db import models


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


class OutboxRow(models.Model):
    """The delivery columns every outbox row has; the outbox adds its address and content."""

    status = models.CharField("状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    claimed_at = models.DateTimeField("开始发送", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-id"]


def claimable(model, pk, *, now, redelivered: bool, stale_seconds: int):
    """The row, and the queryset that claims it (`.update(...)` returns 1 for the one claimant) —
    or None when it is not to be sent now: already sent or failed, or `sending` by an attempt that
    may still be alive (neither redelivered by the broker after its worker died, nor claimed longer
    ago than any attempt can live)."""
    row = model.objects.get(pk=pk)
    if row.status not in PENDING:
        return row, None
    if row.status == DeliveryStatus.SENDING and not (
        redelivered or not row.claimed_at or row.claimed_at < now - dt.timedelta(seconds=stale_seconds)
    ):
        return row, None
    return row, model.objects.filter(pk=pk, status=row.status, claimed_at=row.claimed_at)


def finish(row, **fields) -> None:
    """Write the outcome of an attempt to the row (and the instance in hand)."""
    type(row).objects.filter(pk=row.pk).update(**fields)
    for name, value in fields.items():
        setattr(row, name, value)


def retry_delay(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: 0.5, 1, 2, 4 … at most 30."""
    return min(30.0, 0.5 * 2 ** (attempt - 1))
