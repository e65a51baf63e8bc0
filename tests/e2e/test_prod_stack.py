"""The production stack through nginx in a browser (docs/deployment.md): runs when PROD_STACK_URL names
a running `scripts/prod-up.sh` stack started with PROD_DEMO_PEOPLE (demo logins), e.g.
PROD_STACK_URL=https://127.0.0.1:8480; skipped otherwise (it needs root, packages and minutes to start)."""

import os

import pytest

from tests.helpers import login_in_browser

URL = os.environ.get("PROD_STACK_URL", "")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not URL, reason="PROD_STACK_URL is not set: start scripts/prod-up.sh and point it there"),
]


@pytest.fixture
def new_page(browser):
    contexts = []

    def make():
        context = browser.new_context(ignore_https_errors=True, locale="zh-CN")  # the stack's self-signed cert
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    yield make
    for context in contexts:
        context.close()


def test_pages_static_files_and_login_through_nginx(new_page):
    page = new_page()
    response = page.goto(URL + "/login/")
    assert response.status == 200 and response.headers["server"] == "nginx"
    css = page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert css  # the stylesheet came from nginx's /static/
    static = page.request.get(URL + page.locator("link[rel=stylesheet]").first.get_attribute("href"))
    assert static.status == 200 and static.headers["server"] == "nginx" and "max-age" in static.headers["cache-control"]

    login_in_browser(page, URL, "13800000001", "Kuaiji2026")  # the demo applicant
    page.goto(URL + "/account/")
    assert "13800000001" in page.content() or page.url.endswith("/account/")

    page = new_page()
    login_in_browser(page, URL, "13800000002", "Shenhe2026")  # the demo reviewer of 朝阳区
    response = page.goto(URL + "/staff/queue/")
    assert response.status == 200
    assert page.locator("main").inner_text()
    assert page.request.get(URL + "/protected/anything.jpg").status == 404  # internal only
