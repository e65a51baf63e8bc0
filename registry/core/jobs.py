"""Scheduling background work after the current transaction commits.

With a broker (CELERY_BROKER_URL / REDIS_URL) the task goes to Celery. Without one (the embedded
default) it runs in this process: at once for quick local work, or on a small thread pool when it
talks to a remote system, so a slow gateway never holds up a web request.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger("registry.jobs")
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="registry-job")


def _run_in_thread(func, args):
    try:
        func(*args)
    except Exception:  # a background job must log, never kill the pool
        logger.exception("background job %s%r failed", getattr(func, "__name__", func), args)
    finally:
        connections.close_all()  # this thread's own connections; pooled threads must not keep them


def enqueue(task, *args, in_process=None, background: bool = False) -> None:
    """Run `task` (a Celery task) with `args` once the current transaction commits.

    `in_process` is the plain function used without a broker (default: the task's own body); with
    `background=True` it runs on the thread pool instead of inline.
    """

    def dispatch():
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            try:
                task.delay(*args)
            except Exception:  # the broker refused: the request has committed and must still succeed
                logger.exception(
                    "could not hand %s%r to the broker; it stays in its table for requeue", task.name, args
                )
            return
        func = in_process or task.run
        if background:
            _pool.submit(_run_in_thread, func, args)
        else:
            func(*args)

    # robust: nothing that fails after the commit may turn the committed request into an error page;
    # the work stays in its table (e.g. the SMS outbox) and the scheduled requeue dispatches it again.
    transaction.on_commit(dispatch, robust=True)
