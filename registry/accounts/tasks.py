from celery import shared_task


@shared_task(acks_late=True, time_limit=110)
def clear_expired_sessions() -> int:
    """For the scheduler (hourly): expired web sessions deleted (nothing else deletes them)."""
    from .sessions import SessionStore

    return SessionStore.clear_expired()
