"""In a browser: a refused decision keeps the reviewer's ticks and opinion on the page, says why
beside the field, and the corrected form then decides."""

import pytest

from registry.applications.models import Application
from tests.factories import UserFactory
from tests.helpers import login_in_browser as login
from tests.helpers import shot
from tests.review.conftest import make_submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_decision_keeps_what_the_reviewer_typed(page, live_server, code_tables):
    url = live_server.url
    application = make_submitted(phone="13911117777", name="李明")
    reviewer = UserFactory(reviewer=True, district_codes=["110105"], name="朝阳审核员")
    login(page, url, reviewer.phone)
    page.goto(f"{url}/staff/review/{application.pk}/")
    page.click("button:has-text('受理')")
    page.wait_for_selector("text=已受理")

    # No reason ticked: the opinion stays.
    page.fill("#comment", "单位名称与营业执照不一致，\n请核对后重新填写。")
    page.click("button:has-text('审核不通过')")
    page.wait_for_selector("#reasons-error:has-text('请至少选择一项标准驳回原因')")
    assert page.input_value("#comment") == "单位名称与营业执照不一致，\n请核对后重新填写。"
    box = page.locator("#reasons-error").bounding_box()  # the browser is brought down to the form (#decision)
    assert page.evaluate("window.scrollY") > 0 and 0 <= box["y"] < page.viewport_size["height"]
    shot(page, "01-no-reason")

    # 其他原因 with the opinion cleared: the tick stays, the page says the opinion is needed.
    page.check("input[name=reasons][value=other]")
    page.check("input[name=reasons][value=unit_inaccurate]")
    page.fill("#comment", "")
    page.click("button:has-text('审核不通过')")
    page.wait_for_selector("#comment-error:has-text('请在审核意见中写明具体原因')")
    assert page.is_checked("input[name=reasons][value=other]")
    assert page.is_checked("input[name=reasons][value=unit_inaccurate]")
    assert not page.is_checked("input[name=reasons][value=photo_noncompliant]")
    shot(page, "02-other-needs-opinion")
    assert Application.objects.get(pk=application.pk).status == "in_review"

    page.fill("#comment", "单位已注销，请填写现工作单位。")
    page.click("button:has-text('审核不通过')")
    page.wait_for_selector("text=已驳回")
    assert Application.objects.get(pk=application.pk).rounds.get().comment == "单位已注销，请填写现工作单位。"
