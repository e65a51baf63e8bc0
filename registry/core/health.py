"""What /healthz reports: the database always; with ?deep=1 also the broker and the worker heartbeat.
Answers carry only generic states; the failure's detail goes to the log, never to the caller."""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger("registry.health")
HEARTBEAT_KEY = "registry:worker-heartbeat"
OK, UNAVAILABLE, IN_PROCESS = "ok", "unavailable", "in-process"


def record_worker_heartbeat() -> None:
    """Written by a worker (at start and by the scheduled heartbeat job) into the shared cache."""
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "not ready"; the text may name hosts and users
        logger.exception("health check: the database does not answer")
        return UNAVAILABLE
    return connection.vendor


def broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return IN_PROCESS
    from config.celery import app

    try:
        with app.connection_for_write(connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception:
        logger.exception("health check: the broker does not answer")
        return UNAVAILABLE
    return OK


def worker_state() -> tuple[str, int | None]:
    """(state, seconds since the last heartbeat)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return IN_PROCESS, None
    try:
        beat = cache.get(HEARTBEAT_KEY)
    except Exception:
        logger.exception("health check: the cache does not answer")
        return UNAVAILABLE, None
    if beat is None:
        logger.error("health check: no worker heartbeat recorded")
        return UNAVAILABLE, None
    age = max(0, int(time.time() - beat))
    if age > settings.WORKER_HEARTBEAT_MAX_AGE:
        logger.error("health check: the last worker heartbeat is %s s old", age)
        return UNAVAILABLE, age
    return OK, age


def health_report(*, deep: bool) -> tuple[bool, dict]:
    """(healthy, body) for /healthz."""
    body = {"database": database_state()}
    if deep:
        body["broker"] = broker_state()
        body["worker"], body["worker_heartbeat_age"] = worker_state()
    healthy = UNAVAILABLE not in body.values()
    body = {"status": "ok" if healthy else "error", **body}
    if not healthy:
        body["message"] = "服务暂不可用 / Service unavailable"
    return healthy, body
