"""A form sent after the web session ended goes back to its page after logging in, not to a bare 405;
a POST-only address opened directly gets a Chinese page (registry.web.middleware)."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from registry.applications.models import Application
from tests.factories import collected_person

pytestmark = pytest.mark.django_db

PASSWORD = "Kuaiji2026!x"


def _logged_in(person) -> Client:
    browser = Client()
    browser.force_login(person)
    return browser


def test_a_form_sent_after_logout_returns_to_its_page_after_login_and_saves_nothing():
    person, other = collected_person(district="110105"), collected_person(district="110108")
    person.set_password(PASSWORD)
    person.save()
    browser, other_browser = _logged_in(person), _logged_in(other)
    assert browser.get("/record/").status_code == 200
    browser.logout()  # the session ended (another tab logged out, or the idle timeout)

    sent = browser.post(
        "/record/transfer-out/", {"destination_region": "130000"}, HTTP_REFERER="http://testserver/record/?tab=1"
    )
    assert sent.status_code == 302 and sent["Location"] == "/login/?next=/record/%3Ftab%3D1"
    assert [str(m) for m in get_messages(sent.wsgi_request)] == [
        "登录已超时或已退出，刚才提交的内容没有保存。请重新登录后再提交一次。"
    ]
    assert not Application.objects.filter(applicant=person, type="transfer_out").exists()

    page = browser.post("/login/?next=/record/%3Ftab%3D1", {"username": person.phone, "password": PASSWORD})
    assert page.status_code == 302 and page["Location"] == "/record/?tab=1"
    assert browser.get(page["Location"]).status_code == 200
    # The other person's session and page are untouched by this.
    assert other_browser.get("/record/").status_code == 200


@pytest.mark.parametrize(
    "referer",
    ["http://evil.example/record/", "", "javascript:alert(1)", "//evil.example/record/"],
)
def test_the_way_back_is_only_ever_a_page_of_ours(referer):
    browser = Client()
    headers = {"HTTP_REFERER": referer} if referer else {}
    sent = browser.post("/record/transfer-out/", {"destination_region": "130000"}, **headers)
    assert sent.status_code == 302 and sent["Location"] == "/login/?next=/"


def test_a_get_redirect_to_login_keeps_its_own_address():
    sent = Client().get("/record/")
    assert sent.status_code == 302 and sent["Location"] == "/login/?next=/record/"
    assert list(get_messages(sent.wsgi_request)) == []


def test_a_post_only_address_opened_directly_gets_a_chinese_page_with_allow():
    browser = _logged_in(collected_person())
    page = browser.get("/record/transfer-out/")
    assert page.status_code == 405 and page["Allow"] == "POST"
    assert "无法直接打开此页面" in page.content.decode()
    assert page["Content-Type"].startswith("text/html")


def test_the_api_keeps_its_own_answers():
    assert Client().post("/api/v1/me/transfer-out", {}, content_type="application/json").status_code == 401
    api_405 = _logged_in(collected_person()).get("/api/v1/auth/logout")
    assert (
        api_405.status_code in (401, 405) and b"\xe6\x97\xa0\xe6\xb3\x95\xe7\x9b\xb4\xe6\x8e\xa5" not in api_405.content
    )


def test_a_form_that_itself_sends_people_to_log_in_is_left_alone():
    """Only login_required's redirect (it names the address to come back to) is rewritten: a logged-in
    person's own logout goes home, and a redirect to the bare login page stays as it is."""
    browser = _logged_in(collected_person())
    out = browser.post("/logout/", HTTP_REFERER="http://testserver/record/")
    assert out.status_code == 302 and out["Location"] == "/"
    assert [str(m) for m in get_messages(out.wsgi_request)] == ["您已安全退出。"]
