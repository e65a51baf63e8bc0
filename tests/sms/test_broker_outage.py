"""Redis disappears while a worker holds unacknowledged jobs; the same worker process reconnects
when it is back and delivers them. /healthz?deep=1 reports the broker and the worker heartbeat."""

import time

import pytest
from django.db import transaction

from registry.sms.models import SmsMessage, SmsStatus
from registry.sms.tasks import deliver_sms
from tests.workers import Worker, private_redis, use_broker, wait_for

# kombu 5.7.0 failed this (the worker exited: closing the lost connection restored the unacknowledged
# jobs through a transport it had already dropped); constraints.txt pins celery 5.6.3 / kombu 5.6.2.

VISIBILITY_TIMEOUT = 6  # longer than the jobs' countdown (4 s), or Redis would hand them out while held


@pytest.mark.django_db(transaction=True)
def test_the_same_worker_delivers_jobs_held_across_a_redis_restart(settings, tmp_path, sms_file):
    with private_redis(tmp_path) as server, use_broker(settings, server.url):
        worker = Worker(
            server.url,
            tmp_path / "worker.log",
            SMS_BACKEND="file",
            SMS_FILE_PATH=sms_file.path,
            BROKER_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT,  # the outage's unacknowledged jobs come back after it
        )
        try:
            worker.start()
            pid = worker.pid
            with transaction.atomic():
                messages = [
                    SmsMessage.objects.create(phone=f"1391234567{i}", purpose="notice", text=f"通知 {i}")
                    for i in range(3)
                ]
            # Jobs waiting in the worker for their countdown (as SMS retries do) are unacknowledged.
            for message in messages:
                deliver_sms.apply_async((message.pk,), countdown=4)
            worker.wait(lambda: worker.output().count(" received") == 3, timeout=15, what="the worker holding 3 jobs")
            held_since = time.monotonic()

            server.stop()
            worker.wait(lambda: "Connection to broker lost" in worker.output(), timeout=10, what="the worker noticing")
            # kombu 5.6 sweeps for jobs past their visibility timeout when it reconnects and then only
            # about every 100 s: an outage shorter than the timeout (6 s) left them for that second sweep,
            # after this test's 40 s (CI, 2026-11-27). Production's outage-to-sweep bound is in settings.
            time.sleep(max(0.0, held_since + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
            server.start()
            worker.wait(
                lambda: SmsMessage.objects.filter(status=SmsStatus.SENT).count() == 3,
                timeout=40,
                what="the 3 jobs delivered after the outage",
            )
            assert worker.alive() and worker.pid == pid, worker.output()[-3000:]
        finally:
            worker.stop()
    assert sorted(line["phone"] for line in sms_file.lines()) == [m.phone for m in messages]


@pytest.mark.django_db(transaction=True)
def test_deep_healthz_reports_broker_and_worker_heartbeat_without_error_text(settings, tmp_path, client):
    with private_redis(tmp_path) as server, use_broker(settings, server.url):
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}
        }
        assert client.get("/healthz?deep=1").json()["worker"] == "unavailable"  # no worker yet
        worker = Worker(server.url, tmp_path / "worker.log", REDIS_URL=server.url)
        try:
            worker.start()
            healthy = wait_for(
                lambda: (r := client.get("/healthz?deep=1")).status_code == 200 and r, timeout=10, what="200"
            )
            body = healthy.json()
            assert body["database"] and body["broker"] == "ok" and body["worker"] == "ok"
            assert 0 <= body["worker_heartbeat_age"] < 10
            assert client.get("/healthz").json() == {"status": "ok", "database": body["database"]}

            server.kill()
            down = client.get("/healthz?deep=1")
            assert down.status_code == 503
            assert down.json() == {
                "status": "error",
                "database": body["database"],
                "broker": "unavailable",
                "worker": "unavailable",
                "worker_heartbeat_age": None,
                "message": "服务暂不可用 / Service unavailable",
            }
            assert client.get("/healthz").status_code == 200  # liveness does not depend on the broker
        finally:
            worker.stop()
