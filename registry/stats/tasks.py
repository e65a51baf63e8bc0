from celery import shared_task

from .services import stats_refresh


# Under BROKER_VISIBILITY_TIMEOUT (120 s): a bounded part of the facts (STATS_REFRESH_LIMIT) per run.
@shared_task(acks_late=True, time_limit=110)
def refresh_stats() -> int:
    """For the scheduler (every 10 minutes): the dashboard and /api/v1/stats/summary read its figures."""
    return stats_refresh().facts
