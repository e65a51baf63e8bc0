"""Every row and code of API.md "Accounts", through the real HTTP stack and the `file` SMS backend."""

import datetime as dt

import pytest
from django.utils import timezone

from registry.accounts.models import ApiToken, SmsCode, User
from registry.audit.models import AuditEntry
from tests.factories import PASSWORD, UserFactory
from tests.helpers import problem

pytestmark = pytest.mark.django_db
PHONE = "13912345678"
NEW_PASSWORD = "Xinmima2026"


def register(api, sms_file, phone=PHONE, password=NEW_PASSWORD):
    assert api.post("/api/v1/auth/sms-codes", {"phone": phone, "purpose": "register"}).status_code == 202
    code = sms_file.last_code(phone, "register")
    return api.post("/api/v1/auth/register", {"phone": phone, "sms_code": code, "password": password})


# --- SMS codes ----------------------------------------------------------------------------------


def test_sms_code_is_sent_through_the_file_backend_and_stored_hashed(api, sms_file):
    response = api.post("/api/v1/auth/sms-codes", {"phone": PHONE, "purpose": "register"})
    assert response.status_code == 202 and response.json() == {"expires_in": 300}
    (line,) = sms_file.lines()
    assert set(line) == {"phone", "purpose", "code", "text", "sent_at"}
    assert line["phone"] == PHONE and line["purpose"] == "register"
    assert len(line["code"]) == 6 and line["code"].isdigit() and line["code"] in line["text"]
    stored = SmsCode.objects.get(phone=PHONE)
    assert line["code"] not in stored.code_hash
    assert (stored.expires_at - stored.created_at) == dt.timedelta(seconds=300)


def test_second_code_within_a_minute_is_429_with_retry_after(api, sms_file):
    api.post("/api/v1/auth/sms-codes", {"phone": PHONE, "purpose": "register"})
    response = api.post("/api/v1/auth/sms-codes", {"phone": PHONE, "purpose": "register"})
    body = problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "秒后再获取" in body["detail"]
    assert len(sms_file.lines()) == 1


def test_ten_codes_a_day_per_phone(api, sms_file, settings):
    settings.SMS_PHONE_INTERVAL_SECONDS = 0
    for _ in range(10):
        assert api.post("/api/v1/auth/sms-codes", {"phone": PHONE, "purpose": "register"}).status_code == 202
    response = api.post("/api/v1/auth/sms-codes", {"phone": PHONE, "purpose": "register"})
    problem(response, 429, "rate_limited")
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    assert len(sms_file.lines()) == 10


def test_per_ip_limit(api, sms_file, settings):
    settings.SMS_IP_HOURLY_LIMIT = 3
    for i in range(3):
        assert api.post("/api/v1/auth/sms-codes", {"phone": f"1391111000{i}", "purpose": "register"}).status_code == 202
    response = api.post("/api/v1/auth/sms-codes", {"phone": "13911110009", "purpose": "register"})
    problem(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 3000
    other_ip = api.post("/api/v1/auth/sms-codes", {"phone": "13911110009", "purpose": "register"}, ip="10.1.1.1")
    assert other_ip.status_code == 202


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phone": "12345", "purpose": "register"}, "invalid_phone"),
        ({"phone": PHONE, "purpose": "spam"}, "invalid_purpose"),
        ({"phone": PHONE}, "invalid_input"),
    ],
)
def test_bad_sms_code_requests(api, sms_file, body, code):
    problem(api.post("/api/v1/auth/sms-codes", body), 400, code)
    assert sms_file.lines() == []


def test_register_code_for_a_taken_phone_answers_alike_and_tells_only_that_phone(api, sms_file):
    UserFactory(phone=PHONE)
    response = api.post("/api/v1/auth/sms-codes", {"phone": PHONE, "purpose": "register"})
    assert response.status_code == 202 and response.json() == {"expires_in": 300}
    (line,) = sms_file.lines()
    assert line["phone"] == PHONE and line["code"] == ""
    assert line["text"].startswith("该手机号码已注册") and line["text"].endswith("如非本人操作请忽略。")


# --- Registration ------------------------------------------------------------------------------


def test_register_then_login_and_me(api, sms_file):
    response = register(api, sms_file)
    assert response.status_code == 201
    user = User.objects.get(pk=int(response.json()["id"]))
    assert user.phone == PHONE and user.role == "applicant"
    assert user.password.startswith("argon2")
    assert AuditEntry.objects.filter(action="account.register", actor=user).exists()
    token = api.login(PHONE, NEW_PASSWORD)
    me = api.get("/api/v1/me", token=token).json()
    assert me == {
        "id": str(user.pk),
        "phone": PHONE,
        "name": "",
        "roles": ["applicant"],
        "districts": [],
        "must_change_password": False,
    }


def test_register_with_wrong_code(api, sms_file):
    api.post("/api/v1/auth/sms-codes", {"phone": PHONE, "purpose": "register"})
    right = sms_file.last_code(PHONE, "register")
    wrong = "000000" if right != "000000" else "111111"
    response = api.post("/api/v1/auth/register", {"phone": PHONE, "sms_code": wrong, "password": NEW_PASSWORD})
    body = problem(response, 400, "sms_code_invalid")
    assert body["errors"][0]["field"] == "sms_code"
    assert not User.objects.filter(phone=PHONE).exists()
    # the right code still works after one wrong guess
    ok = api.post("/api/v1/auth/register", {"phone": PHONE, "sms_code": right, "password": NEW_PASSWORD})
    assert ok.status_code == 201


def test_register_with_expired_code(api, sms_file):
    api.post("/api/v1/auth/sms-codes", {"phone": PHONE, "purpose": "register"})
    SmsCode.objects.filter(phone=PHONE).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    code = sms_file.last_code(PHONE, "register")
    response = api.post("/api/v1/auth/register", {"phone": PHONE, "sms_code": code, "password": NEW_PASSWORD})
    problem(response, 400, "sms_code_expired")


def test_code_is_void_after_five_wrong_guesses(api, sms_file):
    api.post("/api/v1/auth/sms-codes", {"phone": PHONE, "purpose": "register"})
    right = sms_file.last_code(PHONE, "register")
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(5):
        api.post("/api/v1/auth/register", {"phone": PHONE, "sms_code": wrong, "password": NEW_PASSWORD})
    response = api.post("/api/v1/auth/register", {"phone": PHONE, "sms_code": right, "password": NEW_PASSWORD})
    assert "错误次数过多" in problem(response, 400, "sms_code_invalid")["detail"]


def test_register_with_a_taken_phone(api, sms_file):
    api.post("/api/v1/auth/sms-codes", {"phone": PHONE, "purpose": "register"})
    code = sms_file.last_code(PHONE, "register")
    UserFactory(phone=PHONE)  # somebody registered in between
    response = api.post("/api/v1/auth/register", {"phone": PHONE, "sms_code": code, "password": NEW_PASSWORD})
    problem(response, 409, "phone_taken")


@pytest.mark.parametrize("password", ["abc123", "onlyletters", "1234567890", f"a{PHONE}b"])
def test_register_with_a_weak_password(api, sms_file, password):
    api.post("/api/v1/auth/sms-codes", {"phone": PHONE, "purpose": "register"})
    code = sms_file.last_code(PHONE, "register")
    response = api.post("/api/v1/auth/register", {"phone": PHONE, "sms_code": code, "password": password})
    body = problem(response, 400, "weak_password")
    assert body["errors"][0]["field"] == "password"
    # a weak password does not burn the code
    assert (
        api.post("/api/v1/auth/register", {"phone": PHONE, "sms_code": code, "password": NEW_PASSWORD}).status_code
        == 201
    )


# --- Login, lockout, logout --------------------------------------------------------------------


def test_login_by_phone_and_by_id_number(api, collected_person):
    by_phone = api.post("/api/v1/auth/login", {"username": collected_person.phone, "password": PASSWORD})
    by_id = api.post("/api/v1/auth/login", {"username": "11010519491231002x", "password": PASSWORD})
    for response in (by_phone, by_id):
        assert response.status_code == 200
        body = response.json()
        expires = dt.datetime.fromisoformat(body["expires_at"])
        assert dt.timedelta(hours=11) < expires - timezone.now() <= dt.timedelta(hours=12)
        assert body["token"].startswith("rt_")
    assert AuditEntry.objects.filter(action="auth.login", actor=collected_person).count() == 2
    token = ApiToken.objects.filter(user=collected_person).first()
    assert by_phone.json()["token"] not in token.key_hash


def test_wrong_password_is_401_login_failed_and_audited(api, applicant):
    response = api.post("/api/v1/auth/login", {"username": applicant.phone, "password": "Wrong2026x"})
    problem(response, 401, "login_failed")
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.details["account"] == f"user:{applicant.pk}" and entry.ip == "127.0.0.1"
    assert applicant.phone not in str(entry.details)  # masked


def test_five_failures_lock_the_account_for_fifteen_minutes(api, applicant):
    for _ in range(4):
        problem(
            api.post("/api/v1/auth/login", {"username": applicant.phone, "password": "Wrong2026x"}), 401, "login_failed"
        )
    fifth = api.post("/api/v1/auth/login", {"username": applicant.phone, "password": "Wrong2026x"})
    body = problem(fifth, 429, "locked_out")
    assert 14 * 60 < int(fifth["Retry-After"]) <= 15 * 60
    assert "请于" in body["detail"] and "后重试" in body["detail"]
    # the right password is refused while locked, from any address
    right = api.post("/api/v1/auth/login", {"username": applicant.phone, "password": PASSWORD}, ip="10.2.2.2")
    problem(right, 429, "locked_out")
    failures = AuditEntry.objects.filter(action="auth.login_failed").order_by("seq")
    assert [e.details["locked"] for e in failures] == [False, False, False, False, True]


def test_lock_counts_per_account_whether_phone_or_id_number_is_typed(api, collected_person):
    for i in range(5):
        username = collected_person.phone if i % 2 else collected_person.id_number
        api.post("/api/v1/auth/login", {"username": username, "password": "Wrong2026x"})
    problem(
        api.post("/api/v1/auth/login", {"username": collected_person.phone, "password": PASSWORD}), 429, "locked_out"
    )


def test_lock_expires(api, applicant):
    from registry.accounts.models import LoginAttempt

    for _ in range(5):
        api.post("/api/v1/auth/login", {"username": applicant.phone, "password": "Wrong2026x"})
    LoginAttempt.objects.update(at=timezone.now() - dt.timedelta(minutes=16))
    assert api.post("/api/v1/auth/login", {"username": applicant.phone, "password": PASSWORD}).status_code == 200


def test_ip_is_locked_after_many_failures_on_different_accounts(api, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 3
    users = [UserFactory() for _ in range(4)]
    for user in users[:3]:
        api.post("/api/v1/auth/login", {"username": user.phone, "password": "Wrong2026x"}, ip="10.3.3.3")
    problem(
        api.post("/api/v1/auth/login", {"username": users[3].phone, "password": PASSWORD}, ip="10.3.3.3"),
        429,
        "locked_out",
    )
    assert (
        api.post("/api/v1/auth/login", {"username": users[3].phone, "password": PASSWORD}, ip="10.4.4.4").status_code
        == 200
    )


def test_logout_revokes_the_token(api, applicant):
    token = api.login(applicant.phone)
    assert api.get("/api/v1/me", token=token).status_code == 200
    assert api.post("/api/v1/auth/logout", token=token).status_code == 204
    problem(api.get("/api/v1/me", token=token), 401, "not_authenticated")
    assert AuditEntry.objects.filter(action="auth.logout", actor=applicant).exists()


def test_expired_or_unknown_token_is_401(api, applicant):
    token = api.login(applicant.phone)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    problem(api.get("/api/v1/me", token=token), 401, "not_authenticated")
    problem(api.get("/api/v1/me", token="rt_made_up"), 401, "not_authenticated")
    problem(api.get("/api/v1/me"), 401, "not_authenticated")


def test_me_for_a_reviewer_lists_districts(api, chaoyang_reviewer):
    token = api.login(chaoyang_reviewer.phone)
    body = api.get("/api/v1/me", token=token).json()
    assert body["roles"] == ["reviewer"] and body["districts"] == ["110105"]


# --- Password reset ----------------------------------------------------------------------------


def reset(api, sms_file, *, id_number, phone, password=NEW_PASSWORD, code=None):
    if code is None:
        api.post("/api/v1/auth/sms-codes", {"phone": phone, "purpose": "reset_password"})
        code = sms_file.last_code(phone, "reset_password")
    body = {"id_number": id_number, "phone": phone, "sms_code": code, "new_password": password}
    return api.post("/api/v1/auth/password-reset", body), code


def test_password_reset_revokes_every_session_and_token(api, sms_file, client, collected_person):
    token = api.login(collected_person.phone)
    browser = client.__class__()
    browser.force_login(collected_person)
    assert browser.get("/account/").status_code == 200
    response, code = reset(api, sms_file, id_number="11010519491231002X", phone=collected_person.phone)
    assert response.status_code == 204
    problem(api.get("/api/v1/me", token=token), 401, "not_authenticated")
    assert browser.get("/account/").status_code == 302  # the web session ended too
    assert api.post("/api/v1/auth/login", {"username": collected_person.phone, "password": PASSWORD}).status_code == 401
    assert (
        api.post("/api/v1/auth/login", {"username": collected_person.phone, "password": NEW_PASSWORD}).status_code
        == 200
    )
    assert AuditEntry.objects.filter(action="auth.password_reset", actor=collected_person).exists()
    # the code was single use
    again, _ = reset(api, sms_file, id_number="11010519491231002X", phone=collected_person.phone, code=code)
    problem(again, 400, "sms_code_invalid")


def test_password_reset_unlocks_a_locked_account(api, sms_file, collected_person):
    for _ in range(5):
        api.post("/api/v1/auth/login", {"username": collected_person.phone, "password": "Wrong2026x"})
    response, _ = reset(api, sms_file, id_number="11010519491231002X", phone=collected_person.phone)
    assert response.status_code == 204
    assert (
        api.post("/api/v1/auth/login", {"username": collected_person.phone, "password": NEW_PASSWORD}).status_code
        == 200
    )


def test_reset_answers_are_identical_for_known_and_unknown_phones(api, sms_file, collected_person):
    known = api.post("/api/v1/auth/sms-codes", {"phone": collected_person.phone, "purpose": "reset_password"})
    unknown = api.post("/api/v1/auth/sms-codes", {"phone": "13600000000", "purpose": "reset_password"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json()) == (202, {"expires_in": 300})
    assert [m["phone"] for m in sms_file.lines()] == [collected_person.phone]  # nothing sent to a stranger

    body = {"id_number": "11010519491231002X", "sms_code": "123456", "new_password": NEW_PASSWORD}
    wrong_code_known = api.post("/api/v1/auth/password-reset", {**body, "phone": collected_person.phone})
    unknown_phone = api.post("/api/v1/auth/password-reset", {**body, "phone": "13600000000"})
    never_asked = api.post("/api/v1/auth/password-reset", {**body, "phone": "13500000000"})
    answers = {(r.status_code, r.content) for r in (wrong_code_known, unknown_phone, never_asked)}
    assert len(answers) == 1
    problem(unknown_phone, 400, "sms_code_invalid")


def test_reset_with_a_valid_code_but_someone_elses_id_number(api, sms_file, collected_person):
    response, _ = reset(api, sms_file, id_number="440524188001010014", phone=collected_person.phone)
    problem(response, 400, "sms_code_invalid")
    assert api.post("/api/v1/auth/login", {"username": collected_person.phone, "password": PASSWORD}).status_code == 200


# --- Profile -----------------------------------------------------------------------------------


def test_change_phone_with_a_code_sent_to_the_new_phone(api, sms_file, applicant):
    problem(
        api.post("/api/v1/auth/sms-codes", {"phone": "13655556666", "purpose": "change_phone"}),
        401,
        "not_authenticated",
    )
    token = api.login(applicant.phone)
    assert (
        api.post("/api/v1/auth/sms-codes", {"phone": "13655556666", "purpose": "change_phone"}, token=token).status_code
        == 202
    )
    code = sms_file.last_code("13655556666", "change_phone")
    wrong = api.post(
        "/api/v1/me/phone", {"password": "Wrong2026x", "new_phone": "13655556666", "sms_code": code}, token=token
    )
    problem(wrong, 400, "wrong_password")
    body = {"password": PASSWORD, "new_phone": "13655556666", "sms_code": code}
    response = api.post("/api/v1/me/phone", body, token=token)
    assert response.status_code == 200 and response.json()["phone"] == "13655556666"
    assert api.post("/api/v1/auth/login", {"username": "13655556666", "password": PASSWORD}).status_code == 200
    assert AuditEntry.objects.filter(action="account.phone_change", actor=applicant).exists()


def test_change_phone_to_a_taken_number(api, sms_file, applicant):
    other = UserFactory()
    token = api.login(applicant.phone)
    response = api.post("/api/v1/auth/sms-codes", {"phone": other.phone, "purpose": "change_phone"}, token=token)
    assert response.status_code == 202
    assert sms_file.lines()[-1]["code"] == "" and "该手机号码已注册" in sms_file.lines()[-1]["text"]
    body = {"password": PASSWORD, "new_phone": other.phone, "sms_code": "123456"}
    problem(api.post("/api/v1/me/phone", body, token=token), 400, "sms_code_invalid")


def test_change_phone_to_a_number_taken_after_its_code_was_sent(api, sms_file, applicant):
    """The code holder holds that phone: after a right code, telling them it is taken reveals nothing."""
    token = api.login(applicant.phone)
    api.post("/api/v1/auth/sms-codes", {"phone": "13655556666", "purpose": "change_phone"}, token=token)
    code = sms_file.last_code("13655556666", "change_phone")
    UserFactory(phone="13655556666")
    body = {"password": PASSWORD, "new_phone": "13655556666", "sms_code": code}
    problem(api.post("/api/v1/me/phone", body, token=token), 409, "phone_taken")
    assert User.objects.get(pk=applicant.pk).phone == applicant.phone


def test_change_password(api, applicant):
    token = api.login(applicant.phone)
    wrong = api.post("/api/v1/me/password", {"old_password": "nope1234", "new_password": NEW_PASSWORD}, token=token)
    problem(wrong, 400, "wrong_password")
    weak = api.post("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "short1"}, token=token)
    assert problem(weak, 400, "weak_password")["errors"][0]["field"] == "new_password"
    second = api.login(applicant.phone)
    body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert api.post("/api/v1/me/password", body, token=second).status_code == 204
    assert api.get("/api/v1/me", token=second).status_code == 200  # the caller's token stays
    problem(api.get("/api/v1/me", token=token), 401, "not_authenticated")  # every other one ends
    assert api.post("/api/v1/auth/login", {"username": applicant.phone, "password": NEW_PASSWORD}).status_code == 200
    assert AuditEntry.objects.filter(action="auth.password_change", actor=applicant).exists()


# --- Staff -------------------------------------------------------------------------------------


def test_reviewer_recovers_a_lost_phone_then_the_person_resets_the_password(
    api, sms_file, collected_person, chaoyang_reviewer
):
    token = api.login(chaoyang_reviewer.phone)
    body = {"id_number": "11010519491231002X", "new_phone": "13677778888", "identity_check": "本人到场，核验身份证原件"}
    response = api.post("/api/v1/staff/phone-recovery", body, token=token)
    assert response.status_code == 202 and response.json()["status"] == "pending"
    entry = AuditEntry.objects.get(action="account.phone_recovery_request")
    assert entry.actor_id == chaoyang_reviewer.pk and entry.district == "110105"
    assert entry.details["identity_check"] == "本人到场，核验身份证原件"
    assert entry.target_id == str(collected_person.pk)
    colleague = UserFactory(reviewer=True, district_codes=["110105"])
    approved = api.post(f"/api/v1/phone-recoveries/{response.json()['id']}/approve", token=api.login(colleague.phone))
    assert approved.status_code == 200 and approved.json()["status"] == "applied"
    reset_response, _ = reset(api, sms_file, id_number="11010519491231002X", phone="13677778888")
    assert reset_response.status_code == 204
    assert api.post("/api/v1/auth/login", {"username": "13677778888", "password": NEW_PASSWORD}).status_code == 200


def test_reviewer_of_another_district_cannot_recover_the_phone(api, collected_person, haidian_reviewer):
    token = api.login(haidian_reviewer.phone)
    body = {"id_number": "11010519491231002X", "new_phone": "13677778888", "identity_check": "本人到场核验"}
    problem(api.post("/api/v1/staff/phone-recovery", body, token=token), 404, "not_found")
    collected_person.refresh_from_db()
    assert collected_person.phone == "13700000001"
    assert not AuditEntry.objects.filter(action="account.phone_recovery_request").exists()


def test_applicant_cannot_use_phone_recovery(api, collected_person, applicant):
    token = api.login(applicant.phone)
    body = {"id_number": "11010519491231002X", "new_phone": "13677778888", "identity_check": "本人到场核验"}
    problem(api.post("/api/v1/staff/phone-recovery", body, token=token), 403, "forbidden")


def test_phone_recovery_needs_the_identity_check_recorded(api, collected_person, municipal_admin):
    token = api.login(municipal_admin.phone)
    body = {"id_number": "11010519491231002X", "new_phone": "13677778888", "identity_check": ""}
    problem(api.post("/api/v1/staff/phone-recovery", body, token=token), 400, "required")


def test_staff_with_an_initial_password_must_change_it_first(api):
    from registry.accounts.services import staff_create

    staff_create(
        phone="13688889999",
        password="Chushi2026",
        role="reviewer",
        district_codes=["110105"],
        must_change_password=True,
    )
    token = api.login("13688889999", "Chushi2026")
    assert api.get("/api/v1/me", token=token).json()["must_change_password"] is True
    problem(
        api.post(
            "/api/v1/staff/phone-recovery", {"id_number": "x", "new_phone": "x", "identity_check": "x"}, token=token
        ),
        403,
        "password_change_required",
    )
    assert (
        api.post(
            "/api/v1/me/password", {"old_password": "Chushi2026", "new_password": NEW_PASSWORD}, token=token
        ).status_code
        == 204
    )
    token = api.login("13688889999", NEW_PASSWORD)
    assert api.get("/api/v1/me", token=token).json()["must_change_password"] is False


def test_reset_for_an_account_not_yet_collected_needs_only_phone_and_code(api, sms_file, applicant):
    assert applicant.id_number is None
    response, _ = reset(api, sms_file, id_number="", phone=applicant.phone)
    assert response.status_code == 204
    assert api.post("/api/v1/auth/login", {"username": applicant.phone, "password": NEW_PASSWORD}).status_code == 200


def test_wrong_current_passwords_count_toward_the_lockout(api, applicant):
    token = api.login(applicant.phone)
    body = {"old_password": "Guess2026x", "new_password": NEW_PASSWORD}
    for _ in range(4):
        problem(api.post("/api/v1/me/password", body, token=token), 400, "wrong_password")
    problem(api.post("/api/v1/me/password", body, token=token), 429, "locked_out")
    problem(api.post("/api/v1/auth/login", {"username": applicant.phone, "password": PASSWORD}), 429, "locked_out")


def test_reset_answer_does_not_depend_on_the_stored_account(api, sms_file, applicant):
    """A password containing the typed ID number is weak for a known phone and an unknown one alike."""
    body = {"id_number": "11010519491231002X", "sms_code": "123456", "new_password": "a11010519491231002Xb"}
    known = api.post("/api/v1/auth/password-reset", {**body, "phone": applicant.phone})
    unknown = api.post("/api/v1/auth/password-reset", {**body, "phone": "13600000000"})
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert problem(known, 400, "weak_password")["errors"][0]["field"] == "new_password"


def test_staff_cannot_reset_by_sms(api, sms_file, chaoyang_reviewer):
    response, _ = reset(api, sms_file, id_number="", phone=chaoyang_reviewer.phone)
    problem(response, 400, "sms_code_invalid")
    assert (
        api.post("/api/v1/auth/login", {"username": chaoyang_reviewer.phone, "password": PASSWORD}).status_code == 200
    )


def test_reviewer_cannot_recover_a_staff_account(api, chaoyang_reviewer, municipal_admin):
    from registry.records.services import record_apply

    data = {"basic": {"name": "管理员", "id_number": "440524188001010014"}}
    record_apply(user=municipal_admin, district_code="110105", data=data, source="import")
    token = api.login(chaoyang_reviewer.phone)
    body = {"id_number": "440524188001010014", "new_phone": "13677778888", "identity_check": "本人到场核验"}
    problem(api.post("/api/v1/staff/phone-recovery", body, token=token), 404, "not_found")


def test_phone_recovery_ends_the_persons_sessions(api, client, collected_person, chaoyang_reviewer):
    client.force_login(collected_person)
    assert client.get("/account/").status_code == 200
    token = api.login(chaoyang_reviewer.phone)
    body = {"id_number": "11010519491231002X", "new_phone": "13677778888", "identity_check": "本人到场核验身份证"}
    requested = api.post("/api/v1/staff/phone-recovery", body, token=token)
    assert requested.status_code == 202
    assert client.get("/account/").status_code == 200  # nothing changes before the second approval
    colleague = UserFactory(reviewer=True, district_codes=["110105"])
    api.post(f"/api/v1/phone-recoveries/{requested.json()['id']}/approve", token=api.login(colleague.phone))
    assert client.get("/account/").status_code == 302


def test_a_burst_of_guesses_gets_at_most_the_limit_checked(collected_person, settings):
    """Attempts are recorded before the password is checked, so each guess sees the earlier ones."""
    from registry.accounts import auth
    from registry.accounts.models import LoginAttempt
    from registry.core.errors import ServiceError

    checked = []
    key = f"user:{collected_person.pk}"
    for _ in range(8):
        try:
            auth._attempt(key=key, ip="10.9.9.9", check=lambda: checked.append(1) and False)
        except ServiceError as exc:
            assert exc.code == "locked_out"
    assert len(checked) == settings.LOGIN_FAILURE_LIMIT
    assert LoginAttempt.objects.filter(account_key=key).count() == settings.LOGIN_FAILURE_LIMIT


def test_sms_requests_per_address_count_refused_ones(api, sms_file, settings):
    settings.SMS_IP_HOURLY_LIMIT = 3
    for i in range(3):
        UserFactory(phone=f"1391111000{i}")
        assert api.post("/api/v1/auth/sms-codes", {"phone": f"1391111000{i}", "purpose": "register"}).status_code == 202
    problem(api.post("/api/v1/auth/sms-codes", {"phone": "13911110009", "purpose": "register"}), 429, "rate_limited")


def test_bearer_clients_get_401_not_a_csrf_403(collected_person):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    for path in ["/api/v1/auth/logout", "/api/v1/me/password", "/api/v1/staff/phone-recovery"]:
        response = strict.post(path, "{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer rt_expired")
        assert response.status_code == 401, (path, response.content)
        response = strict.post(path, "{}", content_type="application/json")
        assert response.status_code == 401, (path, response.content)


def test_browser_session_posts_need_the_csrf_token(applicant):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(applicant)
    response = strict.post("/api/v1/me/password", "{}", content_type="application/json")
    assert response.status_code == 403


def test_nul_characters_are_refused_with_400(api):
    problem(api.post("/api/v1/auth/login", {"username": "138\x00", "password": "x"}), 400, "invalid_input")


def test_full_width_digits_are_the_same_phone(api, sms_file, applicant):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in applicant.phone)
    assert api.post("/api/v1/auth/sms-codes", {"phone": full_width, "purpose": "register"}).status_code == 202
    assert sms_file.lines()[-1]["phone"] == applicant.phone and "该手机号码已注册" in sms_file.lines()[-1]["text"]
