from celery import shared_task

from .services import stats_refresh


# Under BROKER_VISIBILITY_TIMEOUT (120 s): a bounded part of the facts (STATS_REFRESH_LIMIT) per run.
@shared_task(acks_late=True, time_limit=110)
def refresh_stats() -> int:
    """For the scheduler (every 10 minutes): the dashboard and /api/v1/stats/summary read its figures."""
    return stats_refresh().facts


@shared_task(acks_late=True, time_limit=110)
def export_step(job_id: str) -> bool:
    """One part of a background export (EXPORT_PART_ROWS rows); queues the next part itself."""
    from .exports import export_job_step

    more = export_job_step(job_id)
    if more:
        export_step.delay(job_id) if not _eager() else export_step.run(job_id)
    return more


def _eager() -> bool:
    from django.conf import settings

    return settings.CELERY_TASK_ALWAYS_EAGER
