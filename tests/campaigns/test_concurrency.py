"""Concurrent runners on two real PostgreSQL connections: two fan-outs of one notice write each
inbox row and SMS once; a late confirmation racing the deadline marking leaves a consistent state."""

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone

from registry.campaigns.models import CampaignTarget
from registry.campaigns.services import campaign_close_run, campaign_confirm, campaign_open, campaign_tasks_batch
from registry.demo.people import seed_people
from registry.notices.models import Notice, NoticeRecipient, NoticeStatus
from registry.notices.services import notice_fan_out, notice_publish
from registry.records.models import Record, RecordStatus
from registry.sms.models import SmsMessage
from tests.factories import UserFactory
from tests.review.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_fan_outs_of_one_notice_write_everything_once(postgres, code_tables, settings, sms_file):
    seed_people(120, open_share=0)
    settings.NOTICE_FANOUT_BATCH = 10
    admin = UserFactory(admin=True)
    # The request's own two batches run at its commit; the two runners race for the other ten.
    notice = notice_publish(actor=admin, title="通知", body="正文", audience={"kind": "all"}, channels=["inbox", "sms"])
    assert Notice.objects.get(pk=notice.pk).fanned_out == 20
    outcomes = race(lambda: notice_fan_out(notice.pk), lambda: notice_fan_out(notice.pk))
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED and notice.fanned_out == 120
    assert NoticeRecipient.objects.filter(notice=notice).count() == 120
    assert SmsMessage.objects.count() == 120
    assert not SmsMessage.objects.values("phone").annotate(n=Count("pk")).filter(n__gt=1).exists()
    phones = [line["phone"] for line in sms_file.lines()]
    assert len(phones) == len(set(phones)) == 120


def test_a_late_confirmation_racing_the_deadline_marking(postgres, code_tables):
    seed_people(30, open_share=0)
    admin = UserFactory(admin=True)
    campaign = campaign_open(
        actor=admin,
        name="核查",
        scope={"kind": "all"},
        deadline=timezone.localdate() + dt.timedelta(days=1),
        on_no_response="frozen",
    )
    while not campaign_tasks_batch(campaign_id=campaign.pk):
        pass
    target = CampaignTarget.objects.filter(campaign=campaign).order_by("pk").last()
    outcomes = race(
        lambda: campaign_close_run(campaign.pk, budget_seconds=60),
        lambda: campaign_confirm(campaign_id=campaign.pk, actor=target.user),
    )
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    target.refresh_from_db()
    # Whichever came first, the person answered and is not frozen; the other 29 are.
    assert target.answered_at is not None and not target.mark_in_force
    assert Record.objects.get(pk=target.record_id).status == RecordStatus.NORMAL
    assert Record.objects.filter(status=RecordStatus.FROZEN).count() == 29
