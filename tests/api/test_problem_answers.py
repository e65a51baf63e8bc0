"""Every answer of the API is problem+json with a Chinese message (API.md "Errors"), also those no
endpoint writes itself: a body that is not JSON, text no database can store, a value of the wrong
type, a session call without its CSRF token, an address or method the API does not have, a crash.
Found in the exploratory review of 28 Nov 2026 (docs/testing.md)."""

import copy
import json
import re

import pytest
from django.test import Client

from registry.applications.models import Application
from tests.factories import PASSWORD
from tests.helpers import problem

pytestmark = pytest.mark.django_db

LATIN_WORD = re.compile(r"[A-Za-z]{4,}")  # an English word in a message for people


def put_form(client, token, application_id, body: str):
    return client.put(
        f"/api/v1/me/applications/{application_id}/form",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.fixture
def two_drafts(api, person, other_person, valid_form):
    """The person's draft and another person's beside it, each with a name filled in."""
    from registry.applications import services

    mine = services.application_create(applicant=person, type="first_collection")
    services.application_save_form(application=mine, actor=person, form=valid_form)
    theirs = services.application_create(applicant=other_person, type="first_collection")
    other_form = copy.deepcopy(valid_form)
    other_form["basic"]["name"] = "王芳"
    services.application_save_form(application=theirs, actor=other_person, form=other_form)
    return api.login(person.phone), mine, theirs


@pytest.mark.parametrize(
    "body",
    ['{"username": "13800000001"', "[1, 2", "not json at all", '{"username": "1",}'],
)
def test_a_body_that_is_not_json_is_told_in_chinese(client, body):
    response = client.post("/api/v1/auth/login", body, content_type="application/json")
    body = problem(response, 400, "invalid_input")
    assert body["detail"].startswith("请求内容不是有效的 JSON（第 1 行第")
    assert body["errors"] == [{"field": "", "code": "invalid_json", "message": body["detail"].rstrip("。")}]
    assert "Cannot parse" not in response.content.decode()


def test_a_body_in_another_encoding_is_told_in_chinese(client):
    response = client.post("/api/v1/auth/login", b"\xff\xfe{", content_type="application/json")
    body = problem(response, 400, "invalid_input")
    assert body["detail"] == "请求内容须为 UTF-8 编码的 JSON。"


def test_a_lone_surrogate_is_refused_and_nothing_is_written(client, two_drafts, valid_form):
    """A "\\ud800" escape is valid JSON but no storable text: it used to end in a 500 in the database."""
    token, mine, theirs = two_drafts
    form = copy.deepcopy(valid_form)
    form["basic"]["name"] = "李\ud800明"
    body = json.dumps(form)  # ensure_ascii: the surrogate goes as the escape \ud800
    assert "\\ud800" in body
    answer = problem(put_form(client, token, mine.pk, body), 400, "invalid_input")
    assert "不成对的代理项" in answer["detail"] and answer["errors"][0]["code"] == "invalid_format"
    assert Application.objects.get(pk=mine.pk).form["basic"]["name"] == "李明"
    assert Application.objects.get(pk=theirs.pk).form["basic"]["name"] == "王芳"
    # Also where no one is logged in yet (the login's username is looked up in the database).
    problem(
        client.post("/api/v1/auth/login", '{"username": "\\udc00", "password": "x"}', content_type="application/json"),
        400,
        "invalid_input",
    )


def test_a_surrogate_pair_is_ordinary_text(client, two_drafts, valid_form):
    token, mine, theirs = two_drafts
    form = copy.deepcopy(valid_form)
    form["other"]["remarks"] = "备注😀"
    response = put_form(client, token, mine.pk, json.dumps(form))  # 😀 goes as \ud83d\ude00
    assert response.status_code == 200, response.content
    assert Application.objects.get(pk=mine.pk).form["other"]["remarks"] == "备注😀"
    assert Application.objects.get(pk=theirs.pk).form["other"]["remarks"] == ""


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"username": 13800000001, "password": "x"}, "username", "格式不正确：须为文本"),
        ({"username": "13800000001", "password": ["x"]}, "password", "格式不正确：须为文本"),
    ],
)
def test_a_value_of_the_wrong_type_is_told_in_chinese(client, payload, field, message):
    body = problem(client.post("/api/v1/auth/login", payload, content_type="application/json"), 400, "invalid_input")
    assert {"field": field, "code": "invalid_format", "message": message} in body["errors"]


def test_pydantic_messages_name_the_expected_shape_in_chinese(api, person):
    token = api.login(person.phone)
    body = problem(api.get("/api/v1/me/credits", {"year": "abc"}, token=token), 400, "invalid_input")
    assert body["errors"] == [{"field": "year", "code": "invalid_format", "message": "格式不正确：须为整数"}]
    for error in body["errors"]:
        assert not LATIN_WORD.search(error["message"]), error


def test_a_form_section_of_the_wrong_type_is_told_in_chinese(client, two_drafts):
    token, mine, _ = two_drafts
    body = problem(put_form(client, token, mine.pk, json.dumps({"basic": "x"})), 400, "invalid_input")
    assert body["errors"][0]["message"] == "格式不正确：须为 JSON 对象"
    body = problem(put_form(client, token, mine.pk, json.dumps({"education": [{}] * 11})), 400, "invalid_input")
    assert body["errors"][0]["message"] == "格式不正确：最多 10 项"


def test_a_session_call_without_the_csrf_token_is_told_in_chinese(person, other_person):
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username=person.phone, password=PASSWORD)
    response = browser.post("/api/v1/me/applications", {"type": "first_collection"}, content_type="application/json")
    body = problem(response, 403, "csrf_failed")
    assert "CSRF" in body["detail"] and "刷新页面" in body["detail"]
    assert not Application.objects.filter(applicant__in=[person, other_person]).exists()


def test_an_address_the_api_does_not_have_is_a_problem_404(client):
    body = problem(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert "没有这个接口" in body["detail"]
    # The web keeps its Chinese page.
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_method_an_endpoint_does_not_take_is_a_problem_405_with_allow(api, person):
    token = api.login(person.phone)
    response = api.client.delete("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    body = problem(response, 405, "method_not_allowed")
    assert body["detail"] == "该接口不支持此请求方法。" and response["Allow"] == "GET"
    problem(api.client.get("/api/v1/auth/login"), 405, "method_not_allowed")


@pytest.mark.parametrize("debug", [False, True])
def test_a_crash_is_a_problem_500_with_the_request_id_and_no_traceback(settings, person, monkeypatch, debug):
    import registry.api.auth as api_auth

    def broken(user):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(api_auth, "me_out", broken)
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    token = (
        Client()
        .post("/api/v1/auth/login", {"username": person.phone, "password": PASSWORD}, content_type="application/json")
        .json()["token"]
    )
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    body = problem(response, 500, "server_error")
    assert response["X-Request-ID"] in body["detail"] and body["detail"].startswith("服务器内部错误")
    assert "secret detail" not in response.content.decode() and "Traceback" not in response.content.decode()
