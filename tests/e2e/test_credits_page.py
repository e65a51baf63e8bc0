"""The person's continuing-education page in a browser: the year, the chart (ECharts from our own
static files, within the Content-Security-Policy), and the district's compliance page."""

import pytest

from registry.credits.services import provider_rows_apply
from tests.credits.conftest import collect, row
from tests.factories import UserFactory
from tests.helpers import shot

from .test_review_journey import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_person_sees_years_and_chart_reviewer_sees_rates(page, live_server, code_tables):
    person = collect(name="陈静", district="110105", qualified_on="2018-06-01")
    collect(name="周强", district="110105", qualified_on="2018-06-01")
    rows = [row(person, f"P-{y}-1", year=y, credits="60") for y in (2022, 2023, 2024, 2025)]
    rows += [row(person, f"P-{y}-2", year=y, credits="30", subject="public") for y in (2022, 2024)]
    provider_rows_apply(provider="演示机构", rows=rows)

    login(page, live_server.url, person.user.phone)
    page.click("nav >> text=继续教育")
    page.select_option("select[name=year]", "2025")
    page.click("button:has-text('查看')")
    page.wait_for_selector("[data-chart][data-drawn]")
    text = page.inner_text("[data-testid=standing]")
    assert "未达标" in text and "30.0" in text
    shot(page, "01-person-2025")

    reviewer = UserFactory(reviewer=True, district_codes=["110105"], name="朝阳审核员")
    page.click("text=退出")
    login(page, live_server.url, reviewer.phone)
    page.goto(f"{live_server.url}/staff/credits/?year=2025")
    page.wait_for_selector("[data-chart][data-drawn]")
    assert "周强" in page.inner_text("[data-testid=noncompliant]")
    shot(page, "02-district-2025")
