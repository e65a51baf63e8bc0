"""A decision refused on the review page loses nothing the reviewer typed: the page comes back (no
redirect) with the opinion, the ticked reasons and why, and the database is as it was. A second
reviewer, district and application sit beside the first."""

import re

import pytest

from registry.applications.models import Application, ApplicationEvent
from registry.audit.models import AuditEntry
from registry.review import services as review
from registry.sms.models import SmsMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OPINION = '照片背景偏灰，请按要求重新上传。<b>"单位"</b> & 说明'


def _state(application):
    """Everything a decision would change: the row, its rounds, its events, a decision's audit, SMS."""
    return (
        Application.objects.filter(pk=application.pk).values_list("status", "version", "decided_at").get(),
        list(application.rounds.values_list("number", "decision", "reasons", "comment", "decided_by_id")),
        list(ApplicationEvent.objects.filter(application=application).values_list("kind", "note")),
        list(
            AuditEntry.objects.filter(target_id=str(application.pk), action__startswith="review.")
            .exclude(action="review.open")
            .values_list("action", flat=True)
        ),
        SmsMessage.objects.filter(phone=application.applicant.phone, purpose__startswith="review_").count(),
    )


def _ticked(html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="reasons" value="([a-z_]+)" checked>', html)


def _textarea(html: str) -> str:
    return re.search(r'<textarea id="comment" name="comment"[^>]*>\n(.*?)</textarea>', html, re.S).group(1)


@pytest.fixture
def claimed(chaoyang_app, haidian_app, chaoyang_reviewer, haidian_reviewer):
    """朝阳区's application claimed by its reviewer, 海淀区's by its own."""
    review.review_claim(application=haidian_app, actor=haidian_reviewer)
    return review.review_claim(application=chaoyang_app, actor=chaoyang_reviewer)


@pytest.mark.parametrize(
    ("reasons", "comment", "message", "field"),
    [
        ([], OPINION, "请至少选择一项标准驳回原因", "reasons"),
        (["material_unclear", "other"], "  ", "请在审核意见中写明具体原因", "comment"),
        (["photo_noncompliant", "no_such_reason"], OPINION, "驳回原因不在代码表中：no_such_reason", "reasons"),
    ],
)
def test_a_refused_rejection_comes_back_with_what_was_typed_and_changes_nothing(
    client, claimed, haidian_app, chaoyang_reviewer, reasons, comment, message, field
):
    before = _state(claimed), _state(haidian_app)
    client.force_login(chaoyang_reviewer)
    response = client.post(
        f"/staff/review/{claimed.pk}/decide/", {"decision": "reject", "reasons": reasons, "comment": comment}
    )
    assert response.status_code == 400  # the page itself, not a redirect that would drop the form
    html = response.content.decode()
    assert re.search(rf'<p id="{field}-error" class="field-error" role="alert">[^<]*{message}', html)
    assert _ticked(html) == [r for r in reasons if r != "no_such_reason"]
    # The opinion exactly as typed (escaped, so it is text, not markup).
    assert _textarea(html) == comment.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;"
    )
    assert (_state(claimed), _state(haidian_app)) == before
    # And the form still works: the same page, corrected, decides.
    response = client.post(
        f"/staff/review/{claimed.pk}/decide/",
        {"decision": "reject", "reasons": ["photo_noncompliant", "other"], "comment": OPINION},
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=claimed.pk).rounds.get().comment == OPINION
    assert _state(haidian_app) == before[1]


def test_an_opinion_typed_before_someone_else_decided_is_shown_for_copying(
    client, chaoyang_app, chaoyang_reviewer, municipal_admin
):
    """An admin decided while the reviewer was typing: no decision form any more, the opinion is
    still on the page and the refusal says why (409)."""
    colleague = UserFactory(reviewer=True, district_codes=["110105"])
    application = review.review_claim(application=chaoyang_app, actor=colleague)
    review.review_decide(
        application=application, actor=municipal_admin, decision="reject", reasons=["material_unclear"]
    )
    before = _state(application)
    client.force_login(colleague)
    response = client.post(
        f"/staff/review/{application.pk}/decide/",
        {"decision": "reject", "reasons": ["other"], "comment": "第一行\n第二行"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="unsaved-opinion"' in html and "第一行<br>第二行" in html
    assert "该申请已经作出审核决定" in html and 'name="comment"' not in html
    assert _state(application) == before


def test_a_refused_decision_on_another_districts_application_is_404_and_echoes_nothing(
    client, claimed, haidian_app, chaoyang_reviewer
):
    before = _state(haidian_app)
    client.force_login(chaoyang_reviewer)
    response = client.post(
        f"/staff/review/{haidian_app.pk}/decide/", {"decision": "reject", "reasons": [], "comment": "看不到的意见"}
    )
    assert response.status_code == 404 and "看不到的意见" not in response.content.decode()
    assert _state(haidian_app) == before


def test_the_page_without_a_refusal_has_an_empty_form(client, claimed, chaoyang_reviewer):
    client.force_login(chaoyang_reviewer)
    html = client.get(f"/staff/review/{claimed.pk}/").content.decode()
    assert _ticked(html) == [] and _textarea(html) == "" and "field-error" not in html
    assert 'data-testid="unsaved-opinion"' not in html
