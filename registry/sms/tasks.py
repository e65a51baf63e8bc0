from celery import shared_task

from .backends import GatewayError
from .services import MAX_ATTEMPTS, deliver_once, retry_delay


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, time_limit=60, acks_late=True)
def deliver_sms(self, message_id: int) -> str:
    try:
        return deliver_once(message_id).status
    except GatewayError as exc:
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries + 1)) from None
