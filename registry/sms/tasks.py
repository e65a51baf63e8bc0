from celery import shared_task

from .backends import GatewayError
from .services import DELIVERY_TIME_LIMIT, MAX_ATTEMPTS, deliver_batch, deliver_once, requeue_stale, retry_delay


# acks_late + reject_on_worker_lost: a worker child killed mid-delivery puts the job back on the
# queue (redelivered) instead of acknowledging it; deliver_once then takes over the `sending` row.
@shared_task(
    bind=True, max_retries=MAX_ATTEMPTS, time_limit=DELIVERY_TIME_LIMIT, acks_late=True, reject_on_worker_lost=True
)
def deliver_sms(self, message_id: int) -> str:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    try:
        return deliver_once(message_id, redelivered=redelivered).status
    except GatewayError as exc:
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries + 1)) from None


@shared_task(time_limit=DELIVERY_TIME_LIMIT)
def requeue_sms() -> int:
    """Scheduled every minute by Celery beat (config/celery.py)."""
    return requeue_stale()


@shared_task(time_limit=110, acks_late=True, reject_on_worker_lost=True)
def deliver_sms_batch(message_ids: list[int]) -> int:
    """A batch of a notice's messages (sms_enqueue_many); what is left is requeued by requeue_sms."""
    return deliver_batch(message_ids)
