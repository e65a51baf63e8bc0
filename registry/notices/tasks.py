from celery import shared_task

from registry.core.jobs import enqueue

from .services import TASK_BUDGET_SECONDS, notice_fan_out, publish_due


@shared_task(time_limit=110, acks_late=True, reject_on_worker_lost=True)
def fan_out_notice(notice_id: str) -> bool:
    """A notice's fan-out, about a minute at a time; it hands the rest to a new job of its own."""
    done = notice_fan_out(notice_id, budget_seconds=TASK_BUDGET_SECONDS)
    if not done:
        enqueue(fan_out_notice, notice_id)
    return done


@shared_task(time_limit=110)
def publish_due_notices() -> int:
    """Scheduled every minute (config/celery.py): scheduled notices, unfinished fan-outs."""
    return publish_due()
