"""A campaign end to end: 1,000 people in scope, 600 confirm, the deadline job marks 400, two
answer late and are cleared; the job run twice changes nothing; a frozen person gets 409."""

import datetime as dt

import pytest
from django.utils import timezone

from registry.audit.models import AuditEntry
from registry.campaigns.models import Campaign, CampaignStatus, CampaignTarget
from registry.campaigns.services import campaign_confirm, campaign_open, campaigns_tick
from registry.core.schedule import run_due_jobs
from registry.notices.models import Notice, NoticeRecipient
from registry.records.models import Record, RecordStatus
from tests.helpers import problem
from tests.people import collected

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + dt.timedelta(days=1)
AFTER_DEADLINE = TOMORROW + dt.timedelta(days=1)


def statuses():
    return dict(Record.objects.values_list("user_id", "status"))


def test_thousand_people_six_hundred_confirm_four_hundred_marked_two_cleared(municipal_admin, api):
    from registry.demo.people import seed_people

    seed_people(1000, open_share=0)
    assert Record.objects.count() == 1000
    campaign = campaign_open(
        actor=municipal_admin,
        name="2026 年会计人员信息集中核查",
        scope={"kind": "all"},
        deadline=TOMORROW,
        on_no_response="abnormal",
    )
    campaigns_tick()  # the tasks (without a broker: the scheduled job finishes what the request began)
    campaign.refresh_from_db()
    assert campaign.in_scope == 1000 and campaign.tasks_created
    people = list(CampaignTarget.objects.filter(campaign=campaign).order_by("user_id").select_related("user"))
    for target in people[:600]:
        campaign_confirm(campaign_id=campaign.pk, actor=target.user)
    campaign_confirm(campaign_id=campaign.pk, actor=people[0].user)  # answering twice is one answer

    before = AuditEntry.objects.count()
    campaigns_tick(today=AFTER_DEADLINE)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CLOSED
    after = statuses()
    marked = [t.user_id for t in people[600:]]
    assert [after[u] for u in marked] == [RecordStatus.ABNORMAL] * 400
    assert {after[t.user_id] for t in people[:600]} == {RecordStatus.NORMAL}
    # Each mark is audited on the record, with the campaign as reason.
    marks = AuditEntry.objects.filter(action="record.status", seq__gt=before)
    assert marks.count() == 400 and str(campaign.pk) in marks.first().details["reason"]

    # The deadline job run again (and the close endpoint, the same code) changes nothing.
    api.login(municipal_admin.phone)
    snapshot, audit_rows = statuses(), AuditEntry.objects.count()
    campaigns_tick(today=AFTER_DEADLINE)
    closed = api.post(f"/api/v1/admin/campaigns/{campaign.pk}/close")
    assert closed.status_code == 200 and closed.json()["marked"] == 400
    assert statuses() == snapshot and AuditEntry.objects.count() == audit_rows

    # Two answer late: their mark (this campaign's) is cleared, nobody else's.
    for target in people[600:602]:
        answered = campaign_confirm(campaign_id=campaign.pk, actor=target.user)
        assert answered.cleared_at is not None
    now = statuses()
    assert [now[t.user_id] for t in people[600:602]] == [RecordStatus.NORMAL] * 2
    assert [now[t.user_id] for t in people[602:]] == [RecordStatus.ABNORMAL] * 398

    progress = api.get(f"/api/v1/admin/campaigns/{campaign.pk}").json()
    assert (progress["in_scope"], progress["answered"], progress["marked"]) == (1000, 602, 398)
    assert sum(d["in_scope"] for d in progress["by_district"].values()) == 1000
    assert progress["by_district"]["110105"]["in_scope"] == len([t for t in people if t.district_id == "110105"])


def test_a_frozen_person_answers_and_then_may_apply_again(api, municipal_admin):
    person, neighbour = collected(district="110105"), collected(district="110105")
    campaign = campaign_open(
        actor=municipal_admin,
        name="冻结核查",
        scope={"kind": "districts", "districts": ["110105"]},
        deadline=TOMORROW,
        on_no_response="frozen",
    )
    campaigns_tick(today=AFTER_DEADLINE)
    assert Record.objects.get(user=person).status == RecordStatus.FROZEN

    api.login(person.phone)  # a frozen person can log in
    tasks = api.get("/api/v1/me/tasks").json()["results"]
    assert [(t["campaign"], t["mark"], t["overdue"]) for t in tasks] == [(str(campaign.pk), "frozen", True)]
    body = problem(api.post("/api/v1/me/applications", {"type": "change"}), 409, "record_frozen")
    assert "冻结" in body["detail"]
    problem(api.post("/api/v1/me/transfer-out", {"destination_region": "130000"}), 409, "record_frozen")

    confirmed = api.post(f"/api/v1/me/campaigns/{campaign.pk}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["cleared"] is True
    assert api.get("/api/v1/me/tasks").json()["results"] == []
    assert Record.objects.get(user=person).status == RecordStatus.NORMAL
    assert Record.objects.get(user=neighbour).status == RecordStatus.FROZEN  # nobody else's mark
    assert api.post("/api/v1/me/applications", {"type": "change"}).status_code == 201


def test_a_late_answer_clears_only_its_own_campaigns_mark(municipal_admin):
    person = collected(district="110108")
    first = campaign_open(
        actor=municipal_admin, name="甲", scope={"kind": "all"}, deadline=TOMORROW, on_no_response="abnormal"
    )
    second = campaign_open(
        actor=municipal_admin, name="乙", scope={"kind": "all"}, deadline=TOMORROW, on_no_response="frozen"
    )
    campaigns_tick(today=AFTER_DEADLINE)
    assert Record.objects.get(user=person).status == RecordStatus.FROZEN
    campaign_confirm(campaign_id=second.pk, actor=person)
    assert Record.objects.get(user=person).status == RecordStatus.ABNORMAL  # 甲's mark stays
    campaign_confirm(campaign_id=first.pk, actor=person)
    assert Record.objects.get(user=person).status == RecordStatus.NORMAL


def test_a_submitted_change_application_answers_the_campaign(municipal_admin, django_capture_on_commit_callbacks):
    person, idle = collected(district="110105"), collected(district="110105")
    campaign = campaign_open(
        actor=municipal_admin, name="核查", scope={"kind": "all"}, deadline=TOMORROW, on_no_response="abnormal"
    )
    campaigns_tick()
    _submit_change(person)

    campaigns_tick(today=AFTER_DEADLINE)
    target = CampaignTarget.objects.get(campaign=campaign, user=person)
    assert target.answer == "change" and target.marked_at is None
    assert Record.objects.get(user=person).status == RecordStatus.NORMAL
    assert Record.objects.get(user=idle).status == RecordStatus.ABNORMAL


def _submit_change(person):
    from registry.applications import services
    from tests.applications.conftest import upload_all_materials

    change = services.application_create(applicant=person, type="change")
    form = change.form
    form["employment"]["unit_name"] = "北京新单位有限公司"
    form["other"]["change_event_date"] = str(timezone.localdate())
    change = services.application_save_form(application=change, actor=person, form=form)
    upload_all_materials(change, person)
    return services.application_submit(application=change, actor=person)


def test_a_change_filed_after_the_mark_answers_late_and_lifts_it(municipal_admin, chaoyang_reviewer):
    """异常 may file a change (PRODUCT.md: answering late clears it); its approval leaves the mark
    to the campaign, and the scheduled job lifts this campaign's mark only."""
    from registry.applications.models import Application
    from registry.review import services as review

    person, idle = collected(district="110105"), collected(district="110105")
    campaign = campaign_open(
        actor=municipal_admin, name="核查", scope={"kind": "all"}, deadline=TOMORROW, on_no_response="abnormal"
    )
    campaigns_tick(today=AFTER_DEADLINE)
    assert statuses()[person.pk] == statuses()[idle.pk] == RecordStatus.ABNORMAL

    change = _submit_change(person)
    review.review_claim(application=change, actor=chaoyang_reviewer)
    review.review_decide(application=Application.objects.get(pk=change.pk), actor=chaoyang_reviewer, decision="approve")
    record = Record.objects.get(user=person)
    assert record.version == 2 and record.status == RecordStatus.ABNORMAL  # the approval lifts no mark

    later = campaign_open(  # opened after the change: the change is no answer to it
        actor=municipal_admin,
        name="再次核查",
        scope={"kind": "all"},
        deadline=AFTER_DEADLINE,
        on_no_response="abnormal",
    )
    campaigns_tick(today=AFTER_DEADLINE)
    target = CampaignTarget.objects.get(campaign=campaign, user=person)
    assert (target.answer, target.cleared_at is not None) == ("change", True)
    assert statuses()[person.pk] == RecordStatus.NORMAL and statuses()[idle.pk] == RecordStatus.ABNORMAL
    assert CampaignTarget.objects.get(campaign=later, user=person).answered_at is None
    (answer,) = AuditEntry.objects.filter(action="campaign.answer", target_id=str(campaign.pk))
    assert answer.details == {"answer": "change", "record": record.pk, "late": True}
    assert answer.actor_id == person.pk
    before = AuditEntry.objects.count()
    campaigns_tick(today=AFTER_DEADLINE)  # written down once
    assert AuditEntry.objects.filter(action="campaign.answer", seq__gt=before).count() == 0


def test_reminder_notice_goes_to_non_responders_once(municipal_admin):
    answered, silent = collected(district="110105"), collected(district="110108")
    campaign = campaign_open(
        actor=municipal_admin,
        name="核查",
        scope={"kind": "all"},
        deadline=TOMORROW + dt.timedelta(days=10),
        on_no_response="abnormal",
        remind_days=7,
    )
    campaigns_tick()  # 11 days before the deadline: tasks, no reminder yet
    campaign_confirm(campaign_id=campaign.pk, actor=answered)
    assert not Notice.objects.exists()
    reminder_day = campaign.deadline - dt.timedelta(days=7)
    campaigns_tick(today=reminder_day)
    campaigns_tick(today=reminder_day)
    run_due_jobs(only=["notices-publish"], force=True)
    (reminder,) = Notice.objects.filter(campaign_id=campaign.pk)
    assert list(NoticeRecipient.objects.filter(notice=reminder).values_list("user_id", flat=True)) == [silent.pk]


def test_progress_per_district_for_a_reviewer_covers_only_their_districts(api, municipal_admin, chaoyang_reviewer):
    collected(district="110105"), collected(district="110108"), collected(district="110108")
    campaign = campaign_open(
        actor=municipal_admin, name="核查", scope={"kind": "all"}, deadline=TOMORROW, on_no_response="abnormal"
    )
    campaigns_tick()
    api.login(chaoyang_reviewer.phone)
    progress = api.get(f"/api/v1/admin/campaigns/{campaign.pk}").json()
    assert progress["in_scope"] == 1 and list(progress["by_district"]) == ["110105"]
    problem(api.post(f"/api/v1/admin/campaigns/{campaign.pk}/close"), 403, "forbidden")
    problem(
        api.post(
            "/api/v1/admin/campaigns",
            {"name": "x", "scope": {"kind": "all"}, "deadline": str(TOMORROW), "on_no_response": "frozen"},
        ),
        403,
        "forbidden",
    )
    assert Campaign.objects.count() == 1


def test_the_api_opens_a_campaign_and_a_person_sees_and_confirms_the_task(api, municipal_admin):
    person = collected()
    api.login(municipal_admin.phone)
    created = api.post(
        "/api/v1/admin/campaigns",
        {
            "name": "信息核查",
            "scope": {"kind": "qualification_level", "levels": ["intermediate"]},
            "deadline": str(TOMORROW),
            "on_no_response": "abnormal",
        },
    )
    assert created.status_code == 201 and created.json()["in_scope"] == 1
    problem(
        api.post(
            "/api/v1/admin/campaigns",
            {
                "name": "x",
                "scope": {"kind": "all"},
                "deadline": str(timezone.localdate()),
                "on_no_response": "abnormal",
            },
        ),
        400,
        "deadline_past",
    )
    api.login(person.phone)
    (task,) = api.get("/api/v1/me/tasks").json()["results"]
    assert task == {
        "campaign": created.json()["id"],
        "name": "信息核查",
        "deadline": str(TOMORROW),
        "overdue": False,
        "mark": "",
    }
    assert api.post(f"/api/v1/me/campaigns/{task['campaign']}/confirm").json()["answer"] == "confirm"
    assert api.get("/api/v1/me/tasks").json()["results"] == []
    problem(api.post("/api/v1/me/campaigns/00000000-0000-0000-0000-000000000000/confirm"), 404, "not_found")
