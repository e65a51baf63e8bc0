from celery import shared_task

from .services import DELIVERY_TIME_LIMIT, deliver_batch, requeue_stale


# acks_late + reject_on_worker_lost: a batch whose worker died goes back to the queue; its rows
# left `sending` are taken over once their claim is older than this time limit (deliver_once).
@shared_task(time_limit=DELIVERY_TIME_LIMIT, acks_late=True, reject_on_worker_lost=True)
def deliver_email_batch(email_ids: list[int]) -> int:
    """A batch of outgoing email (mail_enqueue_many); what is left is requeued by requeue_email."""
    return deliver_batch(email_ids)


@shared_task(time_limit=60)
def requeue_email() -> int:
    """Scheduled every minute (config/celery.py): lost jobs, failed attempts to try again."""
    return requeue_stale()
