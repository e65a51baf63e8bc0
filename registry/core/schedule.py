"""The periodic jobs without Celery beat: `manage.py run_due_jobs` (from cron, every minute) runs
the entries of config/celery.BEAT_SCHEDULE that are due, in this process, and remembers when each
last ran (core.JobRun). Beat and this command read the same dict, so a job added there runs either
way. Every scheduled job is idempotent, so an overlap with beat costs nothing but time.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import JobRun

logger = logging.getLogger("registry.jobs")


@dataclass(frozen=True)
class JobResult:
    name: str
    ran: bool
    ok: bool = True
    error: str = ""


def beat_schedule() -> dict:
    from config.celery import BEAT_SCHEDULE

    return BEAT_SCHEDULE


def _task(name: str):
    from django.utils.module_loading import autodiscover_modules

    from config.celery import app

    # Every app's tasks module, as Celery's autodiscovery finds them — imported by Django's helper:
    # Celery's loader.import_default_modules() also runs its Django fixup, which calls django.setup()
    # again and so reconfigures logging (under pytest's capsys the console handler was left writing
    # to a closed capture stream, and tests/core/test_logging.py failed after this module's tests).
    autodiscover_modules("tasks")
    return app.tasks[name]


def _is_due(entry: dict, last_run_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Due when never run, or when the entry's schedule (seconds, a timedelta or a celery crontab)
    says so for the last run."""
    if last_run_at is None:
        return True
    from celery.schedules import maybe_schedule

    from config.celery import app

    schedule = maybe_schedule(entry["schedule"], app=app)
    schedule.nowfun = lambda: now
    return bool(schedule.is_due(last_run_at).is_due)


def _claim(name: str, last_run_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Conditional on the last run as read: of two overlapping cron runs, one runs the job."""
    if last_run_at is None:
        try:
            with transaction.atomic():
                JobRun.objects.create(name=name, last_run_at=now)
            return True
        except IntegrityError:
            return False
    return bool(JobRun.objects.filter(name=name, last_run_at=last_run_at).update(last_run_at=now))


def run_due_jobs(*, only: list[str] | None = None, force: bool = False, now: dt.datetime | None = None):
    """Run each due job once (or the named ones; `force`: whether due or not). A failing job is
    recorded and does not stop the others."""
    results = []
    schedule = beat_schedule()
    unknown = sorted(set(only or []) - set(schedule))
    if unknown:
        raise KeyError(", ".join(unknown))
    for name, entry in schedule.items():
        if only and name not in only:
            continue
        now_ = now or timezone.now()
        last = JobRun.objects.filter(name=name).values_list("last_run_at", flat=True).first()
        if not (force or _is_due(entry, last, now_)) or not _claim(name, last, now_):
            results.append(JobResult(name, ran=False))
            continue
        try:
            _task(entry["task"])(*entry.get("args", ()), **entry.get("kwargs", {}))
        except Exception as exc:  # one broken job must not stop the others; the log has the trace
            logger.exception("scheduled job %s failed", name)
            error = f"{type(exc).__name__}: {exc}"[:300]
            JobRun.objects.filter(name=name).update(last_finished_at=timezone.now(), last_ok=False, last_error=error)
            results.append(JobResult(name, ran=True, ok=False, error=error))
        else:
            JobRun.objects.filter(name=name).update(last_finished_at=timezone.now(), last_ok=True, last_error="")
            results.append(JobResult(name, ran=True))
    return results
