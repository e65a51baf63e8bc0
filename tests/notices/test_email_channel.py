"""The email channel of notices: one outbox row per person whose record has an address (none for
one without: counted as "no address"), delivered by the job after the batch commits and written by
Django's file backend; the API channel and the staff form's checkbox; the publisher's counts; a
district reviewer's notice reaches only their districts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.mail.models import OutgoingEmail
from registry.notices.audiences import audience_batch
from registry.notices.models import Notice, NoticeRecipient
from registry.records.models import RecordVersion
from registry.records.services import record_apply
from tests.helpers import problem
from tests.people import collected

pytestmark = pytest.mark.django_db

TITLE = "关于开展 2026 年度继续教育的通知"


def notice(**extra):
    return {"title": TITLE, "body": "请于 12 月 31 日前完成学习。", "audience": {"kind": "all"}, **extra}


def test_publishing_with_email_writes_one_message_per_person_with_an_address(api, municipal_admin, mail_dir):
    alice = collected(district="110105", email="alice@example.com", name="王丽")
    bob = collected(district="110108", email="bob@example.cn", name="赵强")
    carol = collected(district="110105", email="", name="孙芳")  # no address on her record
    api.login(municipal_admin.phone)
    created = api.post("/api/v1/admin/notices", notice(channels=["inbox", "email"]))
    assert created.status_code == 201, created.content
    assert created.json()["recipients"] == 3
    saved = Notice.objects.get(pk=created.json()["id"])
    assert saved.channels == ["inbox", "email"]

    # Everyone has it in their inbox (the record of it); the outbox holds one row per address.
    assert NoticeRecipient.objects.filter(notice=saved).count() == 3
    assert sorted(OutgoingEmail.objects.values_list("to", flat=True)) == ["alice@example.com", "bob@example.cn"]
    assert NoticeRecipient.objects.get(notice=saved, user=carol).email_id is None
    assert NoticeRecipient.objects.get(notice=saved, user=alice).email.to == "alice@example.com"

    # Delivered by the job after the commit, through the file backend.
    assert mail_dir.to() == ["alice@example.com", "bob@example.cn"]
    for message in mail_dir.messages():
        assert message["Subject"].strip() == TITLE
        text = message.get_content()
        assert text.startswith("请于 12 月 31 日前完成学习。") and "请登录会计人员信息管理系统" in text
        assert "\n北京市财政局（本邮件由系统自动发送" in text
    assert {bob.pk, alice.pk} == set(
        NoticeRecipient.objects.filter(notice=saved, email__status="sent").values_list("user_id", flat=True)
    )

    progress = api.get(f"/api/v1/admin/notices/{saved.pk}").json()
    assert progress["email"] == {"queued": 0, "sending": 0, "sent": 2, "failed": 0, "no_address": 1}
    assert progress["email_failed"] == [] and progress["sms"] == {}


def test_email_alone_goes_with_the_inbox_and_unknown_channels_are_refused(api, municipal_admin, mail_dir):
    person = collected()
    api.login(municipal_admin.phone)
    created = api.post("/api/v1/admin/notices", notice(channels=["email"])).json()
    assert Notice.objects.get(pk=created["id"]).channels == ["inbox", "email"]
    assert NoticeRecipient.objects.filter(user=person).count() == 1 and mail_dir.to() == ["liming@example.com"]
    body = problem(api.post("/api/v1/admin/notices", notice(channels=["inbox", "fax"])), 400, "unknown_code")
    assert "email（电子邮件）" in body["detail"]
    # Without the channel nobody is written to.
    api.post("/api/v1/admin/notices", notice(channels=["inbox", "sms"]))
    assert OutgoingEmail.objects.count() == 1


def test_failed_emails_are_shown_to_the_publisher_masked(api, municipal_admin, settings):
    settings.EMAIL_BACKEND = "tests.mail.backends.RefusingBackend"
    collected(email="wrong.address@example.com", name="周杰")
    api.login(municipal_admin.phone)
    created = api.post("/api/v1/admin/notices", notice(channels=["inbox", "email"])).json()
    progress = api.get(f"/api/v1/admin/notices/{created['id']}").json()
    assert progress["email"]["failed"] == 1 and progress["email"]["no_address"] == 0
    (failed,) = progress["email_failed"]
    assert failed["name"] == "周杰" and failed["email"] == "wr****@example.com" and "550" in failed["error"]


def test_a_district_reviewers_email_reaches_only_their_districts(api, chaoyang_reviewer, mail_dir):
    collected(district="110105", email="mine@example.com")
    collected(district="110108", email="other@example.com")
    api.login(chaoyang_reviewer.phone)
    problem(api.post("/api/v1/admin/notices", notice(channels=["inbox", "email"])), 403, "outside_districts")
    created = api.post(
        "/api/v1/admin/notices",
        notice(audience={"kind": "qualification_level", "levels": ["intermediate"]}, channels=["inbox", "email"]),
    )
    assert created.status_code == 201 and created.json()["recipients"] == 1
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == ["mine@example.com"]
    assert mail_dir.to() == ["mine@example.com"]
    (message,) = mail_dir.messages()  # signed by the district bureau that sent it, as the inbox says
    assert "\n朝阳区财政局（本邮件由系统自动发送" in message.get_content()


def test_the_staff_form_has_an_email_checkbox_and_the_detail_page_counts(
    client, municipal_admin, mail_dir, django_capture_on_commit_callbacks
):
    collected(district="110105", email="chaoyang@example.com")
    collected(district="110105", email="")
    collected(district="110108", email="haidian@example.com")
    client.force_login(municipal_admin)
    page = client.get("/staff/notices/").content.decode()
    assert 'name="email"' in page and "电子邮件" in page
    form = {"title": TITLE, "body": "正文", "kind": "districts", "districts": ["110105"], "email": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/notices/", form)
    saved = Notice.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/notices/{saved.pk}/"
    assert saved.channels == ["inbox", "email"]
    assert mail_dir.to() == ["chaoyang@example.com"]
    detail = client.get(f"/staff/notices/{saved.pk}/").content.decode()
    assert "电子邮件送达情况" in detail and "已发送 1" in detail and "未登记邮箱 1" in detail
    assert "短信送达情况" not in detail

    with django_capture_on_commit_callbacks(execute=True):  # unticked: inbox only
        client.post("/staff/notices/", {**form, "email": ""})
    assert Notice.objects.latest("created_at").channels == ["inbox"] and len(mail_dir.messages()) == 1


def test_the_batch_reads_addresses_in_its_one_statement(db):
    first = collected(email="old@example.com")
    for i in range(1, 3):
        collected(email=f"p{i}@example.com")
    # A change approved later: the current version's address counts, not the first one's.
    version = RecordVersion.objects.get(record__user=first)
    data = {**version.data, "basic": {**version.data["basic"], "email": "p0@example.com"}}
    record_apply(user=first, district_code="110105", data=data, source="change")

    def statements(size):
        with CaptureQueriesContext(connection) as ctx:
            rows = audience_batch({"kind": "all"}, after=0, size=size, emails=True)
        assert len(rows) == size
        return len(ctx.captured_queries)

    assert statements(1) == statements(3) == 1
    assert [email for _, _, email in audience_batch({"kind": "all"}, after=0, size=3, emails=True)] == [
        "p0@example.com",
        "p1@example.com",
        "p2@example.com",
    ]
