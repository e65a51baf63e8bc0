"""The pages: staff publish and follow (only staff; a reviewer only for their districts), people
read their inbox (never someone else's notice); list queries do not grow with the rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.campaigns.models import Campaign, CampaignStatus
from registry.campaigns.services import campaign_open
from registry.notices.models import Notice, NoticeRecipient
from registry.notices.services import notice_publish
from tests.people import collected

pytestmark = pytest.mark.django_db


def test_staff_pages_are_for_staff_only(client, applicant):
    client.force_login(applicant)
    for path in ("/staff/notices/", "/staff/campaigns/", "/staff/integrity/"):
        assert client.get(path).status_code == 403


def test_a_reviewer_publishing_outside_their_districts_sees_why_and_nothing_is_sent(client, chaoyang_reviewer):
    collected(district="110108")
    client.force_login(chaoyang_reviewer)
    page = client.get("/staff/notices/").content.decode()
    assert 'value="110105"' in page and 'value="110108"' not in page  # only their districts offered
    response = client.post("/staff/notices/", {"title": "通知", "body": "正文", "kind": "all"})
    assert "区审核员只能向本区人员发送" in response.content.decode()
    assert not Notice.objects.exists()


def test_a_reviewer_sees_progress_but_cannot_close_a_campaign(client, municipal_admin, chaoyang_reviewer):
    campaign = campaign_open(
        actor=municipal_admin,
        name="核查",
        scope={"kind": "all"},
        deadline=timezone.localdate() + dt.timedelta(days=3),
        on_no_response="abnormal",
    )
    client.force_login(chaoyang_reviewer)
    page = client.get(f"/staff/campaigns/{campaign.pk}/").content.decode()
    assert "立即截止" not in page and "发起核查" not in client.get("/staff/campaigns/").content.decode()
    response = client.post(f"/staff/campaigns/{campaign.pk}/", follow=True)
    assert "仅市财政局管理员" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.OPEN


def test_the_inbox_page_and_the_header_count(client, municipal_admin, django_capture_on_commit_callbacks):
    person, other = collected(district="110105"), collected(district="110108")
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_publish(
            actor=municipal_admin,
            title="朝阳区通知",
            body="第一行\n第二行",
            audience={"kind": "districts", "districts": ["110105"]},
        )
    client.force_login(person)
    home = client.get("/").content.decode()
    assert 'data-testid="unread-count"' in home and "1 条未读" in home
    assert "朝阳区通知" in client.get("/notices/").content.decode()
    detail = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "第一行<br>第二行" in detail
    # The count read with the session before the notice was marked read is not shown on its page.
    assert 'data-testid="unread-count"' not in detail
    assert NoticeRecipient.objects.get(user=person).read_at is not None
    assert 'data-testid="unread-count"' not in client.get("/").content.decode()
    client.force_login(other)
    assert client.get(f"/notices/{notice.pk}/").status_code == 404


def test_a_district_reviewers_notice_comes_from_the_district_bureau(
    api, client, municipal_admin, chaoyang_reviewer, django_capture_on_commit_callbacks
):
    """It said 北京市财政局 for every notice, also one a district bureau sent to its own people."""
    from registry.core import refdata

    person = collected(district="110105")
    with django_capture_on_commit_callbacks(execute=True):
        district_notice = notice_publish(
            actor=chaoyang_reviewer,
            title="朝阳区通知",
            body="正文",
            audience={"kind": "districts", "districts": ["110105"]},
        )
        city_notice = notice_publish(
            actor=municipal_admin,
            title="全市通知",
            body="正文",
            audience={"kind": "districts", "districts": ["110105"]},
        )
    chaoyang = refdata.region("110105").bureau_name
    assert chaoyang and chaoyang != "北京市财政局"
    client.force_login(person)
    sender = 'data-testid="sender">'
    assert f"{sender}{chaoyang}<" in client.get(f"/notices/{district_notice.pk}/").content.decode()
    assert f"{sender}北京市财政局<" in client.get(f"/notices/{city_notice.pk}/").content.decode()
    chaoyang_reviewer.is_active = False  # the sender stays what it was when the reviewer is disabled
    chaoyang_reviewer.save()
    api.login(person.phone)
    inbox = api.get("/api/v1/me/notices").json()["results"]
    assert {(n["title"], n["sender"]) for n in inbox} == {("朝阳区通知", chaoyang), ("全市通知", "北京市财政局")}


def test_inbox_and_task_lists_do_not_grow_queries_with_rows(api, municipal_admin, django_capture_on_commit_callbacks):
    person = collected()

    def queries(path):
        api.get(path)  # the token's "last used" is written at most once a while: not part of the list
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(path).status_code == 200
        return len(ctx.captured_queries)

    def publish(n):
        with django_capture_on_commit_callbacks(execute=True):
            for i in range(n):
                notice_publish(actor=municipal_admin, title=f"通知{i}", body="正文", audience={"kind": "all"})
                campaign_open(
                    actor=municipal_admin,
                    name=f"核查{i}",
                    scope={"kind": "all"},
                    deadline=timezone.localdate() + dt.timedelta(days=3),
                    on_no_response="abnormal",
                )

    api.login(person.phone)
    publish(1)
    one = {path: queries(path) for path in ("/api/v1/me/notices", "/api/v1/me/tasks")}
    publish(9)
    assert {path: queries(path) for path in one} == one
    api.login(municipal_admin.phone)
    first = queries("/api/v1/admin/notices")
    publish(5)
    assert queries("/api/v1/admin/notices") == first


def test_an_admins_district_choices_are_this_deployments_districts_only(client, municipal_admin):
    client.force_login(municipal_admin)
    page = client.get("/staff/notices/").content.decode()
    assert 'value="110105"' in page and 'value="110108"' in page
    assert 'value="130102"' not in page  # 河北 长安区 is a reviewing unit, but of another province
