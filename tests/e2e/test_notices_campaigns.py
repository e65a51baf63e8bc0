"""The admin publishes a notice and opens a campaign; a person sees the notice (unread count in the
header) and confirms the campaign task on a phone-sized screen."""

import datetime as dt

import pytest
from django.utils import timezone

from registry.records.models import Record
from tests.e2e.test_review_journey import login
from tests.factories import UserFactory
from tests.helpers import shot
from tests.people import collected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_publishes_and_opens_a_campaign_person_reads_and_confirms(browser, page, live_server, code_tables):
    url = live_server.url
    person = collected(district="110105", phone="13911112222", name="陈静")
    admin = UserFactory(admin=True, name="市管理员")

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    desk.screenshots = page.screenshots
    login(desk, url, admin.phone)
    desk.click("nav >> text=通知公告")
    desk.fill("#id_title", "关于开展2026年度会计人员信息核查的通知")
    desk.fill("#id_body", "请于本月底前登录系统核对个人信息。")
    desk.select_option("#id_kind", "all")
    shot(desk, "01-admin-notice-form")
    desk.click("button:has-text('发布')")
    desk.wait_for_selector("[data-testid=notice-progress]:has-text('已发布')")
    assert "已送达收件箱 1 / 1 人" in desk.inner_text("[data-testid=notice-progress]")
    shot(desk, "02-admin-notice-progress")

    desk.click("nav >> text=集中核查")
    desk.fill("#id_name", "2026年度信息集中核查")
    desk.select_option("#id_kind", "districts")
    desk.check("input[name=districts][value='110105']")
    desk.fill("#id_deadline", str(timezone.localdate() + dt.timedelta(days=20)))
    desk.select_option("#id_on_no_response", "frozen")
    shot(desk, "03-admin-campaign-form")
    desk.click("button:has-text('发起核查')")
    desk.wait_for_selector("[data-testid=campaign-progress]")
    assert "范围内 1 人，已答复 0 人" in desk.inner_text("[data-testid=campaign-progress]").replace("\n", "")
    shot(desk, "04-admin-campaign-progress")

    # The person, on a phone: one unread notice in the header, the task on the home page.
    login(page, url, person.phone)
    assert page.inner_text("[data-testid=unread-count]") == "1"
    assert page.locator("[data-testid=campaign-task]").count() == 1
    shot(page, "05-person-home-unread-and-task")
    page.click("[data-testid=notices-link]")
    page.click("text=关于开展2026年度会计人员信息核查的通知")
    page.wait_for_selector("text=请于本月底前登录系统核对个人信息。")
    shot(page, "06-person-reads-notice")
    assert page.locator("[data-testid=unread-count]").count() == 0
    page.click("text=首页")
    page.click("button:has-text('信息无变化，确认')")
    page.wait_for_selector("text=已确认，感谢配合。")
    assert page.locator("[data-testid=campaign-task]").count() == 0
    shot(page, "07-person-confirmed")
    assert Record.objects.get(user=person).status == "normal"

    desk.reload()
    assert "已答复 1 人" in desk.inner_text("[data-testid=campaign-progress]").replace("\n", "")
    shot(desk, "08-admin-progress-after")
    desk.context.close()
