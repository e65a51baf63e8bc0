"""Publishing through the API: the inbox, unread count and read flag; scheduled publication;
the SMS channel through the outbox; a large audience fanned out in batches, not in the request."""

import datetime as dt

import pytest
from django.utils import timezone

from registry.core.schedule import run_due_jobs
from registry.notices.models import Notice, NoticeRecipient, NoticeStatus
from registry.notices.services import notice_fan_out_batch
from registry.sms.models import SmsMessage, SmsStatus
from tests.factories import PASSWORD
from tests.helpers import problem
from tests.people import collected

pytestmark = pytest.mark.django_db


def notice(**extra):
    return {"title": "关于开展继续教育的通知", "body": "请按时完成学习。", "audience": {"kind": "all"}, **extra}


def test_admin_publishes_and_people_read_it_in_their_inbox(api, municipal_admin, sms_file):
    alice, bob = collected(district="110105"), collected(district="110108")
    api.login(municipal_admin.phone)
    created = api.post("/api/v1/admin/notices", notice(channels=["inbox", "sms"]))
    assert created.status_code == 201, created.content
    assert created.json()["recipients"] == 2
    assert Notice.objects.get(pk=created.json()["id"]).status == NoticeStatus.PUBLISHED  # fanned out after commit

    api.login(alice.phone, PASSWORD)
    inbox = api.get("/api/v1/me/notices").json()
    assert inbox["unread"] == 1 and inbox["next"] is None
    (item,) = inbox["results"]
    assert item["title"] == "关于开展继续教育的通知" and item["read"] is False
    assert api.post(f"/api/v1/me/notices/{item['id']}/read").status_code == 204
    assert api.post(f"/api/v1/me/notices/{item['id']}/read").status_code == 204  # idempotent
    assert api.get("/api/v1/me/notices").json()["unread"] == 0

    # Each person got one SMS, through the outbox; the publisher sees the delivery status.
    assert sorted(m["phone"] for m in sms_file.lines()) == sorted([alice.phone, bob.phone])
    assert all(m["purpose"] == "notice" for m in sms_file.lines())
    api.login(municipal_admin.phone)
    progress = api.get(f"/api/v1/admin/notices/{created.json()['id']}").json()
    assert progress["fanned_out"] == 2 and progress["read"] == 1 and progress["sms"]["sent"] == 2


def test_someone_elses_notice_cannot_be_marked_read(api, municipal_admin):
    alice, outsider = collected(district="110105"), collected(district="110108")
    api.login(municipal_admin.phone)
    created = api.post("/api/v1/admin/notices", notice(audience={"kind": "districts", "districts": ["110105"]})).json()
    api.login(outsider.phone)
    problem(api.post(f"/api/v1/me/notices/{created['id']}/read"), 404, "not_found")
    problem(api.post("/api/v1/me/notices/not-a-uuid/read"), 404, "not_found")
    assert not NoticeRecipient.objects.filter(user=outsider).exists()
    assert NoticeRecipient.objects.get(user=alice).read_at is None


def test_a_district_reviewer_publishes_only_to_their_districts(api, chaoyang_reviewer):
    mine, other = collected(district="110105"), collected(district="110108")
    api.login(chaoyang_reviewer.phone)
    body = problem(
        api.post("/api/v1/admin/notices", notice(audience={"kind": "districts", "districts": ["110108"]})),
        403,
        "outside_districts",
    )
    assert "本区" in body["detail"]
    problem(api.post("/api/v1/admin/notices", notice()), 403, "outside_districts")  # "all" is the whole city
    assert not Notice.objects.exists()
    created = api.post(
        "/api/v1/admin/notices", notice(audience={"kind": "qualification_level", "levels": ["intermediate"]})
    )
    assert created.status_code == 201 and created.json()["recipients"] == 1
    assert list(NoticeRecipient.objects.values_list("user_id", flat=True)) == [mine.pk]
    assert other.pk not in NoticeRecipient.objects.values_list("user_id", flat=True)


def test_applicants_cannot_publish(api, applicant):
    api.login(applicant.phone)
    problem(api.post("/api/v1/admin/notices", notice()), 403, "forbidden")
    problem(api.get("/api/v1/admin/notices"), 403, "forbidden")


def test_a_scheduled_notice_is_published_by_the_scheduled_job(api, municipal_admin):
    person = collected()
    api.login(municipal_admin.phone)
    later = timezone.now() + dt.timedelta(hours=2)
    created = api.post("/api/v1/admin/notices", notice(publish_at=later.isoformat())).json()
    assert created["status"] == "scheduled"
    run_due_jobs(only=["notices-publish"], force=True)
    assert not NoticeRecipient.objects.filter(user=person).exists()  # not yet

    Notice.objects.filter(pk=created["id"]).update(publish_at=timezone.now() - dt.timedelta(seconds=1))
    run_due_jobs(only=["notices-publish"], force=True)
    assert NoticeRecipient.objects.filter(user=person).count() == 1
    assert Notice.objects.get(pk=created["id"]).status == NoticeStatus.PUBLISHED
    run_due_jobs(only=["notices-publish"], force=True)  # twice: nothing more
    assert NoticeRecipient.objects.filter(user=person).count() == 1


def test_a_large_audience_is_fanned_out_in_batches_after_the_request(
    api, municipal_admin, settings, sms_file, django_capture_on_commit_callbacks
):
    from registry.demo.people import seed_people

    seed_people(60, open_share=0)
    settings.NOTICE_FANOUT_BATCH = 10  # the request does two batches, the scheduled job the rest
    api.login(municipal_admin.phone)
    created = api.post("/api/v1/admin/notices", notice(channels=["inbox", "sms"])).json()
    assert created["recipients"] == 60
    first = Notice.objects.get(pk=created["id"])
    assert first.fanned_out == 20 and first.status == NoticeStatus.PUBLISHING

    with django_capture_on_commit_callbacks(execute=True):  # each batch's SMS jobs run after its commit
        run_due_jobs(only=["notices-publish"], force=True)
    done = Notice.objects.get(pk=created["id"])
    assert done.status == NoticeStatus.PUBLISHED and done.fanned_out == done.recipients == 60
    assert NoticeRecipient.objects.filter(notice=done).count() == 60
    assert SmsMessage.objects.filter(purpose="notice", status=SmsStatus.SENT).count() == 60
    phones = [m["phone"] for m in sms_file.lines()]
    assert len(phones) == len(set(phones)) == 60
    # Running a batch again changes nothing.
    assert notice_fan_out_batch(notice_id=done.pk) is True
    assert NoticeRecipient.objects.filter(notice=done).count() == 60 and len(sms_file.lines()) == 60


def test_inbox_pages_with_a_cursor(api, municipal_admin):
    person = collected()
    api.login(municipal_admin.phone)
    for i in range(25):
        api.post("/api/v1/admin/notices", notice(title=f"通知 {i}"))
    api.login(person.phone)
    first = api.get("/api/v1/me/notices").json()
    assert len(first["results"]) == 20 and first["unread"] == 25 and first["results"][0]["title"] == "通知 24"
    second = api.get("/api/v1/me/notices", {"cursor": first["next"]}).json()
    assert [r["title"] for r in second["results"]] == [f"通知 {i}" for i in range(4, -1, -1)]
    assert second["next"] is None
    problem(api.get("/api/v1/me/notices", {"cursor": "x"}), 400, "invalid_cursor")
