from celery import shared_task
from django.conf import settings

from .services import stats_refresh


# Under BROKER_VISIBILITY_TIMEOUT (120 s): a bounded part of the facts (STATS_REFRESH_LIMIT) per run.
@shared_task(acks_late=True, time_limit=110)
def refresh_stats() -> int:
    """For the scheduler (every 10 minutes): the dashboard and /api/v1/stats/summary read its figures."""
    return stats_refresh().facts


@shared_task(acks_late=True, time_limit=110)
def expire_exports() -> int:
    """For the scheduler (hourly): export files are deleted EXPORT_KEEP_HOURS after they are ready."""
    from .exports import exports_expire

    return exports_expire()


@shared_task(bind=True, acks_late=True, time_limit=110, max_retries=3)
def export_step(self, job_id: str) -> bool:
    """One part of a background export (EXPORT_PART_ROWS rows); queues the next part itself. A part
    that fails is retried (it truncates the file back first); out of retries, the job is failed."""
    from .exports import export_job_fail, export_job_step

    try:
        more = export_job_step(job_id)
    except Exception as exc:
        if self.request.called_directly or self.request.retries >= self.max_retries:
            export_job_fail(job_id)
            raise
        raise self.retry(exc=exc, countdown=10 * (self.request.retries + 1)) from exc
    if more:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            export_step.run(job_id)
        else:
            export_step.delay(job_id)
    return more
