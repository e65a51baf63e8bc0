import time

from celery import shared_task
from django.utils import timezone

BATCH = 5000


@shared_task(acks_late=True, time_limit=110)
def clear_expired_sessions(budget_seconds: float = 60.0) -> int:
    """For the scheduler (hourly): web sessions past their expiry are deleted, a batch at a time so no
    statement holds the table long (a deadline day leaves hundreds of thousands). The number deleted."""
    from .models import Session

    started, deleted = time.monotonic(), 0
    while time.monotonic() - started < budget_seconds:
        expired = Session.objects.filter(expire_date__lt=timezone.now()).values("session_key")[:BATCH]
        done, _ = Session.objects.filter(session_key__in=list(expired.values_list("session_key", flat=True))).delete()
        deleted += done
        if done < BATCH:
            break
    return deleted
