from celery import shared_task

from .anchors import write_anchor


# Under BROKER_VISIBILITY_TIMEOUT (120 s), or Redis hands the job to a second worker meanwhile.
@shared_task(acks_late=True, time_limit=110)
def anchor_audit_head() -> int | None:
    """For the scheduler (every 15 minutes, like `manage.py audit_anchor` from cron)."""
    anchor, _ = write_anchor()
    return anchor.seq if anchor else None
