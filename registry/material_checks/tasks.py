"""The reading job: a Celery task with a broker; without one, this process's single OCR thread."""

import logging
from concurrent.futures import ThreadPoolExecutor

from celery import shared_task
from django.db import connections

logger = logging.getLogger("registry.material_checks")
# One thread: readings queue behind each other instead of taking both cores from the web requests
# (and from core.jobs' pool, which sends SMS).
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="registry-ocr")


@shared_task(ignore_result=True, time_limit=110, soft_time_limit=100)
def material_read(attachment_id: str) -> None:
    """Idempotent: a reading already done is left alone."""
    from .services import reading_run

    reading_run(attachment_id=attachment_id)


def _run(attachment_id: str) -> None:
    from .services import reading_run

    try:
        reading_run(attachment_id=attachment_id)
    except Exception:  # the row stays pending; readings_requeue picks it up
        logger.exception("material reading %s failed", attachment_id)
    finally:
        connections.close_all()


def read_in_background(attachment_id: str) -> None:
    _pool.submit(_run, attachment_id)


@shared_task(ignore_result=True, time_limit=60)
def requeue_readings() -> None:
    """Scheduled by Celery beat (config/celery.py)."""
    from .services import readings_requeue

    readings_requeue()
