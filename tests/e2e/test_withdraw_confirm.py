"""The withdraw button asks first (a data-confirm handler in site.js, not inline script, which the
Content-Security-Policy forbids): dismissing keeps the application, accepting withdraws it."""

import pytest

from registry.applications.models import ApplicationStatus
from tests.e2e.test_review_journey import login
from tests.review.conftest import make_submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_withdraw_asks_for_confirmation(page, live_server, code_tables):
    application = make_submitted(phone="13911117777")
    login(page, live_server.url, "13911117777")
    page.goto(f"{live_server.url}/apply/{application.pk}/")
    asked = []

    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("button:has-text('撤回申请')")
    page.wait_for_timeout(300)
    assert asked == ["确定撤回这份申请吗？撤回后可重新办理。"]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('撤回申请')")
    page.wait_for_load_state("load")
    page.wait_for_selector("text=撤回")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
