"""Found in the staff-side exploratory review (28 Nov 2026): an imported record nobody has claimed
yet has no account, so it is neither reached nor counted by a notice or a campaign; an uploaded list
that matches nobody publishes nothing; the form's messages name no codes. Each beside a second
district and a claimed person, so a dropped filter fails."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from registry.campaigns.models import CampaignTarget
from registry.campaigns.services import campaign_open
from registry.core.errors import ServiceError
from registry.imports.samples import sample_row
from registry.notices.audiences import audience_clean, audience_people
from registry.notices.models import Notice, NoticeRecipient
from registry.notices.services import notice_publish
from tests.people import collected

pytestmark = pytest.mark.django_db


@pytest.fixture
def unclaimed(tmp_path):
    """Two imported, unclaimed people: one in 朝阳区, one in 海淀区 (no account yet)."""
    from registry.imports.samples import rows_csv
    from registry.imports.services import import_file

    rng = random.Random(2811)
    rows = [sample_row(rng, district="110105"), sample_row(rng, district="110108")]
    path = tmp_path / "old.csv"
    path.write_bytes(rows_csv(rows))
    assert import_file(path=path, source="old").imported == 2
    return {"cy": rows[0]["id_number"], "hd": rows[1]["id_number"]}


def test_an_id_list_with_an_unclaimed_person_reaches_the_claimed_one(
    client, chaoyang_reviewer, unclaimed, django_capture_on_commit_callbacks
):
    # It was a 500 (sorting None beside user ids) and the typed notice was lost.
    person = collected(district="110105")
    collected(district="110108")
    client.force_login(chaoyang_reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/notices/",
            {
                "title": "名单通知",
                "body": "正文",
                "kind": "id_list",
                "id_numbers": f"{unclaimed['cy']}\n{person.id_number}",
            },
            follow=True,
        )
    assert response.status_code == 200
    notice = Notice.objects.get()
    assert notice.recipients == 1 and notice.audience["unmatched"] == 1
    assert list(NoticeRecipient.objects.values_list("user_id", flat=True)) == [person.pk]
    assert "另有 1 个证件号码不在范围内" in response.content.decode()


def test_an_id_list_matching_nobody_publishes_nothing(client, chaoyang_reviewer, unclaimed):
    haidian = collected(district="110108")
    client.force_login(chaoyang_reviewer)
    for numbers in (unclaimed["cy"], haidian.id_number, "110105199001011234"):
        response = client.post(
            "/staff/notices/", {"title": "名单通知", "body": "正文", "kind": "id_list", "id_numbers": numbers}
        )
        page = response.content.decode()
        assert response.status_code == 200 and "名单中没有可接收通知的人员" in page and "名单通知" in page
    assert not Notice.objects.exists()


def test_the_admins_list_of_someone_elsewhere_still_publishes(municipal_admin, unclaimed):
    haidian = collected(district="110108")
    notice = notice_publish(
        actor=municipal_admin,
        title="t",
        body="b",
        audience={"kind": "id_list", "id_numbers": [haidian.id_number, unclaimed["hd"]]},
    )
    assert notice.recipients == 1 and notice.audience["unmatched"] == 1
    with pytest.raises(ServiceError) as refused:
        audience_clean(actor=municipal_admin, audience={"kind": "id_list", "id_numbers": [unclaimed["hd"]]})
    assert refused.value.code == "no_match" and refused.value.field == "audience.id_numbers"


def test_districts_and_campaigns_count_only_people_with_an_account(
    municipal_admin, unclaimed, django_capture_on_commit_callbacks
):
    cy, hd = collected(district="110105"), collected(district="110108")
    clean = audience_clean(actor=municipal_admin, audience={"kind": "districts", "districts": ["110105"]})
    assert set(audience_people(clean).values_list("user_id", flat=True)) == {cy.pk}
    notice = notice_publish(
        actor=municipal_admin,
        title="t",
        body="b",
        audience={"kind": "all"},
        publish_at=timezone.now() + dt.timedelta(days=1),  # scheduled: the count is what the list shows
    )
    assert notice.recipients == 2
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_open(
            actor=municipal_admin,
            name="核查",
            scope={"kind": "districts", "districts": ["110105", "110108"]},
            deadline=timezone.localdate() + dt.timedelta(days=3),
            on_no_response="abnormal",
        )
    # "范围内 N 人" on opening said 4 while 2 tasks were made.
    assert campaign.in_scope == 2
    assert set(CampaignTarget.objects.values_list("user_id", flat=True)) == {cy.pk, hd.pk}


def test_the_forms_say_what_is_missing_in_words(client, municipal_admin):
    collected(district="110105")
    client.force_login(municipal_admin)
    deadline = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    page = client.post(
        "/staff/campaigns/",
        {
            "name": "核查",
            "kind": "qualification_level",
            "deadline": deadline,
            "on_no_response": "abnormal",
            "remind_days": "7",
        },
    ).content.decode()
    assert "请选择资格级别（初级、中级、高级、正高级）" in page and "junior、" not in page
    page = client.post(
        "/staff/campaigns/",
        {
            "name": "核查",
            "kind": "no_update_years",
            "years": "0",
            "deadline": deadline,
            "on_no_response": "abnormal",
            "remind_days": "7",
        },
    ).content.decode()
    assert "年数须在 1 至 30 之间" in page and "请填写年数" not in page
