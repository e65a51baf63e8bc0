"""Every HTML page, crawled as an applicant, a reviewer and both kinds of admin, carries the
Content-Security-Policy (no inline script allowed) and contains no inline script or on*= handler
for it to block; every response to a logged-in caller, and every personal API answer, is
`Cache-Control: no-store`."""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from registry.accounts.auth import token_issue
from registry.applications import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Links the crawl must not follow: they change state or leave the HTML pages.
SKIP = ("/logout/", "/api/", "/static/", "/admin/logout/", "/healthz")
EXECUTABLE_SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}


class PageAudit(HTMLParser):
    """Collects links, inline scripts and inline event-handler attributes of one page."""

    def __init__(self):
        super().__init__()
        self.links, self.inline_scripts, self.handlers = [], [], []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [f"<{tag} {name}=…>" for name in attrs if name.startswith("on")]
        if any((value or "").strip().lower().startswith("javascript:") for value in attrs.values()):
            self.handlers.append(f"<{tag} javascript: URL>")
        # htmx code that needs eval (refused by the policy): hx-on handlers, js: values
        self.handlers += [f"<{tag} {name}=…>" for name in attrs if name.startswith(("hx-on", "data-hx-on"))]
        if any((attrs.get(name) or "").strip().startswith("js:") for name in ("hx-vals", "hx-headers")):
            self.handlers.append(f"<{tag} hx-vals=js:…>")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "script" and not attrs.get("src"):
            # a JSON data block (type=application/json) never runs; anything executable does
            if (attrs.get("type") or "").lower() in EXECUTABLE_SCRIPT_TYPES:
                self._in_inline_script = True
                self.inline_scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data):
        if self._in_inline_script:
            self.inline_scripts[-1] += data


def crawl(client, starts, limit=80):
    """Breadth-first over same-site GET links; returns {path: response} for HTML pages."""
    seen, pages, queue = set(starts), {}, deque(starts)
    while queue and len(pages) < limit:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code in (301, 302):
            target = urlsplit(response["Location"]).path
            if target not in seen and not target.startswith(SKIP):
                seen.add(target)
                queue.append(target)
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        audit = PageAudit()
        audit.feed(response.content.decode())
        pages[path] = (response, audit)
        for href in audit.links:
            href = urldefrag(href).url
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return pages


@pytest.fixture
def site(submitted, person):
    """An applicant with a submitted application in 朝阳区 (withdraw button on its page), a 朝阳区
    reviewer, a municipal admin and a superuser, each with a logged-in client."""
    reviewer = UserFactory(reviewer=True, district_codes=["110105"])
    admin = UserFactory(admin=True)
    superuser = UserFactory(admin=True, is_superuser=True)
    drafter = UserFactory()  # a second applicant, still filling in the form steps
    services.application_create(applicant=drafter, type="first_collection")
    return {"applicant": person, "drafter": drafter, "reviewer": reviewer, "admin": admin, "superuser": superuser}


ROLE_STARTS = {
    "anonymous": ["/", "/login/", "/register/", "/password-reset/", "/contacts/"],
    "applicant": ["/", "/account/", "/apply/", "/record/"],
    "drafter": ["/apply/"],
    "reviewer": ["/", "/staff/queue/", "/staff/districts/", "/account/"],
    "admin": ["/", "/staff/queue/", "/staff/users/", "/staff/phone-recovery/"],
    "superuser": ["/admin/", "/admin/accounts/user/", "/admin/accounts/user/add/"],
}


@pytest.mark.parametrize("role", list(ROLE_STARTS))
def test_every_html_page_has_a_csp_and_nothing_inline(client, site, submitted, role):
    if role != "anonymous":
        client.force_login(site[role])
    starts = ROLE_STARTS[role] + ([f"/apply/{submitted.pk}/"] if role == "applicant" else [])
    pages = crawl(client, starts, limit=25 if role == "superuser" else 80)  # the admin has thousands of rows
    assert len(pages) >= len(starts), sorted(pages)
    if role == "applicant":
        assert "data-confirm" in pages[f"/apply/{submitted.pk}/"][0].content.decode()  # the withdraw button
    if role == "drafter":
        assert sum("/apply/" in path for path in pages) >= 5, sorted(pages)  # the form steps
    if role == "reviewer":
        assert any(path.startswith("/staff/review/") for path in pages), sorted(pages)
    for path, (response, audit) in pages.items():
        policy = response.get("Content-Security-Policy", "")
        directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in policy.split(";") if d.strip())
        assert directives.get("script-src") == "'self'", (path, policy)
        assert "unsafe" not in policy, (path, policy)
        assert not audit.inline_scripts, (path, audit.inline_scripts)
        assert not audit.handlers, (path, audit.handlers)
        if role != "anonymous":
            assert "no-store" in response["Cache-Control"], path


def test_attachment_content_keeps_its_own_sandboxing_policy(client, submitted, person):
    client.force_login(person)
    attachment = submitted.attachments.current().first()
    response = client.get(f"/api/v1/attachments/{attachment.pk}/content")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in response["Cache-Control"]


def test_public_pages_for_anonymous_visitors_stay_cacheable(client):
    for path in ("/", "/contacts/", "/api/v1/regions", "/api/v1/codes/qualification_level"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" not in response.get("Cache-Control", ""), path


def test_every_personal_api_answer_is_no_store(client, site, submitted):
    reviewer_token, _ = token_issue(user=site["reviewer"])
    applicant_token, _ = token_issue(user=site["applicant"])
    attachment = submitted.attachments.current().first()
    calls = {
        applicant_token: [
            "/api/v1/me",
            "/api/v1/me/applications",
            f"/api/v1/me/applications/{submitted.pk}",
            "/api/v1/me/export",
            "/api/v1/me/record",  # 404 until approved: still personal
            "/api/v1/me/transfer-codes",
            f"/api/v1/attachments/{attachment.pk}/content",
        ],
        reviewer_token: [
            "/api/v1/review/applications",
            f"/api/v1/review/applications/{submitted.pk}",
            f"/api/v1/attachments/{attachment.pk}/content",
        ],
    }
    for token, paths in calls.items():
        for path in paths:
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
            assert response.status_code in (200, 404), (path, response.content[:200])
            assert "no-store" in response["Cache-Control"], path
    # a token in the answer to a login is personal too
    response = client.post(
        "/api/v1/auth/login",
        {"username": site["applicant"].phone, "password": "wrong-password1"},
        content_type="application/json",
    )
    assert "no-store" in response["Cache-Control"]
    # the web: any page for a logged-in person, and the staff pages
    client.force_login(site["reviewer"])
    for path in ("/", "/contacts/", "/staff/queue/", f"/staff/review/{submitted.pk}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
