"""Password reset with a wrong ID number: one neutral answer that names no part, and the code is
not used up, so the person corrects the ID number and goes on with the same code."""

import pytest

from registry.accounts.models import SmsCode
from tests.factories import PASSWORD
from tests.helpers import problem

pytestmark = pytest.mark.django_db
RIGHT_ID = "11010519491231002X"
WRONG_ID = "110105199003070033"
NEW_PASSWORD = "Xinmima2026"
NEUTRAL = "证件号码、手机号码或验证码不正确"


def _reset(api, *, phone, id_number, code):
    body = {"id_number": id_number, "phone": phone, "sms_code": code, "new_password": NEW_PASSWORD}
    return api.post("/api/v1/auth/password-reset", body)


def _code(api, sms_file, phone):
    api.post("/api/v1/auth/sms-codes", {"phone": phone, "purpose": "reset_password"})
    return sms_file.last_code(phone, "reset_password")


def test_a_wrong_id_number_keeps_the_code_for_the_right_one(api, sms_file, collected_person):
    code = _code(api, sms_file, collected_person.phone)
    body = problem(_reset(api, phone=collected_person.phone, id_number=WRONG_ID, code=code), 400, "sms_code_invalid")
    assert NEUTRAL in body["detail"]
    stored = SmsCode.objects.get(phone=collected_person.phone, purpose="reset_password")
    assert stored.used_at is None and stored.failed_attempts == 1  # not used up; counted as a try
    assert _reset(api, phone=collected_person.phone, id_number=RIGHT_ID, code=code).status_code == 204
    assert (
        api.post("/api/v1/auth/login", {"username": collected_person.phone, "password": NEW_PASSWORD}).status_code
        == 200
    )


def test_wrong_id_and_wrong_code_answer_alike(api, sms_file, collected_person, applicant):
    code = _code(api, sms_file, collected_person.phone)
    wrong_id = _reset(api, phone=collected_person.phone, id_number=WRONG_ID, code=code)
    wrong_code = _reset(
        api, phone=collected_person.phone, id_number=RIGHT_ID, code="000000" if code != "000000" else "111111"
    )
    stranger = _reset(api, phone="13600000000", id_number=RIGHT_ID, code=code)
    assert len({(r.status_code, r.content) for r in (wrong_id, wrong_code, stranger)}) == 1
    assert (
        "身份证号码不正确" not in wrong_id.json()["detail"]
        and "验证码不正确，请核对短信" not in wrong_id.json()["detail"]
    )


def test_trying_id_numbers_on_one_code_ends_after_the_attempt_limit(api, sms_file, collected_person, settings):
    code = _code(api, sms_file, collected_person.phone)
    for _ in range(settings.SMS_CODE_MAX_ATTEMPTS):
        problem(_reset(api, phone=collected_person.phone, id_number=WRONG_ID, code=code), 400, "sms_code_invalid")
    late = _reset(api, phone=collected_person.phone, id_number=RIGHT_ID, code=code)
    assert "错误次数过多" in problem(late, 400, "sms_code_invalid")["detail"]
    assert api.post("/api/v1/auth/login", {"username": collected_person.phone, "password": PASSWORD}).status_code == 200


def test_the_reset_page_shows_the_neutral_message_and_keeps_the_code(client, api, sms_file, collected_person):
    code = _code(api, sms_file, collected_person.phone)
    form = {
        "id_number": WRONG_ID,
        "phone": collected_person.phone,
        "sms_code": code,
        "password": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    html = client.post("/password-reset/", form).content.decode()
    assert NEUTRAL in html and "验证码在有效期内可继续使用" in html
    response = client.post("/password-reset/", {**form, "id_number": RIGHT_ID})
    assert response.status_code == 302 and response["Location"] == "/login/"
