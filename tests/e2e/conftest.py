"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser)."""

import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + sync Playwright in one process
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


@pytest.fixture(scope="session")
def browser():
    from tests.conftest import require_service

    require_service(
        "Debian chromium", Path(CHROMIUM).exists(), "apt-get install chromium (scripts/test.sh does, as root)"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def watch_csp(page) -> list[str]:
    """Collects the browser's Content-Security-Policy violation reports for this page: the pages
    must work without anything the policy refuses (inline script or style, eval)."""
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return violations


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    violations = watch_csp(page)
    page.set_default_timeout(10_000)
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshots = folder  # the test writes numbered screenshots of each step here
    yield page
    context.close()
    assert not violations, violations


from tests.stats.conftest import make_person  # noqa: E402,F401
