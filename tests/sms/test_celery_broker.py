"""With a broker configured, SMS delivery goes through Redis to a real Celery worker."""

import logging
import os
import time

import pytest
import redis
from django.db import transaction

from registry.accounts.sms_codes import sms_code_request
from registry.sms.models import SmsMessage, SmsStatus
from tests.conftest import require_service
from tests.helpers import SmsFile
from tests.workers import use_broker

# Its own Redis database, flushed per test; .ci/run gives the PostgreSQL pass another one, as both run at once.
BROKER = f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_DB', '15')}"


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def celery_with_redis(settings):
    require_service("Redis", redis_up(), "start redis-server on 127.0.0.1:6379 (see README)")
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    redis.Redis.from_url(BROKER).flushdb()
    with use_broker(settings, BROKER):
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
            yield app


@pytest.mark.django_db(transaction=True)
def test_code_sms_is_delivered_by_a_celery_worker_over_redis(celery_with_redis, settings, tmp_path):
    from celery.signals import task_prerun

    worker_runs = []

    def on_prerun(sender=None, task=None, args=None, **kwargs):
        worker_runs.append((task.name, tuple(args), task.request.is_eager, task.request.hostname))

    task_prerun.connect(on_prerun, weak=False)
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    with transaction.atomic():
        sms_code_request(phone="13912345678", purpose="register", ip="127.0.0.1")
        assert SmsMessage.objects.get().status == SmsStatus.QUEUED  # nothing is sent before commit
    deadline = time.monotonic() + 20
    message = SmsMessage.objects.get()
    while message.status != SmsStatus.SENT and time.monotonic() < deadline:
        time.sleep(0.1)
        message.refresh_from_db()
    task_prerun.disconnect(on_prerun)
    assert message.status == SmsStatus.SENT
    assert [(name, args, eager) for name, args, eager, _ in worker_runs] == [
        ("registry.sms.tasks.deliver_sms", (message.pk,), False)
    ]
    assert worker_runs[0][3]  # a worker's hostname: it came over the broker
    (line,) = SmsFile(tmp_path / "sms.jsonl").lines()
    assert line["phone"] == "13912345678" and len(line["code"]) == 6


@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_a_job_with_the_id_of_the_request_that_enqueued_it(
    celery_with_redis, settings, tmp_path, caplog
):
    """Two requests' SMS: each delivery's log line in the worker carries its own request's id."""
    from django.test import Client

    settings.SMS_BACKEND = "console"  # logs "SMS to <phone> …" in the worker
    caplog.set_level(logging.INFO, logger="registry.sms")
    settings.REGISTRY_TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="127.0.0.1")
    sent = {}
    for phone, rid in (("13912345601", "req-aaaa-0001"), ("13912345602", "req-bbbb-0002")):
        response = client.post(
            "/api/v1/auth/sms-codes", {"phone": phone, "purpose": "register"},
            content_type="application/json", HTTP_X_REQUEST_ID=rid,
        )  # fmt: skip
        assert response.status_code < 300, response.content
        sent[phone] = rid
    deadline = time.monotonic() + 60
    while SmsMessage.objects.exclude(status=SmsStatus.SENT).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert set(SmsMessage.objects.values_list("status", flat=True)) == {SmsStatus.SENT}
    delivered = {
        r.getMessage().split()[2]: r.request_id for r in caplog.records if r.getMessage().startswith("SMS to ")
    }
    assert delivered == sent
