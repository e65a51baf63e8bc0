"""Redis stops in the middle of a notice's fan-out with SMS, and starts again: with a real worker,
every person gets the notice in their inbox and exactly one SMS (outbox status and the SMS file),
and nothing is left queued or sending."""

import time

import pytest
from django.db.models import Count

from registry.demo.people import seed_people
from registry.notices.models import Notice, NoticeRecipient, NoticeStatus
from registry.notices.services import notice_publish
from registry.notices.tasks import publish_due_notices
from registry.sms.models import SmsMessage, SmsStatus
from registry.sms.services import requeue_stale
from tests.factories import UserFactory
from tests.workers import Worker, private_redis, use_broker

PEOPLE = 300


@pytest.mark.django_db(transaction=True)
def test_redis_stopped_during_a_notice_fan_out_every_sms_delivered_exactly_once(
    settings, tmp_path, sms_file, code_tables
):
    seed_people(PEOPLE, open_share=0)
    admin = UserFactory(admin=True)
    with private_redis(tmp_path) as server, use_broker(settings, server.url):
        worker = Worker(
            server.url,
            tmp_path / "worker.log",
            SMS_BACKEND="file",
            SMS_FILE_PATH=sms_file.path,
            NOTICE_FANOUT_BATCH=5,  # many small batches (60), so the outage falls in the middle
            SMS_DELIVERY_BATCH=5,
            BROKER_VISIBILITY_TIMEOUT=6,
        )
        try:
            worker.start()
            notice = notice_publish(
                actor=admin,
                title="关于开展 2026 年度信息核查的通知",
                body="请登录系统确认信息。",
                audience={"kind": "all"},
                channels=["inbox", "sms"],
            )
            worker.wait(
                lambda: NoticeRecipient.objects.filter(notice=notice).count() >= 10,
                timeout=30,
                what="the fan-out under way",
            )
            server.stop()  # Redis goes away mid fan-out
            assert NoticeRecipient.objects.filter(notice=notice).count() < PEOPLE
            worker.wait(lambda: "Connection to broker lost" in worker.output(), timeout=15, what="the worker noticing")
            server.start()

            last_beat = [0.0]

            def finished():
                # What beat does every minute (here every 3 s): carry on unfinished fan-outs, requeue stale SMS.
                if time.monotonic() - last_beat[0] > 3:
                    last_beat[0] = time.monotonic()
                    publish_due_notices.delay()
                    requeue_stale(older_than_seconds=5)
                done = Notice.objects.get(pk=notice.pk).status == NoticeStatus.PUBLISHED
                pending = SmsMessage.objects.exclude(status=SmsStatus.SENT).exists()
                return done and not pending

            worker.wait(finished, timeout=240, what="every SMS sent and the notice published")
        finally:
            worker.stop()

    notice.refresh_from_db()
    assert notice.fanned_out == notice.recipients == PEOPLE
    assert NoticeRecipient.objects.filter(notice=notice).count() == PEOPLE
    assert NoticeRecipient.objects.filter(notice=notice, sms__status=SmsStatus.SENT).count() == PEOPLE
    assert SmsMessage.objects.count() == PEOPLE  # one outbox row per person: no batch written twice
    assert not SmsMessage.objects.values("phone").annotate(n=Count("pk")).filter(n__gt=1).exists()
    phones = [line["phone"] for line in sms_file.lines()]
    assert len(phones) == PEOPLE and len(set(phones)) == PEOPLE  # each delivered exactly once
