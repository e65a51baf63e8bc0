import re

import pytest

from registry.accounts.models import User
from registry.audit.models import AuditEntry
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def post(client, capture, path, data, **extra):
    with capture(execute=True):
        return client.post(path, data, **extra)


def test_register_page_sends_a_code_by_htmx_and_registers(client, sms_file, django_capture_on_commit_callbacks):
    page = client.get("/register/").content.decode()
    assert 'hx-post="/sms-code/"' in page and "获取验证码" in page
    fragment = post(
        client, django_capture_on_commit_callbacks, "/sms-code/", {"phone": "13912340000", "purpose": "register"}
    )
    assert "验证码已发送至 139****0000" in fragment.content.decode()
    code = sms_file.last_code("13912340000", "register")
    data = {"phone": "13912340000", "sms_code": code, "password": "Zhuce2026a", "password2": "Zhuce2026a"}
    response = post(client, django_capture_on_commit_callbacks, "/register/", data)
    assert response.status_code == 302
    assert client.get("/").context["user"].phone == "13912340000"


def test_register_page_shows_every_problem_in_chinese(client, sms_file, django_capture_on_commit_callbacks):
    data = {"phone": "13912340000", "sms_code": "000000", "password": "Zhuce2026a", "password2": "Zhuce2026b"}
    html = post(client, django_capture_on_commit_callbacks, "/register/", data).content.decode()
    assert "两次输入的密码不一致" in html
    data["password2"] = data["password"]
    html = post(client, django_capture_on_commit_callbacks, "/register/", data).content.decode()
    assert "验证码不正确" in html
    assert not User.objects.filter(phone="13912340000").exists()


def test_sms_code_fragment_explains_the_rate_limit(client, sms_file, django_capture_on_commit_callbacks):
    post(client, django_capture_on_commit_callbacks, "/sms-code/", {"phone": "13912340000", "purpose": "register"})
    again = post(
        client, django_capture_on_commit_callbacks, "/sms-code/", {"phone": "13912340000", "purpose": "register"}
    )
    assert "秒后再获取" in again.content.decode() and int(again["Retry-After"]) <= 60


def test_login_page_locks_after_five_failures_and_says_when(client, applicant):
    for _ in range(4):
        html = client.post("/login/", {"username": applicant.phone, "password": "Wrong2026x"}).content.decode()
        assert "账号或密码不正确" in html
    response = client.post("/login/", {"username": applicant.phone, "password": "Wrong2026x"})
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode() and "后重试" in response.content.decode()


def test_login_rotates_the_session_key(client, applicant):
    client.get("/login/")
    client.cookies["sessionid"] = "attacker-chosen"
    client.post("/login/", {"username": applicant.phone, "password": PASSWORD})
    assert client.cookies["sessionid"].value != "attacker-chosen"
    assert client.session.get_expiry_age() == 30 * 60


def test_login_does_not_redirect_off_site(client, applicant):
    response = client.post(
        "/login/", {"username": applicant.phone, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_logout_is_audited(client, applicant):
    client.force_login(applicant)
    client.post("/logout/")
    assert AuditEntry.objects.filter(action="auth.logout", actor=applicant).exists()
    assert client.get("/account/").status_code == 302


def test_admin_creates_a_reviewer_who_must_change_the_initial_password(client, municipal_admin):
    client.force_login(municipal_admin)
    data = {"phone": "13955550000", "name": "赵审核", "role": "reviewer", "districts": ["110105", "11YS00"]}
    html = client.post("/staff/users/", data).content.decode()
    assert "初始密码" in html
    reviewer = User.objects.get(phone="13955550000")
    assert reviewer.must_change_password and sorted(reviewer.districts.values_list("code", flat=True)) == [
        "110105",
        "11YS00",
    ]
    initial = html.split('data-testid="initial-password">')[1].split("<")[0]
    staff_client = client.__class__()
    staff_client.post("/login/", {"username": "13955550000", "password": initial})
    response = staff_client.get("/staff/phone-recovery/")
    assert response.status_code == 302 and response["Location"] == "/account/password/"
    data = {"old_password": initial, "password": "Wode2026pass", "password2": "Wode2026pass"}
    assert staff_client.post("/account/password/", data).status_code == 302
    assert staff_client.get("/staff/phone-recovery/").status_code == 200
    assert AuditEntry.objects.filter(action="staff.create", actor=municipal_admin).exists()


def test_reviewer_without_district_is_refused_and_nothing_is_created(client, municipal_admin):
    client.force_login(municipal_admin)
    html = client.post("/staff/users/", {"phone": "13955550001", "name": "钱", "role": "reviewer"}).content.decode()
    assert "至少需要负责一个区" in html
    assert not User.objects.filter(phone="13955550001").exists()


@pytest.mark.parametrize("path", ["/staff/users/", "/staff/phone-recovery/"])
def test_back_office_is_closed_to_applicants(client, applicant, path):
    client.force_login(applicant)
    assert client.get(path).status_code == 403


def test_reviewer_cannot_open_staff_management(client, chaoyang_reviewer):
    client.force_login(chaoyang_reviewer)
    assert client.get("/staff/users/").status_code == 403


def test_phone_recovery_page_for_own_and_other_district(client, chaoyang_reviewer, haidian_reviewer):
    from registry.records.services import record_apply

    person = UserFactory(phone="13700000002")
    record_apply(
        user=person,
        district_code="110105",
        data={"basic": {"name": "孙会计", "id_number": "11010519491231002X"}},
        source="first_collection",
    )
    data = {"id_number": "11010519491231002X", "identity_check": "现场核验身份证原件", "new_phone": "13700000003"}
    client.force_login(haidian_reviewer)
    assert "本区没有该证件号码的人员" in client.post("/staff/phone-recovery/", data).content.decode()
    client.force_login(chaoyang_reviewer)
    response = client.post("/staff/phone-recovery/", data, follow=True)
    assert "13700000003" in response.content.decode() and "须由另一名工作人员批准" in response.content.decode()
    person.refresh_from_db()
    assert person.phone == "13700000002"
    client.force_login(UserFactory(reviewer=True, district_codes=["110105"]))
    page = client.get("/staff/phone-recovery/").content.decode()
    approve = re.search(r'action="(/staff/phone-recovery/[0-9a-f-]+/approve/)"', page).group(1)
    assert "已批准" in client.post(approve, follow=True).content.decode()
    person.refresh_from_db()
    assert person.phone == "13700000003"


def test_profile_shows_the_account_and_changes_the_phone(
    client, applicant, sms_file, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    assert applicant.phone in client.get("/account/").content.decode()
    post(
        client,
        django_capture_on_commit_callbacks,
        "/sms-code/",
        {"phone-new_phone": "13966660000", "purpose": "change_phone"},
    )
    code = sms_file.last_code("13966660000", "change_phone")
    response = post(
        client,
        django_capture_on_commit_callbacks,
        "/account/",
        {"phone-password": PASSWORD, "phone-new_phone": "13966660000", "phone-sms_code": code},
    )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.phone == "13966660000"


def test_admin_changes_a_reviewers_districts_and_disables_the_account(client, municipal_admin, chaoyang_reviewer):
    client.force_login(municipal_admin)
    url = f"/staff/users/{chaoyang_reviewer.pk}/districts/"
    client.post(url, {"districts": ["110105", "110108"], "active": "1"})
    assert sorted(chaoyang_reviewer.districts.values_list("code", flat=True)) == ["110105", "110108"]
    html = client.post(url, {"districts": [], "active": "1"}, follow=True).content.decode()
    assert "至少需要负责一个区" in html
    client.post(url, {"districts": ["110108"]})
    chaoyang_reviewer.refresh_from_db()
    assert not chaoyang_reviewer.is_active
    entry = AuditEntry.objects.filter(action="staff.districts").order_by("seq").last()
    assert entry.details["after"] == ["110108"] and entry.details["active"] is False
    client.force_login(chaoyang_reviewer)
    assert client.post(url, {"districts": ["110105"], "active": "1"}).status_code in (302, 403)


def test_a_disabled_reviewer_shows_as_disabled_even_before_the_first_login(client, municipal_admin):
    # It showed 待修改初始密码 for a disabled account that never changed its initial password.
    client.force_login(municipal_admin)
    for phone, name in (("13955550010", "甲审核"), ("13955550011", "乙审核")):
        client.post("/staff/users/", {"phone": phone, "name": name, "role": "reviewer", "districts": ["110105"]})
    disabled = User.objects.get(phone="13955550010")
    client.post(f"/staff/users/{disabled.pk}/districts/", {"districts": ["110105"]})  # 启用账号 unticked
    disabled.refresh_from_db()
    assert not disabled.is_active
    html = client.get("/staff/users/").content.decode()

    def status(user_phone):
        row = html.split(f'<td data-label="手机">{user_phone}</td>')[1].split("</tr>")[0]
        return row.split('data-label="状态">')[1].split("<")[0]

    assert status("13955550010") == "停用" and status("13955550011") == "待修改初始密码"


def test_my_account_offers_the_download_of_my_own_data(client, applicant, other_person, chaoyang_reviewer):
    """PRODUCT.md: the applicant can download all their own data. It was on 我的信息 only; 我的账号,
    where a person looks for it, had no word of it (review of 28 Nov 2026). Staff have no such page."""
    client.force_login(applicant)
    html = client.get("/account/").content.decode()
    assert 'data-testid="data-export"' in html and 'href="/api/v1/me/export"' in html
    data = client.get("/api/v1/me/export").json()
    assert data["account"]["phone"] == applicant.phone and other_person.phone not in str(data)
    client.force_login(chaoyang_reviewer)
    assert 'data-testid="data-export"' not in client.get("/account/").content.decode()


def test_the_register_page_sends_a_logged_in_person_home(
    client, applicant, sms_file, django_capture_on_commit_callbacks
):
    """Review of 28 Nov 2026: logged in, /register/ still registered a second account and switched
    this browser to it (the login page already sent a logged-in person home)."""
    post(client, django_capture_on_commit_callbacks, "/sms-code/", {"phone": "13912340001", "purpose": "register"})
    code = sms_file.last_code("13912340001", "register")
    client.force_login(applicant)
    assert client.get("/register/")["Location"] == "/"
    data = {"phone": "13912340001", "sms_code": code, "password": "Zhuce2026a", "password2": "Zhuce2026a"}
    response = post(client, django_capture_on_commit_callbacks, "/register/", data)
    assert response.status_code == 302 and response["Location"] == "/"
    assert not User.objects.filter(phone="13912340001").exists()
    home = client.get("/")
    assert home.context["user"] == applicant and "一人只能注册一个账号" in home.content.decode()
