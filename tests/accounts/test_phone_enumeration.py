"""Nobody learns from the answers whether a phone number has an account (issue 9 item 5).

The attack: one address probes many numbers at registration, registration completion and phone
change. Registered and free numbers must get the same status and body, until the address limit
refuses them all alike; only the phone itself is told, by SMS, that it is registered.
"""

import re

import pytest

from registry.accounts.models import Role, User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
PROBER = "203.0.113.9"
WRONG_CODE = "000000"  # a registered number's code is never sent; 1 in 10⁶ that this is it


@pytest.fixture
def numbers():
    """20 registered and 20 free numbers, interleaved as an attacker's list would mix them."""
    registered = [f"1391000{i:04d}" for i in range(20)]
    free = [f"1392000{i:04d}" for i in range(20)]
    # No password: hashing 20 with Argon2 would take the test's whole budget, and login is not probed.
    User.objects.bulk_create([User(phone=phone, role=Role.APPLICANT, password="!") for phone in registered])
    return registered, free, [phone for pair in zip(registered, free, strict=True) for phone in pair]


def answer(response) -> tuple:
    """Status and body. (Retry-After counts down the address's hour, so it differs by the second.)"""
    return response.status_code, response.content


def test_forty_numbers_probed_from_one_address_get_identical_answers(api, sms_file, settings, numbers):
    registered, free, probes = numbers
    limit = settings.SMS_IP_HOURLY_LIMIT
    assert limit == 30
    answers = [
        answer(api.post("/api/v1/auth/sms-codes", {"phone": phone, "purpose": "register"}, ip=PROBER))
        for phone in probes
    ]
    assert set(answers[:limit]) == {(202, b'{"expires_in": 300}')}
    refused = set(answers[limit:])
    assert len(refused) == 1 and next(iter(refused))[0] == 429  # the last 10: one answer, whoever they are

    sent = {line["phone"]: line for line in sms_file.lines()}
    assert len(sent) == limit  # refused requests sent nothing
    for phone in probes[:limit]:
        if phone in registered:  # the fact goes to that phone only, and no code with it
            assert sent[phone]["code"] == ""
            assert sent[phone]["text"].startswith("该手机号码已注册")
            assert sent[phone]["text"].endswith("如非本人操作请忽略。")
        else:
            assert re.fullmatch(r"\d{6}", sent[phone]["code"]) and sent[phone]["code"] in sent[phone]["text"]

    # Completing a registration without the code: the same answer for every number.
    completions = set()
    for phone in probes:
        code = WRONG_CODE
        if phone in sent and sent[phone]["code"]:
            code = f"{(int(sent[phone]['code']) + 1) % 10**6:06d}"
        body = {"phone": phone, "sms_code": code, "password": "Tanzhen2026"}
        completions.add(answer(api.post("/api/v1/auth/register", body, ip=PROBER)))
    assert len(completions) == 1 and next(iter(completions))[0] == 400


def test_wrong_guesses_run_out_alike_for_registered_and_free_numbers(api, sms_file, numbers):
    """A code exists for a registered number too, so "too many wrong entries" cannot tell them apart."""
    registered, free, _ = numbers
    sequences = []
    for phone in (registered[0], free[0]):
        api.post("/api/v1/auth/sms-codes", {"phone": phone, "purpose": "register"}, ip=PROBER)
        sent = sms_file.last_code(phone, "register")
        wrong = WRONG_CODE if not sent else f"{(int(sent) + 1) % 10**6:06d}"
        body = {"phone": phone, "sms_code": wrong, "password": "Tanzhen2026"}
        sequences.append([answer(api.post("/api/v1/auth/register", body, ip=PROBER)) for _ in range(7)])
    assert sequences[0] == sequences[1]
    assert "错误次数过多".encode() in sequences[0][-1][1]


def test_phone_change_probes_answer_alike(api, sms_file, applicant, numbers):
    registered, free, _ = numbers
    token = api.login(applicant.phone)
    requests, changes = set(), set()
    for phone in (registered[1], free[1], registered[2], free[2]):
        response = api.post("/api/v1/auth/sms-codes", {"phone": phone, "purpose": "change_phone"}, token=token)
        requests.add(answer(response))
        body = {"password": PASSWORD, "new_phone": phone, "sms_code": WRONG_CODE}
        changes.add(answer(api.post("/api/v1/me/phone", body, token=token)))
    assert requests == {(202, b'{"expires_in": 300}')}
    assert len(changes) == 1 and next(iter(changes))[0] == 400
    assert [line["code"] for line in sms_file.lines() if line["phone"] == registered[1]] == [""]


def test_web_register_pages_answer_alike(client, sms_file, django_capture_on_commit_callbacks, numbers):
    registered, free, _ = numbers  # 13910000001 and 13920000001 mask alike: 139****0001

    def page(path, data):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(path, data, REMOTE_ADDR=PROBER)
        html = response.content.decode().replace(data["phone"], "PHONE")
        return response.status_code, re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", html)

    fragments = {page("/sms-code/", {"phone": phone, "purpose": "register"}) for phone in (registered[1], free[1])}
    assert len(fragments) == 1 and "验证码已发送至 139****0001" in next(iter(fragments))[1]
    data = {"sms_code": WRONG_CODE, "password": "Tanzhen2026", "password2": "Tanzhen2026"}
    forms = {page("/register/", {**data, "phone": phone}) for phone in (registered[1], free[1])}
    assert len(forms) == 1 and "验证码不正确" in next(iter(forms))[1]
