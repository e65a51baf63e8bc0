from celery import shared_task

from registry.core.jobs import enqueue

from .services import TASK_BUDGET_SECONDS, campaign_close_run, campaign_tasks_batch, campaigns_tick


@shared_task(time_limit=110, acks_late=True, reject_on_worker_lost=True)
def create_campaign_tasks(campaign_id: str) -> None:
    import time

    started = time.monotonic()
    while not campaign_tasks_batch(campaign_id=campaign_id):
        if time.monotonic() - started > TASK_BUDGET_SECONDS:
            enqueue(create_campaign_tasks, campaign_id)
            return


@shared_task(time_limit=110, acks_late=True, reject_on_worker_lost=True)
def close_campaign(campaign_id: str) -> None:
    if not campaign_close_run(campaign_id, budget_seconds=TASK_BUDGET_SECONDS):
        enqueue(close_campaign, campaign_id)


@shared_task(time_limit=110)
def campaigns_due() -> dict:
    """Scheduled every 5 minutes (config/celery.py)."""
    return campaigns_tick()
