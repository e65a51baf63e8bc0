"""“其他原因（见审核意见）” names no reason by itself: rejecting with it and no opinion is refused by
the service, so the page and the API both refuse it (400 comment_required) and change nothing.
A second reviewer, district and application sit beside the first."""

import pytest

from registry.applications.models import Application, ApplicationEvent
from registry.audit.models import AuditEntry
from registry.core.errors import ServiceError
from registry.review import services as review
from registry.sms.models import SmsMessage
from tests.factories import ApplicationFactory
from tests.helpers import problem

pytestmark = pytest.mark.django_db


def _state(application):
    """Everything a decision would change: the row, its rounds, its events, a decision's audit, SMS."""
    return (
        Application.objects.filter(pk=application.pk).values_list("status", "version", "decided_at").get(),
        list(application.rounds.values_list("number", "decision", "reasons", "comment", "decided_by_id")),
        ApplicationEvent.objects.filter(application=application).count(),
        AuditEntry.objects.filter(action__in=["review.reject", "review.approve"]).count(),
        SmsMessage.objects.filter(purpose__startswith="review_").count(),
    )


@pytest.mark.parametrize("comment", ["", "   ", "\u3000\n\t", None])
@pytest.mark.parametrize("reasons", [["other"], ["material_unclear", "other"], ["other", "other", ""]])
def test_other_without_an_opinion_is_refused_and_changes_nothing(
    chaoyang_reviewer, haidian_reviewer, other_district_application, reasons, comment
):
    mine = review.review_claim(application=ApplicationFactory(), actor=chaoyang_reviewer)
    theirs = review.review_claim(application=other_district_application, actor=haidian_reviewer)
    before = _state(mine), _state(theirs)
    with pytest.raises(ServiceError) as info:
        review.review_decide(
            application=mine, actor=chaoyang_reviewer, decision="reject", reasons=reasons, comment=comment
        )
    assert (info.value.status, info.value.code, info.value.field) == (400, "comment_required", "comment")
    assert "其他原因（见审核意见）" in info.value.message and "审核意见中写明" in info.value.message
    assert (_state(mine), _state(theirs)) == before


def test_other_with_an_opinion_rejects_and_the_opinion_is_kept(chaoyang_reviewer):
    application = review.review_claim(application=ApplicationFactory(), actor=chaoyang_reviewer)
    decided = review.review_decide(
        application=application,
        actor=chaoyang_reviewer,
        decision="reject",
        reasons=["other"],
        comment="  工作单位已注销，请核实后重新填写  ",
    )
    assert decided.status == "rejected"
    assert decided.rounds.values_list("reasons", "comment").get() == (["other"], "工作单位已注销，请核实后重新填写")


def test_a_standard_reason_alone_needs_no_opinion(chaoyang_reviewer):
    rejected = review.review_decide(
        application=review.review_claim(application=ApplicationFactory(), actor=chaoyang_reviewer),
        actor=chaoyang_reviewer,
        decision="reject",
        reasons=["material_unclear"],
    )
    assert rejected.status == "rejected" and rejected.rounds.get().comment == ""


def test_the_api_refuses_other_without_an_opinion_as_a_problem(api, chaoyang_app, haidian_app, chaoyang_reviewer):
    api.login(chaoyang_reviewer.phone)
    base = f"/api/v1/review/applications/{chaoyang_app.pk}"
    api.post(f"{base}/claim")
    before = _state(chaoyang_app), _state(haidian_app)
    body = problem(
        api.post(f"{base}/decision", {"decision": "reject", "reasons": ["other"], "comment": "  "}),
        400,
        "comment_required",
    )
    assert body["detail"] == body["errors"][0]["message"]
    assert body["errors"] == [
        {
            "field": "comment",
            "code": "comment_required",
            "message": "选择了“其他原因（见审核意见）”，请在审核意见中写明具体原因。",
        }
    ]
    problem(api.post(f"{base}/decision", {"decision": "reject", "reasons": ["other"]}), 400, "comment_required")
    assert (_state(chaoyang_app), _state(haidian_app)) == before
    # Another district's application stays "not found", whatever the body says.
    problem(
        api.post(
            f"/api/v1/review/applications/{haidian_app.pk}/decision", {"decision": "reject", "reasons": ["other"]}
        ),
        404,
        "not_found",
    )
    answer = api.post(
        f"{base}/decision", {"decision": "reject", "reasons": ["other"], "comment": "单位名称与营业执照不符"}
    )
    assert answer.json() == {"status": "rejected"}
    assert api.get(base).json()["rounds"][0]["comment"] == "单位名称与营业执照不符"


def test_the_page_refuses_other_without_an_opinion(client, chaoyang_app, chaoyang_reviewer):
    client.force_login(chaoyang_reviewer)
    client.post(f"/staff/review/{chaoyang_app.pk}/claim/")
    before = _state(chaoyang_app)
    response = client.post(
        f"/staff/review/{chaoyang_app.pk}/decide/",
        {"decision": "reject", "reasons": ["other"], "comment": "\u3000"},
        follow=True,
    )
    assert "请在审核意见中写明具体原因" in response.content.decode()
    assert _state(chaoyang_app) == before


def test_reasons_left_ticked_are_not_stored_with_an_approval(chaoyang_reviewer, haidian_reviewer):
    """A reviewer who ticked reasons and then approved: the approved round, its audit entry and the
    applicant's view carry no rejection reasons. Beside it, a rejection in another district keeps its own."""
    from tests.review.conftest import make_submitted

    mine = review.review_claim(application=make_submitted(), actor=chaoyang_reviewer)
    theirs = review.review_claim(
        application=make_submitted(
            district="110108", id_number="11010519491231002X", name="王芳", cert="Z11010816000456"
        ),
        actor=haidian_reviewer,
    )
    approved = review.review_decide(
        application=mine, actor=chaoyang_reviewer, decision="approve", reasons=["material_unclear"], comment="齐全"
    )
    review.review_decide(application=theirs, actor=haidian_reviewer, decision="reject", reasons=["material_unclear"])
    assert approved.status == "approved"
    assert approved.rounds.values_list("decision", "reasons").get() == ("approved", [])
    assert AuditEntry.objects.get(action="review.approve").details["reasons"] == []
    assert theirs.rounds.values_list("decision", "reasons").get() == ("rejected", ["material_unclear"])
