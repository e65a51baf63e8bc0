"""A declaration is rejected with reasons of its own code table (ce_rejection_reason), not the
collection's; declarations decided earlier with the collection's codes still read as names."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.core.errors import ServiceError
from registry.core.models import Code
from registry.credits.models import CreditDeclaration, CreditRecord, CreditStatus, DeclarationStatus
from registry.credits.services import declaration_decide, declaration_submit, proof_add
from tests.files import pdf_bytes
from tests.helpers import problem

pytestmark = pytest.mark.django_db

CE_REASONS = {
    "proof_unclear": "证明材料不清晰或缺失",
    "credits_miscalculated": "学时/学分计算有误",
    "not_continuing_education": "活动不属于继续教育范围",
    "date_outside_year": "活动日期与申报年度不符",
    "duplicate": "重复申报",
    "other": "其他原因（见审核意见）",
}
COLLECTION_ONLY = [
    "工作单位信息不准确",
    "业务类型选择错误",
    "会计从业资格证书",
    "不属于本地区采集范围",
    "照片不符合要求",
]


def _declared(who, title="全国会计学术年会"):
    declaration = declaration_submit(person=who, actor=who.user, year=dt.date.today().year, kind="conference_day",
                                     details={"title": title, "days": "1"})  # fmt: skip
    proof_add(declaration=declaration, actor=who.user, uploaded=SimpleUploadedFile("p.pdf", pdf_bytes("参会证明")))
    return declaration


def test_the_review_page_offers_the_declarations_own_reasons(client, person, other_person, chaoyang_reviewer,
                                                             haidian_reviewer):  # fmt: skip
    mine, theirs = _declared(person), _declared(other_person, "海淀区会计论坛")
    client.force_login(chaoyang_reviewer)
    html = client.get(f"/staff/credits/declarations/{mine.pk}/").content.decode()
    for code, words in CE_REASONS.items():
        assert f'value="{code}"' in html and words in html, code
    for words in COLLECTION_ONLY:
        assert words not in html, words
    assert client.get(f"/staff/credits/declarations/{theirs.pk}/").status_code == 404  # another district's

    response = client.post(f"/staff/credits/declarations/{mine.pk}/decide/",
                           {"action": "reject", "reasons": ["date_outside_year"], "comment": "证明显示为去年"})  # fmt: skip
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.reasons) == (DeclarationStatus.REJECTED, ["date_outside_year"])
    decided = client.get(f"/staff/credits/declarations/{mine.pk}/").content.decode()
    assert "活动日期与申报年度不符" in decided and "date_outside_year" not in decided
    client.force_login(person.user)
    assert "活动日期与申报年度不符" in client.get("/credits/").content.decode()
    theirs.refresh_from_db()
    assert theirs.status == DeclarationStatus.SUBMITTED  # the other district's declaration is untouched


def test_a_collection_reason_is_refused_for_a_declaration(api, person, other_person, haidian_reviewer):
    mine, theirs = _declared(person), _declared(other_person, "海淀区会计论坛")
    for reasons in (["unit_inaccurate"], ["wrong_business_type", "duplicate"], ["material_missing"]):
        with pytest.raises(ServiceError) as refused:
            declaration_decide(actor=haidian_reviewer, declaration=theirs, decision="reject", reasons=reasons)
        assert (refused.value.code, refused.value.field) == ("unknown_code", "reasons")
        assert reasons[0] in refused.value.message
    theirs.refresh_from_db()
    assert (theirs.status, theirs.reasons, theirs.version) == (DeclarationStatus.SUBMITTED, [], 0)
    assert CreditRecord.objects.get(pk=theirs.credit_id).status == CreditStatus.PENDING

    api.login(haidian_reviewer.phone)
    url = f"/api/v1/review/credit-declarations/{theirs.pk}/decision"
    problem(api.post(url, {"decision": "reject", "reasons": ["unit_inaccurate"]}), 400, "unknown_code")
    assert api.post(url, {"decision": "reject", "reasons": ["duplicate"]}).json()["status"] == "rejected"
    listed = api.get("/api/v1/codes/ce_rejection_reason").json()["results"]
    assert [item["code"] for item in listed] == list(CE_REASONS)
    problem(api.post(f"/api/v1/review/credit-declarations/{mine.pk}/decision",
                     {"decision": "reject", "reasons": ["duplicate"]}), 404, "not_found")  # fmt: skip
    mine.refresh_from_db()
    assert mine.status == DeclarationStatus.SUBMITTED


def test_other_reason_needs_an_opinion_for_a_declaration_too(api, person, other_person, chaoyang_reviewer,
                                                               haidian_reviewer):  # fmt: skip
    mine, theirs = _declared(person), _declared(other_person, "海淀区会计论坛")
    for comment in ("", "  \u3000 "):
        with pytest.raises(ServiceError) as refused:
            declaration_decide(actor=chaoyang_reviewer, declaration=mine, decision="reject", reasons=["other"],
                               comment=comment)  # fmt: skip
        assert (refused.value.code, refused.value.field) == ("comment_required", "comment")
    mine.refresh_from_db()
    assert (mine.status, mine.reasons, mine.version) == (DeclarationStatus.SUBMITTED, [], 0)

    api.login(haidian_reviewer.phone)
    url = f"/api/v1/review/credit-declarations/{theirs.pk}/decision"
    problem(api.post(url, {"decision": "reject", "reasons": ["other"]}), 400, "comment_required")
    decided = api.post(url, {"decision": "reject", "reasons": ["other"], "comment": "证明上的姓名不是申报人"})
    assert decided.json()["status"] == "rejected"


def test_declarations_decided_with_the_collections_reasons_stay_readable(client, person, chaoyang_reviewer):
    """Before ce_rejection_reason existed declarations were rejected with rejection_reason codes."""
    older = _declared(person)
    declaration_decide(actor=chaoyang_reviewer, declaration=older, decision="reject", reasons=["proof_unclear"])
    CreditDeclaration.objects.filter(pk=older.pk).update(reasons=["material_missing", "info_inconsistent"])
    client.force_login(chaoyang_reviewer)
    html = client.get(f"/staff/credits/declarations/{older.pk}/").content.decode()
    assert "缺少必要的证明材料；填写信息与证明材料不一致" in html and "material_missing" not in html
    client.force_login(person.user)
    html = client.get("/credits/").content.decode()
    assert "缺少必要的证明材料；填写信息与证明材料不一致" in html and "material_missing" not in html


def test_the_data_migration_adds_the_reasons_and_keeps_an_admins_edit():
    migration = importlib.import_module("registry.core.migrations.0004_ce_rejection_reasons")
    assert dict(Code.objects.of("ce_rejection_reason").values_list("code", "name")) == dict(
        migration.CE_REJECTION_REASONS
    )
    Code.objects.filter(kind="ce_rejection_reason", code="other").update(name="其他（管理员修改）")
    Code.objects.filter(kind="ce_rejection_reason", code="duplicate").delete()
    before = Code.objects.exclude(kind="ce_rejection_reason").count()
    migration.add_reasons(apps, None)
    reasons = dict(Code.objects.of("ce_rejection_reason").values_list("code", "name"))
    assert set(reasons) == set(CE_REASONS)
    assert reasons["other"] == "其他（管理员修改）" and reasons["duplicate"].startswith("重复申报")
    assert Code.objects.exclude(kind="ce_rejection_reason").count() == before
