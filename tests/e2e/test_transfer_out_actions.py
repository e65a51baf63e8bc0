"""A rejected transfer out on a phone and on a desktop: the record page shows it as pending work
with its status and offers only what states.available_actions allows (withdraw, never "按审核意见
修改"); withdrawn from the web, the record page offers 申请调出 again, explained, and asks first."""

import copy

import pytest

from registry.applications import services
from registry.applications.models import ApplicationStatus
from registry.records.services import record_apply
from registry.review import services as review
from tests.applications.conftest import VALID_FORM, valid_uscc
from tests.e2e.test_review_journey import login
from tests.factories import UserFactory
from tests.helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1366])
def test_rejected_transfer_out_is_withdrawn_from_the_web(page, live_server, code_tables, width):
    page.set_viewport_size({"width": width, "height": 900})
    person = UserFactory(phone="13911116666", name="李明")
    form = copy.deepcopy(VALID_FORM)
    form["employment"]["unit_uscc"] = valid_uscc()
    form["basic"]["phone"] = person.phone
    record_apply(user=person, district_code="110105", data=form, source="first_collection")
    reviewer = UserFactory(reviewer=True, district_codes=["110105"])
    application = services.transfer_out_request(applicant=person, destination_region="130000")
    application = review.review_claim(application=application, actor=reviewer)
    review.review_decide(
        application=application,
        actor=reviewer,
        decision="reject",
        reasons=["material_unclear"],
        comment="请核对调往省份",
    )

    url = live_server.url
    login(page, url, person.phone)
    page.goto(f"{url}/record/")
    pending = page.locator("[data-testid=pending]")
    assert "调出" in pending.inner_text() and "审核不通过" in pending.inner_text()
    assert page.locator("button:has-text('申请调出')").count() == 0
    assert page.locator("button:has-text('办理信息变更')").count() == 0
    assert page.locator("text=按审核意见修改").count() == 0
    shot(page, f"1-record-with-rejected-transfer-out-{width}")

    page.click("a:has-text('查看办理进度')")
    page.wait_for_selector("text=审核意见")
    assert page.locator("text=按审核意见修改").count() == 0 and page.locator("text=核对并提交").count() == 0
    shot(page, f"2-status-withdraw-only-{width}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('撤回申请')")
    page.wait_for_selector("text=申请已撤回")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN

    page.goto(f"{url}/record/")
    assert page.locator("[data-testid=pending]").count() == 0
    page.wait_for_selector("text=调出到外省市")
    assert "调转编号" in page.locator("#transfer-out").inner_text()  # what happens is explained first
    page.select_option("select[name=destination_region]", "130000")
    shot(page, f"3-record-offers-transfer-out-again-{width}")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("button:has-text('申请调出')")
    page.wait_for_timeout(300)
    assert asked and "调出中" in asked[0]
    assert not person.applications.filter(status=ApplicationStatus.SUBMITTED).exists()  # dismissed: nothing sent
