from celery import shared_task

from .health import record_worker_heartbeat


@shared_task(ignore_result=True, time_limit=30)
def worker_heartbeat() -> None:
    """Scheduled by Celery beat (config/celery.py)."""
    record_worker_heartbeat()
