from celery import shared_task

from . import services


# acks_late: a worker that dies mid-import hands the job back; the import is idempotent, so running
# it again only counts the rows already written as duplicates.
@shared_task(time_limit=120, soft_time_limit=110, acks_late=True, reject_on_worker_lost=True)
def run_credit_import(import_id: str) -> str:
    return services.credits_import_run(import_id)


@shared_task(time_limit=120)
def refresh_obligations() -> int:
    """Scheduled by Celery beat (config/celery.py): obligation start years of changed records."""
    return services.obligations_refresh()
