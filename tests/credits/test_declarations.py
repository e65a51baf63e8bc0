"""Self-declared conversions: computed credits, proof checked by content, review by the person's
district (queue type ce_declaration), counted once approved, refused after 31 March."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.audit.models import AuditEntry
from registry.core.errors import ServiceError
from registry.credits.models import CreditRecord, CreditStatus
from registry.credits.selectors import compliance
from registry.credits.services import declaration_submit, proof_add
from tests.files import pdf_bytes, png_bytes
from tests.helpers import problem

from .conftest import collect

pytestmark = pytest.mark.django_db


def declare(api, body):
    return api.post("/api/v1/me/credits/declarations", body)


def upload(client, token, declaration_id, data, name="proof.pdf", kind="ce_proof"):
    return client.post(
        f"/api/v1/me/credits/declarations/{declaration_id}/attachments",
        {"kind": kind, "file": SimpleUploadedFile(name, data)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_declared_reviewed_and_counted(person_api, client, person, chaoyang_reviewer, haidian_reviewer, api):
    year = dt.date.today().year
    response = declare(
        person_api, {"year": year, "kind": "conference_day", "details": {"title": "全国会计学术年会", "days": "2"}}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["credits"] == 20 and body["type"] == "ce_declaration"
    # credits are never typed: a "credits" in the details is ignored
    typed = declare(person_api, {"year": year, "kind": "paper_first", "details": {"title": "论文", "credits": 999}})
    assert typed.json()["credits"] == 30  # a JSON number, as API.md writes credit figures
    problem(upload(client, person_api.token, body["id"], b"MZ\x90\x00not a pdf", "proof.pdf"), 400, "unsupported_type")
    proof = upload(client, person_api.token, body["id"], pdf_bytes("会议证明"))
    assert proof.status_code == 201, proof.content
    standing = person_api.get("/api/v1/me/credits", {"year": year}).json()
    assert standing["total"] == 0 and {r["status"] for r in standing["records"]} == {"pending"}
    figures = ("total", "professional", "public", "required", "required_professional", "missing")
    assert all(type(standing[f]) in (int, float) for f in figures), standing

    # the district's queue, as its own type; another district's reviewer sees nothing
    reviewer = api.__class__(api.client, api.capture)
    reviewer.login(haidian_reviewer.phone)
    assert reviewer.get("/api/v1/review/applications", {"type": "ce_declaration"}).json()["results"] == []
    problem(
        reviewer.post(f"/api/v1/review/credit-declarations/{body['id']}/decision", {"decision": "approve"}),
        404,
        "not_found",
    )
    reviewer.login(chaoyang_reviewer.phone)
    queue = reviewer.get("/api/v1/review/applications", {"type": "ce_declaration"}).json()["results"]
    assert [item["id"] for item in queue] == [body["id"], typed.json()["id"]]
    assert queue[0]["type"] == "ce_declaration" and "*" in queue[0]["id_number"]
    detail = reviewer.get(f"/api/v1/review/credit-declarations/{body['id']}")
    assert detail.status_code == 200 and detail.json()["proofs"][0]["kind"] == "ce_proof"
    assert reviewer.get(detail.json()["proofs"][0]["url"]).status_code == 200
    # no proof: cannot be approved; rejection needs a reason
    problem(
        reviewer.post(f"/api/v1/review/credit-declarations/{typed.json()['id']}/decision", {"decision": "approve"}),
        409,
        "missing_proof",
    )
    problem(
        reviewer.post(f"/api/v1/review/credit-declarations/{typed.json()['id']}/decision", {"decision": "reject"}),
        400,
        "reason_required",
    )
    rejected = reviewer.post(f"/api/v1/review/credit-declarations/{typed.json()['id']}/decision",
                             {"decision": "reject", "reasons": ["proof_unclear"], "comment": "请上传论文首页"})  # fmt: skip
    assert rejected.json()["status"] == "rejected"
    approved = reviewer.post(f"/api/v1/review/credit-declarations/{body['id']}/decision", {"decision": "approve"})
    assert approved.json()["status"] == "approved"
    problem(
        reviewer.post(
            f"/api/v1/review/credit-declarations/{body['id']}/decision",
            {"decision": "reject", "reasons": ["proof_unclear"]},
        ),
        409,
        "already_decided",
    )

    standing = compliance(person, year)
    assert standing.total == Decimal(20) and standing.professional == Decimal(20)
    assert CreditRecord.objects.get(declaration__pk=typed.json()["id"]).status == CreditStatus.REJECTED
    actions = set(AuditEntry.objects.filter(target_id=body["id"]).values_list("action", flat=True))
    assert {"credits.declare", "credits.proof_add", "credits.review_open", "credits.declaration_approve"} <= actions
    mine = person_api.get("/api/v1/me/credits/declarations").json()
    assert {d["status"] for d in mine} == {"accepted", "rejected"}


def test_late_declaration_refused_with_a_clear_message(person):
    with pytest.raises(ServiceError) as refused:
        declaration_submit(person=person, actor=person.user, year=2025, kind="exam_subject",
                           details={"title": "中级会计实务"}, on=dt.date(2026, 4, 1))  # fmt: skip
    assert refused.value.code == "declaration_closed" and "2026年3月31日" in refused.value.message
    on_time = declaration_submit(person=person, actor=person.user, year=2025, kind="exam_subject",
                                 details={"title": "中级会计实务"}, on=dt.date(2026, 3, 31))  # fmt: skip
    assert on_time.credits == Decimal(90)


def test_late_declaration_over_the_api(person_api):
    response = declare(person_api, {"year": dt.date.today().year - 2, "kind": "book_first", "details": {"title": "书"}})
    body = problem(response, 409, "declaration_closed")
    assert "截止" in body["detail"]


def test_quantity_kinds_and_bad_input(person):
    year = dt.date.today().year
    hours = declaration_submit(person=person, actor=person.user, year=year, kind="institute_hours",
                               details={"title": "注协继续教育", "hours": "12.5"})  # fmt: skip
    assert hours.credits == Decimal("12.5")
    for kind, details, code in [
        ("conference_day", {"title": "会"}, "invalid_quantity"),
        ("conference_day", {"title": "会", "days": "-1"}, "invalid_quantity"),
        ("no_such_kind", {"title": "x"}, "unknown_code"),
        ("paper_first", {}, "required"),
    ]:
        with pytest.raises(ServiceError) as refused:
            declaration_submit(person=person, actor=person.user, year=year, kind=kind, details=details)
        assert refused.value.code == code
    with pytest.raises(ServiceError) as refused:
        declaration_submit(person=person, actor=person.user, year=year + 1, kind="paper_first", details={"title": "x"})
    assert refused.value.code == "bad_year"


def test_another_persons_declaration_is_not_found(person, other_person, api):
    declaration = declaration_submit(person=person, actor=person.user, year=dt.date.today().year, kind="paper_other",
                                     details={"title": "论文"})  # fmt: skip
    proof_add(declaration=declaration, actor=person.user, uploaded=SimpleUploadedFile("p.png", png_bytes()))
    api.login(other_person.user.phone)
    problem(upload(api.client, api.token, declaration.pk, pdf_bytes()), 404, "not_found")
    url = f"/api/v1/credits/proofs/{declaration.proofs.get().pk}/content"
    problem(api.get(url), 404, "not_found")
    with pytest.raises(ServiceError):
        proof_add(declaration=declaration, actor=other_person.user, uploaded=SimpleUploadedFile("p.pdf", pdf_bytes()))


def test_staff_never_decide_their_own(person, chaoyang_reviewer):
    own = collect(name="审核员本人", district="110105", user=chaoyang_reviewer)
    declaration = declaration_submit(person=own, actor=chaoyang_reviewer, year=dt.date.today().year,
                                     kind="paper_other", details={"title": "论文"})  # fmt: skip
    from registry.credits.services import declaration_claim

    with pytest.raises(ServiceError) as refused:
        declaration_claim(actor=chaoyang_reviewer, declaration=declaration)
    assert refused.value.code == "own_application"
    assert json.dumps(refused.value.message, ensure_ascii=False)


def test_the_declaration_queue_pages_oldest_first_by_keyset(person, other_person, municipal_admin):
    from registry.core.keyset import BadCursor
    from registry.credits.models import CreditDeclaration
    from registry.credits.selectors import declaration_queue

    year = dt.date.today().year
    for who in (person, other_person, person):
        declaration_submit(person=who, actor=who.user, year=year, kind="paper_other", details={"title": "论文"})
    # Two share one moment: the id breaks the tie, so no row is skipped or repeated across pages.
    first_two = list(CreditDeclaration.objects.order_by("created_at", "pk")[:2])
    CreditDeclaration.objects.filter(pk__in=[d.pk for d in first_two]).update(created_at=first_two[0].created_at)
    expected = list(CreditDeclaration.objects.order_by("created_at", "pk").values_list("pk", flat=True))
    waiting = declaration_queue(user=municipal_admin)
    assert [d.pk for d in waiting.results] == expected  # the admin sees all three, waiting
    seen, cursor = [], None
    while True:
        page = declaration_queue(user=municipal_admin, cursor=cursor, page_size=1)
        seen += [d.pk for d in page.results]
        if not page.next:
            break
        cursor = page.next
    assert seen == expected
    with pytest.raises(BadCursor):
        declaration_queue(user=municipal_admin, cursor="MDAwMS0wMS0wMVQwMDowMDowMCswNTowMHx4")


def test_activity_date_must_be_in_the_declared_year_and_not_in_the_future(person, other_person):
    """Credits count only in their own year: an activity dated in another year, or after the day of
    the declaration, is refused on the date field and nothing is stored."""
    from registry.credits.models import CreditDeclaration

    on, in_march = dt.date(2026, 11, 27), dt.date(2026, 3, 2)  # in March last year's credits may still be declared
    kept = declaration_submit(person=other_person, actor=other_person.user, year=2026, kind="exam_subject",
                              details={"title": "中级会计实务", "date": "2026-05-10"}, on=on)  # fmt: skip
    for year, date, day, code, words in [
        (2026, "2025-05-10", on, "date_outside_year", "不在申报年度（2026 年）内"),
        (2025, "2026-01-05", in_march, "date_outside_year", "不在申报年度（2025 年）内"),
        (2026, "2026-12-25", on, "future_date", "晚于今天"),
        (2026, "2026-11-28", on, "future_date", "晚于今天"),
        (2026, "2026-02-30", on, "invalid_date", "YYYY-MM-DD"),
        (2026, "去年五月", on, "invalid_date", "YYYY-MM-DD"),
    ]:
        with pytest.raises(ServiceError) as refused:
            declaration_submit(person=person, actor=person.user, year=year, kind="exam_subject",
                               details={"title": "财务管理", "date": date}, on=day)  # fmt: skip
        assert (refused.value.code, refused.value.field, refused.value.status) == (code, "details.date", 400), date
        assert words in refused.value.message
    assert list(CreditDeclaration.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(CreditRecord.objects.values_list("record_id", flat=True)) == [other_person.pk]
    assert AuditEntry.objects.filter(action="credits.declare").count() == 1  # only the kept one

    # the first day of the year, today and (in March) last year's last day are fine; the date is kept as the credit's date
    for date in ("2026-01-01", "2026-11-27"):
        ok = declaration_submit(person=person, actor=person.user, year=2026, kind="paper_other",
                                details={"title": "论文", "date": date}, on=on)  # fmt: skip
        assert ok.credit.completed_on == dt.date.fromisoformat(date) and ok.details["date"] == date
    last_year = declaration_submit(person=person, actor=person.user, year=2025, kind="paper_other",
                                   details={"title": "论文", "date": "2025-12-31"}, on=in_march)  # fmt: skip
    assert last_year.credit.completed_on == dt.date(2025, 12, 31)


def test_activity_date_rule_over_the_api(person_api, person, other_person):
    from registry.credits.models import CreditDeclaration
    from registry.credits.services import today

    this_year = today().year
    other = declaration_submit(person=other_person, actor=other_person.user, year=this_year, kind="paper_other",
                               details={"title": "论文"})  # fmt: skip
    body = problem(declare(person_api, {"year": this_year, "kind": "exam_subject",
                                        "details": {"title": "中级会计实务", "date": f"{this_year - 1}-05-10"}}),
                   400, "date_outside_year")  # fmt: skip
    assert body["errors"] == [{"field": "details.date", "code": "date_outside_year", "message": body["detail"]}]
    assert f"{this_year - 1}-05-10" in body["detail"] and f"{this_year} 年" in body["detail"]
    future = (today() + dt.timedelta(days=28)).isoformat()
    body = problem(declare(person_api, {"year": this_year, "kind": "exam_subject",
                                        "details": {"title": "中级会计实务", "date": future}}), 400, "future_date")  # fmt: skip
    assert body["errors"][0]["field"] == "details.date" and future in body["detail"]
    assert list(CreditDeclaration.objects.values_list("pk", flat=True)) == [other.pk]
    assert person_api.get("/api/v1/me/credits", {"year": this_year}).json()["records"] == []


def test_quantity_refusals_say_what_is_wrong(person, other_person, person_api):
    """400 days of conferences: the message names the maximum, not "请填写天数"."""
    from registry.credits.models import CreditDeclaration

    year = dt.date.today().year
    kept = declaration_submit(person=other_person, actor=other_person.user, year=year, kind="conference_day",
                              details={"title": "会计学术年会", "days": "366"})  # fmt: skip
    assert kept.credits == Decimal(3660)
    for kind, value, words in [
        ("conference_day", "400", "天数最多 366 天（填写的是 400 天）"),
        ("conference_day", "12345", "天数最多 366 天"),
        ("conference_day", "", "请填写天数"),
        ("conference_day", "0", "天数须大于 0"),
        ("conference_day", "1.25", "天数须以 0.5 为单位"),
        ("conference_day", "两天", "天数须为数字"),
        ("institute_hours", "9000", "学时最多 8784 学时"),
    ]:
        key = "days" if kind == "conference_day" else "hours"
        with pytest.raises(ServiceError) as refused:
            declaration_submit(person=person, actor=person.user, year=year, kind=kind,
                               details={"title": "会", key: value})  # fmt: skip
        assert (refused.value.code, refused.value.field) == ("invalid_quantity", f"details.{key}"), value
        assert words in refused.value.message, refused.value.message
    body = problem(declare(person_api, {"year": year, "kind": "conference_day",
                                        "details": {"title": "会", "days": 400}}), 400, "invalid_quantity")  # fmt: skip
    assert body["errors"][0]["field"] == "details.days" and "最多 366 天" in body["detail"]
    assert list(CreditDeclaration.objects.values_list("pk", flat=True)) == [kept.pk]


def test_institute_hours_are_for_institute_members_only(person, other_person):
    """京财会〔2020〕190号: CPA and asset-appraisal institute members convert their hours; anyone could."""
    from registry.credits.models import CreditDeclaration
    from registry.credits.selectors import current_data
    from registry.records.services import record_apply

    year = dt.date.today().year
    details = {"title": "资产评估协会继续教育", "hours": "8"}
    with pytest.raises(ServiceError) as refused:
        declaration_submit(person=other_person, actor=other_person.user, year=year, kind="institute_hours",
                           details=details)  # fmt: skip
    assert (refused.value.code, refused.value.field) == ("not_institute_member", "kind")
    assert "信息变更" in refused.value.message and not CreditDeclaration.objects.exists()
    assert declaration_submit(person=person, actor=person.user, year=year, kind="institute_hours",
                              details=details).credits == Decimal(8)  # fmt: skip
    data = current_data(other_person)
    data["practicing"] = [{"kind": "asset_appraiser", "certificate_number": "A-1"}]
    record = record_apply(user=other_person.user, district_code="110108", data=data, source="test")
    assert declaration_submit(person=record, actor=other_person.user, year=year, kind="institute_hours",
                              details=details).credits == Decimal(8)  # fmt: skip
