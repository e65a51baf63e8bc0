"""The statistics dashboard in a real browser: the admin's home page with every chart drawn (ECharts
served from our own static files, nothing refused by the CSP) and a district reviewer who sees only
their district. Screenshots: test-artifacts/e2e/<test>/."""

import pytest

from registry.stats.services import stats_refresh
from tests.factories import UserFactory
from tests.helpers import shot

from .test_review_journey import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(code_tables, make_person):
    plan = [
        ("110105", "M", "1995-01-01", ("junior",), ("bachelor",), "enterprise"),
        ("110105", "F", "1980-06-01", ("intermediate",), ("master",), "institution"),
        ("110105", "F", "1972-03-01", (), ("college",), "enterprise"),
        ("110105", "M", "1988-09-09", ("senior",), ("bachelor",), "government"),
        ("110108", "M", "1985-12-31", ("senior",), ("doctorate",), "enterprise"),
        ("110108", "F", "1970-07-07", ("junior",), ("bachelor",), "social_group"),
        ("110101", "F", "1992-02-02", ("junior",), ("college",), "enterprise"),
    ]
    for district, gender, birth, levels, education, unit_type in plan:
        make_person(district, gender=gender, birth=birth, levels=levels, education=education, unit_type=unit_type)
    stats_refresh()


def charts_drawn(page) -> int:
    page.wait_for_selector("[data-chart=districts] canvas")
    return page.locator("[data-chart] canvas").count()


def test_admin_home_is_the_dashboard(page, live_server, people):
    page.set_viewport_size({"width": 1280, "height": 900})
    admin = UserFactory(admin=True, name="市管理员")
    login(page, live_server.url, admin.phone)
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text().startswith("统计概览")
    assert page.locator("[data-figure=total]").inner_text() == "7"
    assert charts_drawn(page) == page.locator("[data-chart]").count() >= 8
    districts = page.inner_text("#table-districts")
    assert "朝阳区\t4" in districts and "海淀区\t2" in districts and "东城区\t1" in districts
    assert "暂无数据" in page.inner_text("#ce-none")
    shot(page, "01-admin-home")
    page.select_option("select[name=district]", "110108")
    page.click("button:has-text('查看')")
    page.wait_for_selector("h1:has-text('海淀区')")
    assert page.locator("[data-figure=total]").inner_text() == "2"
    charts_drawn(page)
    shot(page, "02-admin-haidian")


def test_district_reviewer_sees_only_their_district(page, live_server, people):
    page.set_viewport_size({"width": 1280, "height": 900})
    reviewer = UserFactory(reviewer=True, district_codes=["110105"], name="朝阳审核员")
    login(page, live_server.url, reviewer.phone)
    page.click("nav >> text=统计")
    page.wait_for_selector("h1:has-text('统计概览')")
    assert page.locator("[data-figure=total]").inner_text() == "4"
    charts_drawn(page)
    table = page.inner_text("#table-districts")
    assert "朝阳区" in table and "海淀区" not in table and "东城区" not in table
    assert "仅含您负责的区" in page.inner_text(".as-of")
    shot(page, "01-reviewer-dashboard")
    # the phone-sized page still carries every table
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    charts_drawn(page)
    shot(page, "02-reviewer-phone")
