import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun, worker_ready

from registry.core import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id travels with each task into the worker's log lines (registry/core/request_id.py).
before_task_publish.connect(request_id.add_to_task_headers, weak=False)
task_prerun.connect(request_id.adopt_from_task, weak=False)
task_postrun.connect(request_id.forget_after_task, weak=False)

# Periodic jobs, run by `celery -A config beat` (deploy/systemd/registry-beat.service). One entry
# per job: name → {"task": dotted task name, "schedule": seconds}.
BEAT_SCHEDULE = {
    # Re-dispatch SMS left behind by a broker outage or a dead worker, well inside a code's life.
    "sms-requeue": {"task": "registry.sms.tasks.requeue_sms", "schedule": 60.0},
    # Re-dispatch email left by a lost job or a dead worker; an attempt that failed is tried again here.
    "mail-requeue": {"task": "registry.mail.tasks.requeue_email", "schedule": 60.0},
    # Proves that beat and at least one worker run: /healthz?deep=1 reads it.
    "worker-heartbeat": {"task": "registry.core.tasks.worker_heartbeat", "schedule": 30.0},
    # Signs the audit chain's head into AUDIT_ANCHOR_DIR (docs/operations.md); idempotent.
    "audit-anchor": {"task": "registry.audit.tasks.anchor_audit_head", "schedule": 15 * 60.0},
    # Continuing-education obligation start years of records changed since the last run; idempotent.
    "credits-obligations": {"task": "registry.credits.tasks.refresh_obligations", "schedule": 10 * 60.0},
    # Scheduled notices whose time has come; fan-outs a lost job or a crash left unfinished.
    "notices-publish": {"task": "registry.notices.tasks.publish_due_notices", "schedule": 60.0},
    # Campaigns: tasks, reminders N days before the deadline, marking non-responders after it.
    "campaigns-due": {"task": "registry.campaigns.tasks.campaigns_due", "schedule": 5 * 60.0},
    # Statistics figures (dashboard, /api/v1/stats/summary): facts synced from changed records, then recounted.
    "stats-refresh": {"task": "registry.stats.tasks.refresh_stats", "schedule": 10 * 60.0},
    # Background export files hold personal data: deleted EXPORT_KEEP_HOURS after they are ready.
    "exports-expire": {"task": "registry.stats.tasks.expire_exports", "schedule": 60 * 60.0},
    # Web sessions past their expiry (every login leaves a row; nothing else deletes an abandoned one).
    "sessions-expire": {"task": "registry.accounts.tasks.clear_expired_sessions", "schedule": 60 * 60.0},
    # Dispatch again material readings left pending by a dead worker or a broker outage.
    "material-readings-requeue": {"task": "registry.material_checks.tasks.requeue_readings", "schedule": 5 * 60.0},
}
# Without beat (no broker), cron runs the same entries: `manage.py run_due_jobs` every minute
# (registry/core/schedule.py). Add new periodic jobs here and both run them.
# The namespaced key: celery 5.6 ignores plain ones set after config_from_object(namespace="CELERY").
app.conf.update(CELERY_BEAT_SCHEDULE=BEAT_SCHEDULE)


@worker_ready.connect
def _heartbeat_on_start(**kwargs):
    from registry.core.health import record_worker_heartbeat

    record_worker_heartbeat()
