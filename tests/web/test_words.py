"""Words people read: Chinese password rules and error pages (with DEBUG on, as in the demo, too),
refused uploads as errors naming every photo defect at once, the data download explained, a favicon."""

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import Client

from registry.applications.materials import MaterialRejected, check_material
from tests import files
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CJK = "\u4e00-\u9fff"


def _chinese(text: str) -> bool:
    import re

    return bool(re.search(f"[{CJK}]", text)) and not re.search(r"\b(password|must|This|Your)\b", text)


@pytest.mark.parametrize("password", ["ab1", "password", "12345678", "abcdefgh", "13800000000x", "Kuaiji"])
def test_every_password_validator_message_is_chinese(password):
    user = UserFactory.build(phone="13800000000", id_number="110105199003070033")
    with pytest.raises(ValidationError) as info:
        password_validation.validate_password(password, user=user)
    assert info.value.messages and all(_chinese(m) for m in info.value.messages), info.value.messages


def test_the_minimum_length_message_names_the_length():
    with pytest.raises(ValidationError) as info:
        password_validation.validate_password("ab1x")
    assert "密码太短，至少需要 8 个字符。" in info.value.messages


def test_every_password_rule_text_is_chinese():
    texts = password_validation.password_validators_help_texts()
    assert len(texts) == 5 and all(_chinese(t) for t in texts), texts
    similar = password_validation.UserAttributeSimilarityValidator()
    assert _chinese(similar.get_help_text()) and _chinese(similar.get_error_message())


def test_weak_password_on_the_register_page_is_chinese(client):
    body = {"phone": "13800000077", "sms_code": "123456", "password": "ab1", "password2": "ab1"}
    html = client.post("/register/", body).content
    html = html.decode()
    assert "密码太短" in html and "This password" not in html


@pytest.mark.parametrize("debug", [False, True])
def test_404_page_is_chinese(client, settings, debug):
    settings.DEBUG = debug
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and 'data-testid="error-404"' in html and "Page not found" not in html
    # an application that is not yours: the same page
    response = client.get("/staff/review/00000000-0000-0000-0000-000000000000/")
    assert response.status_code in (302, 404)


def test_api_404_stays_problem_json_with_debug_on(client, settings):
    settings.DEBUG = True
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404 and "页面不存在" not in response.content.decode()


def test_403_page_is_chinese(client, settings):
    client.force_login(UserFactory())  # an applicant on a staff page
    for debug in (False, True):
        settings.DEBUG = debug
        response = client.get("/staff/queue/")
        assert response.status_code == 403 and "没有权限" in response.content.decode()


def test_csrf_failure_page_is_chinese():
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/login/", {"username": "13800000001", "password": "x"})
    assert response.status_code == 403 and "页面已过期" in response.content.decode()


@pytest.mark.parametrize("debug", [False, True])
def test_500_page_is_chinese_and_the_crash_is_logged(settings, debug, caplog):
    settings.ROOT_URLCONF = "tests.web.crash_urls"
    settings.DEBUG = debug
    response = Client(raise_request_exception=False).get("/crash/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "系统暂时出错" in html and "RuntimeError" not in html and "Traceback" not in html
    assert any("boom" in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_a_photo_with_several_defects_names_them_all():
    with pytest.raises(MaterialRejected) as info:
        check_material("photo", files.photo_jpeg(size=(400, 300), background=(200, 30, 30), quality=100))
    message = info.value.message
    assert info.value.code == "photo_too_few_pixels"  # the first defect's code, as before
    assert "3 处不符合要求" in message
    assert "295×413" in message and "竖版" in message and "红色" in message


def test_a_refused_upload_is_shown_as_an_error(client, draft, person):
    client.force_login(person)
    response = client.post(
        f"/apply/{draft.pk}/materials/upload/",
        {"kind": "photo", "file": _file("photo.jpg", files.photo_jpeg(size=(400, 300), quality=100))},
        follow=True,
    )
    html = response.content.decode()
    assert 'class="msg-error" role="alert"' in html and "标准证件照未上传" in html and "竖版" in html


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_data_download_is_explained_in_plain_words(client, person):
    client.force_login(person)
    html = client.get("/record/").content.decode()
    assert 'data-testid="data-export"' in html
    assert "下载我的全部数据" in html and "记事本" in html and "请妥善保管" in html
    assert "（JSON）" not in html


def test_favicon_is_our_own_svg(client):
    assert 'rel="icon" href="/static/web/favicon.svg"' in client.get("/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/web/favicon.svg"
    from django.contrib.staticfiles import finders

    svg = open(finders.find("web/favicon.svg"), encoding="utf-8").read()
    assert svg.startswith("<svg") and "Drawn for this project" in svg


def test_several_password_rules_read_as_one_sentence(client, db):
    """Found in the review of 28 Nov 2026: "密码太短，至少需要 8 个字符。；这个密码太常见了。；密码须…"."""
    body = {"phone": "13800000077", "sms_code": "123456", "password": "abc", "password2": "abc"}
    html = client.post("/register/", body).content.decode()
    assert "密码太短，至少需要 8 个字符；" in html and "须同时包含字母和数字。" in html
    assert "。；" not in html
    from registry.accounts.models import User

    assert not User.objects.filter(phone="13800000077").exists()
