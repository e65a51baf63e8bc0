"""`manage.py run_due_jobs` (cron without beat) runs the entries of config/celery.BEAT_SCHEDULE that
are due, once: a second run at once runs nothing; an entry added to the dict runs with no other
change; a failing job is recorded and does not stop the others."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from config.celery import BEAT_SCHEDULE
from registry.core.models import JobRun
from registry.core.schedule import run_due_jobs

pytestmark = pytest.mark.django_db


def ran(results):
    return sorted(r.name for r in results if r.ran)


def test_every_entry_runs_once_then_only_when_due():
    now = timezone.now()
    assert ran(run_due_jobs(now=now)) == sorted(BEAT_SCHEDULE)
    assert ran(run_due_jobs(now=now + dt.timedelta(seconds=5))) == []  # nothing due: nothing runs twice
    # 61 s later the one-minute jobs are due again, the 5- and 15-minute ones are not.
    assert ran(run_due_jobs(now=now + dt.timedelta(seconds=61))) == [
        "mail-requeue",
        "notices-publish",
        "sms-requeue",
        "worker-heartbeat",
    ]
    assert JobRun.objects.get(name="campaigns-due").last_run_at == now


def test_an_entry_added_to_the_beat_schedule_runs_without_other_changes(monkeypatch):
    monkeypatch.setitem(
        BEAT_SCHEDULE, "stats-refresh-example", {"task": "registry.core.tasks.worker_heartbeat", "schedule": 600.0}
    )
    assert "stats-refresh-example" in ran(run_due_jobs())
    assert JobRun.objects.get(name="stats-refresh-example").last_ok


def test_a_failing_job_is_recorded_and_the_others_still_run(monkeypatch):
    monkeypatch.setitem(BEAT_SCHEDULE, "broken", {"task": "registry.nowhere.tasks.missing", "schedule": 60.0})
    results = {r.name: r for r in run_due_jobs()}
    assert not results["broken"].ok and "missing" in results["broken"].error
    assert all(r.ok for name, r in results.items() if name != "broken")
    assert JobRun.objects.get(name="broken").last_ok is False


def test_the_command(capsys):
    call_command("run_due_jobs", "sms-requeue")
    assert "sms-requeue：完成" in capsys.readouterr().out
    call_command("run_due_jobs", "sms-requeue")
    assert "sms-requeue：未到期" in capsys.readouterr().out
    call_command("run_due_jobs", "sms-requeue", "--force")
    assert "sms-requeue：完成" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("run_due_jobs", "no-such-job")


def test_running_jobs_leaves_logging_as_it_was(capsys):
    """Finding the tasks must not set Django up again: that reconfigured logging, and under capsys
    the console handler went on writing to pytest's capture stream after it was closed."""
    import logging

    before = [(handler, getattr(handler, "stream", None)) for handler in logging.getLogger().handlers]
    run_due_jobs(only=["sms-requeue"], force=True)
    assert [(handler, getattr(handler, "stream", None)) for handler in logging.getLogger().handlers] == before
