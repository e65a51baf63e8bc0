"""The district's review API: scoping, queue, claim, decisions, record application, SLA, audit."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.applications.models import Application
from registry.audit.models import AuditEntry
from registry.core.workdays import add_working_days
from registry.records.models import Record
from tests.helpers import problem
from tests.review.conftest import make_submitted

pytestmark = pytest.mark.django_db


def test_queue_shows_only_the_reviewers_districts(api, chaoyang_app, haidian_app, chaoyang_reviewer, municipal_admin):
    api.login(chaoyang_reviewer.phone)
    body = api.get("/api/v1/review/applications").json()
    assert [r["id"] for r in body["results"]] == [str(chaoyang_app.pk)]
    assert body["results"][0]["id_number"] == "110105********0033"  # masked in lists
    assert body["counts"] == {"submitted": 1}
    assert api.get("/api/v1/review/applications", {"district": "110108"}).json()["results"] == []
    api.login(municipal_admin.phone)
    assert len(api.get("/api/v1/review/applications").json()["results"]) == 2


def test_a_queue_row_is_exactly_the_documented_item(api, chaoyang_app, chaoyang_reviewer):
    """The queue answers with plain dicts (no per-row schema object): pin one row's every field and
    check the whole page against the schema the OpenAPI document publishes."""
    from registry.api.review import QueueOut

    chaoyang_app.refresh_from_db()
    api.login(chaoyang_reviewer.phone)
    response = api.get("/api/v1/review/applications")
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    QueueOut.model_validate(body)
    assert body["results"] == [
        {
            "id": str(chaoyang_app.pk),
            "type": "first_collection",
            "status": "submitted",
            "district": "110105",
            "applicant_name": chaoyang_app.applicant_name,
            "id_number": "110105********0033",
            "round": 1,
            "submitted_at": chaoyang_app.submitted_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "due_on": chaoyang_app.due_on.isoformat(),
            "overdue": False,
            "claimed_by": None,
        }
    ]
    assert body["next"] is None and body["counts"] == {"submitted": 1}
    api.post(f"/api/v1/review/applications/{chaoyang_app.pk}/claim")
    [row] = api.get("/api/v1/review/applications").json()["results"]
    assert (row["status"], row["claimed_by"]) == ("in_review", chaoyang_reviewer.name or chaoyang_reviewer.phone)


def test_other_district_gets_404_on_detail_files_claim_and_decision(api, chaoyang_app, haidian_reviewer):
    api.login(haidian_reviewer.phone)
    base = f"/api/v1/review/applications/{chaoyang_app.pk}"
    problem(api.get(base), 404, "not_found")
    problem(api.post(f"{base}/claim"), 404, "not_found")
    problem(api.post(f"{base}/decision", {"decision": "approve"}), 404, "not_found")
    for attachment in chaoyang_app.attachments.all():
        assert api.get(f"/api/v1/attachments/{attachment.pk}/content").status_code == 404
    assert Application.objects.get(pk=chaoyang_app.pk).status == "submitted"


def test_applicants_cannot_use_the_review_api(api, chaoyang_app, applicant):
    api.login(applicant.phone)
    problem(api.get("/api/v1/review/applications"), 403, "forbidden")


def test_claim_reject_resubmit_approve(api, chaoyang_app, chaoyang_reviewer, django_capture_on_commit_callbacks):
    api.login(chaoyang_reviewer.phone)
    base = f"/api/v1/review/applications/{chaoyang_app.pk}"
    detail = api.get(base).json()
    assert detail["form"]["basic"]["name"] == "李明" and detail["due_on"] and len(detail["attachments"]) == 6
    assert any(w["code"] == "photo_check" and w["ok"] for w in detail["warnings"])
    assert api.post(f"{base}/claim").json() == {"status": "in_review"}
    problem(api.post(f"{base}/decision", {"decision": "reject", "reasons": []}), 400, "reason_required")
    problem(api.post(f"{base}/decision", {"decision": "reject", "reasons": ["nonsense"]}), 400, "unknown_code")
    rejected = api.post(
        f"{base}/decision", {"decision": "reject", "reasons": ["photo_noncompliant"], "comment": "背景偏灰"}
    )
    assert rejected.json() == {"status": "rejected"}
    problem(api.post(f"{base}/decision", {"decision": "approve"}), 409, "already_decided")

    from registry.applications import services

    application = Application.objects.get(pk=chaoyang_app.pk)
    application = services.application_submit(application=application, actor=application.applicant)
    assert application.round == 2
    assert api.post(f"{base}/claim").json() == {"status": "in_review"}
    detail = api.get(base).json()
    assert [r["decision"] for r in detail["rounds"]] == ["rejected", ""]
    assert detail["rounds"][0]["comment"] == "背景偏灰"
    assert api.post(f"{base}/decision", {"decision": "approve"}).json() == {"status": "approved"}

    record = Record.objects.get(user=application.applicant)
    assert (record.district_id, record.version, record.status) == ("110105", 1, "normal")
    application.applicant.refresh_from_db()
    assert application.applicant.id_number == "110105199003070033"  # the ID number is now a login name
    actions = list(AuditEntry.objects.filter(target_id=str(application.pk)).values_list("action", flat=True))
    for expected in ["review.open", "review.claim", "review.reject", "review.approve"]:
        assert expected in actions


def test_second_reviewer_cannot_claim(api, chaoyang_app, chaoyang_reviewer):
    from tests.factories import UserFactory

    colleague = UserFactory(reviewer=True, district_codes=["110105"])
    api.login(chaoyang_reviewer.phone)
    api.post(f"/api/v1/review/applications/{chaoyang_app.pk}/claim")
    api.login(colleague.phone)
    problem(api.post(f"/api/v1/review/applications/{chaoyang_app.pk}/claim"), 409, "already_claimed")
    problem(
        api.post(f"/api/v1/review/applications/{chaoyang_app.pk}/decision", {"decision": "approve"}),
        409,
        "claimed_by_other",
    )


def test_admin_reassigns(api, chaoyang_app, chaoyang_reviewer, municipal_admin):
    from tests.factories import UserFactory

    colleague = UserFactory(reviewer=True, district_codes=["110105"])
    api.login(chaoyang_reviewer.phone)
    api.post(f"/api/v1/review/applications/{chaoyang_app.pk}/claim")
    api.login(municipal_admin.phone)
    body = {"reviewer_id": str(colleague.pk)}
    assert api.post(f"/api/v1/review/applications/{chaoyang_app.pk}/reassign", body).status_code == 200
    assert Application.objects.get(pk=chaoyang_app.pk).claimed_by == colleague
    api.login(colleague.phone)
    assert (
        api.post(f"/api/v1/review/applications/{chaoyang_app.pk}/decision", {"decision": "approve"}).status_code == 200
    )


def test_change_shows_a_diff_and_approval_adds_a_version(api, chaoyang_app, chaoyang_reviewer):
    from registry.applications import services

    api.login(chaoyang_reviewer.phone)
    base = f"/api/v1/review/applications/{chaoyang_app.pk}"
    api.post(f"{base}/claim")
    api.post(f"{base}/decision", {"decision": "approve"})
    person = chaoyang_app.applicant
    change = services.application_create(applicant=person, type="change")
    form = change.form
    form["employment"]["unit_name"] = "北京新单位有限公司"
    form["basic"]["email"] = "new@example.com"
    form["other"]["change_event_date"] = "2026-11-01"
    change = services.application_save_form(application=change, actor=person, form=form)
    from tests.applications.conftest import upload_all_materials

    upload_all_materials(change, person)
    services.application_submit(application=change, actor=person)
    detail = api.get(f"/api/v1/review/applications/{change.pk}").json()
    changed = {d["field"]: (d["old"], d["new"]) for d in detail["diff"]}
    assert changed == {
        "basic.email": ("liming@example.com", "new@example.com"),
        "employment.unit_name": ("北京示例科技有限公司", "北京新单位有限公司"),
        "other.change_event_date": ("", "2026-11-01"),
    }
    labelled = {d["label"]: (d["old_label"], d["new_label"]) for d in detail["diff"]}
    assert labelled["工作单位全称"] == ("北京示例科技有限公司", "北京新单位有限公司")
    assert labelled["变更事项发生日期"] == ("—", "2026-11-01")
    assert [v["version"] for v in detail["record_versions"]] == [1]
    assert detail["record_versions"][0]["source_label"] == "首次采集"
    assert detail["record_versions"][0]["district_name"] == "朝阳区"
    api.post(f"/api/v1/review/applications/{change.pk}/claim")
    api.post(f"/api/v1/review/applications/{change.pk}/decision", {"decision": "approve"})
    record = Record.objects.get(user=person)
    assert record.version == 2 and record.versions.count() == 2
    assert record.versions.get(version=1).data["employment"]["unit_name"] == "北京示例科技有限公司"


def test_warnings_for_a_certificate_and_id_number_seen_elsewhere(api, chaoyang_app, chaoyang_reviewer):
    other = make_submitted(id_number="11010519491231002X", name="张三", cert="Z11010516000123")
    other.applicant.id_number = "110105199003070033"
    api.login(chaoyang_reviewer.phone)
    codes = {w["code"] for w in api.get(f"/api/v1/review/applications/{chaoyang_app.pk}").json()["warnings"]}
    assert "certificate_elsewhere" in codes


def test_search_filters_and_overdue(api, chaoyang_reviewer):
    a = make_submitted(name="李明")
    b = make_submitted(name="赵六", id_number="11010519491231002X", cert="C999")
    Application.objects.filter(pk=b.pk).update(due_on=dt.date(2020, 1, 1))
    api.login(chaoyang_reviewer.phone)

    def ids(**params):
        return [r["id"] for r in api.get("/api/v1/review/applications", params).json()["results"]]

    assert ids(q="赵六") == [str(b.pk)]
    assert ids(q="11010519491231002x") == [str(b.pk)]
    assert ids(q="c999") == [str(b.pk)]
    assert ids(q="Z11010516000123") == [str(a.pk)]
    assert ids(overdue=True) == [str(b.pk)]
    assert ids(type="change") == []
    assert set(ids(status="submitted")) == {str(a.pk), str(b.pk)}
    assert api.get("/api/v1/review/applications", {"cursor": "garbage!"}).status_code == 400


def test_due_date_is_fifteen_working_days(chaoyang_app):
    from django.utils import timezone

    submitted_on = timezone.localtime(chaoyang_app.submitted_at).date()
    assert chaoyang_app.due_on == add_working_days(submitted_on, 15)


def test_keyset_pages_cover_everything_oldest_first(municipal_admin):
    from registry.demo.people import seed_people
    from registry.review.selectors import review_queue

    seed_people(120, open_share=0.5, batch=60)
    seen, cursor = [], None
    while True:
        page = review_queue(user=municipal_admin, cursor=cursor, page_size=7)
        seen += page.results
        cursor = page.next
        if not cursor:
            break
    expected = list(Application.objects.filter(status__in=["submitted", "in_review"]).order_by("submitted_at", "pk"))
    assert [a.pk for a in seen] == [a.pk for a in expected] and len(seen) > 40


def test_queue_query_count_does_not_grow_with_rows(api, municipal_admin):
    from registry.demo.people import seed_people

    api.login(municipal_admin.phone)

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/review/applications").status_code == 200
        return len(ctx.captured_queries)

    seed_people(20, open_share=0.5)
    count_queries()  # warm up: the token's last-used time is written at most once a minute
    small = count_queries()
    # the token, the counters, the page (an admin has no district list to read); on PostgreSQL the
    # counters and the page are one round trip
    assert small == (2 if connection.vendor == "postgresql" else 3)
    seed_people(200, open_share=0.5)
    assert count_queries() == small
