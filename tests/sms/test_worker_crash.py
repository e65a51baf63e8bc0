"""SMS delivery survives worker crashes: a real worker is killed while the gateway holds its request,
twice, and the code still reaches the phone once, in time; codes past their life are never sent."""

import datetime as dt
import time

import pytest
from django.db import transaction
from django.utils import timezone

from registry.sms.models import SmsMessage, SmsStatus
from registry.sms.services import EXPIRED, deliver_once, requeue_stale, sms_enqueue
from tests.sms.test_http_gateway import FakeGateway
from tests.workers import Worker, private_redis, use_broker, wait_for


@pytest.fixture
def held_gateway(settings):
    """The fake gateway holds every request until the test releases it: a slow gateway."""
    fake = FakeGateway()
    fake.release.clear()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = fake.url
    yield fake
    fake.close()


def received_for(gateway, message) -> list[dict]:
    return [r["body"] for r in gateway.received if r["body"]["phone"] == message.phone]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_twice_mid_delivery_delivers_the_code_exactly_once(settings, tmp_path, held_gateway):
    with private_redis(tmp_path) as server, use_broker(settings, server.url):
        worker_env = {"SMS_BACKEND": "http", "SMS_HTTP_URL": held_gateway.url, "SMS_HTTP_TIMEOUT": 30}
        first = Worker(server.url, tmp_path / "worker1.log", **worker_env)
        # The second worker stands for one on another machine, finding the job the first one held:
        # it gets it back after the visibility timeout (short here, 120 s in production).
        second = Worker(server.url, tmp_path / "worker2.log", BROKER_VISIBILITY_TIMEOUT=1, **worker_env)
        try:
            first.start()
            with transaction.atomic():
                message = sms_enqueue(phone="13912345678", text="验证码 246810", purpose="register", code="246810")
            wait_for(lambda: len(held_gateway.received) == 1, timeout=20, what="the first attempt at the gateway")

            first.kill_child()  # crash 1: the worker child dies inside the gateway call
            wait_for(lambda: len(held_gateway.received) == 2, timeout=20, what="the redelivered job")
            assert first.alive()  # the same worker's new child took the job over

            first.kill()  # crash 2: the whole worker dies inside the gateway call
            second.start()
            # kombu 5.6 sweeps for a vanished worker's jobs at the worker's start and then every ~100 s
            # (restore_visible runs on every 10th 10-s tick), so a start that just misses it waits a cycle.
            wait_for(lambda: len(held_gateway.received) == 3, timeout=130, what="a second worker taking the job over")
            held_gateway.release.set()  # the gateway answers
            message = wait_for(
                lambda: SmsMessage.objects.filter(pk=message.pk, status=SmsStatus.SENT).first(),
                timeout=20,
                what="the message marked sent",
            )
            finished_at = timezone.now()
            time.sleep(2)  # time for a duplicate to show up
            assert len(held_gateway.received) == 3
        finally:
            first.stop()
            second.stop()
        output = first.output() + second.output()

    # Three calls reached the gateway (two cut off by the crashes), all with the one message id the
    # gateway drops repeats by: one SMS reaches the phone; nothing was sent after the row said sent.
    bodies = received_for(held_gateway, message)
    assert [b["message_id"] for b in bodies] == [message.pk] * 3
    assert {b["text"] for b in bodies} == {"验证码 246810"}
    assert message.attempts == 3 and message.code == "" and message.sent_at <= finished_at
    assert message.sent_at - message.created_at < dt.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS)
    assert "WorkerLostError" in output  # the crash really happened in a worker child


@pytest.mark.django_db
def test_a_code_past_its_lifetime_is_not_sent_late(settings, held_gateway):
    held_gateway.release.set()
    message = SmsMessage.objects.create(phone="13912345678", purpose="register", text="验证码 111111", code="111111")
    SmsMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS + 1)
    )
    message = deliver_once(message.pk, redelivered=True)
    assert message.status == SmsStatus.FAILED and message.code == "" and message.text == EXPIRED
    assert held_gateway.received == []


@pytest.mark.django_db
def test_the_scheduled_requeue_takes_over_dead_claims_and_expires_dead_codes(
    sms_file, django_capture_on_commit_callbacks
):
    now = timezone.now()
    fields = {"phone": "13912345678", "purpose": "register", "text": "验证码 222222", "code": "222222"}
    # a worker died 2 minutes ago while sending a code that is still valid for 3 minutes
    dead_claim = SmsMessage.objects.create(**fields)
    SmsMessage.objects.filter(pk=dead_claim.pk).update(
        status=SmsStatus.SENDING, claimed_at=now - dt.timedelta(seconds=120), created_at=now - dt.timedelta(seconds=121)
    )
    # a code whose job was lost 6 minutes ago: too late to send
    lost_long_ago = SmsMessage.objects.create(**{**fields, "phone": "13900000001"})
    SmsMessage.objects.filter(pk=lost_long_ago.pk).update(created_at=now - dt.timedelta(minutes=6))
    # a job that is being sent right now by a live worker is left alone
    in_progress = SmsMessage.objects.create(**{**fields, "phone": "13900000002"})
    SmsMessage.objects.filter(pk=in_progress.pk).update(status=SmsStatus.SENDING, claimed_at=now)

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale() == 1
    statuses = dict(SmsMessage.objects.values_list("phone", "status"))
    assert statuses == {
        "13912345678": SmsStatus.SENT,
        "13900000001": SmsStatus.FAILED,
        "13900000002": SmsStatus.SENDING,
    }
    assert [line["phone"] for line in sms_file.lines()] == ["13912345678"]


def test_beat_runs_the_sms_requeue_every_minute_well_inside_a_code_life(settings):
    from config.celery import app

    entry = app.conf.beat_schedule["sms-requeue"]
    assert entry["task"] in app.tasks and entry["schedule"] <= 60
    # a job whose worker vanished comes back before the code it carries dies
    assert app.conf.broker_transport_options["visibility_timeout"] < settings.SMS_CODE_TTL_SECONDS
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
