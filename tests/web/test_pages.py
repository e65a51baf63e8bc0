import pytest
from django.contrib.staticfiles import finders
from django.db import connection

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": connection.vendor}


def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_home_page_is_chinese_with_bureau_header_and_contact_footer(client):
    html = client.get("/").content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "北京市财政局" in html and "会计人员信息管理系统" in html
    assert "首次采集" in html and "登录办理" in html
    assert "各区财政局咨询电话" in html
    assert 'name="viewport"' in html


def test_contacts_page_lists_the_18_units(client):
    html = client.get("/contacts/").content.decode()
    assert html.count("<tr><td>") == 18
    assert "燕山财政分局" in html and "北京经济技术开发区财政审计局" in html


def test_login_with_phone_and_navigation_by_role(client):
    user = UserFactory(reviewer=True, district_codes=["110105"], name="李审核")
    response = client.post("/login/", {"username": user.phone, "password": PASSWORD})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert "区财政局审核员：李审核" in html and "朝阳区（110105）" in html
    assert "各区联系方式" in html


def test_login_with_id_number(client):
    user = UserFactory(id_number="11010519491231002X")
    response = client.post("/login/", {"username": "11010519491231002X", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_login_with_an_id_number_typed_in_groups(client):
    """The field's maxlength of 18 cut "110105 19491231 002X" before the server could drop the spaces."""
    user = UserFactory(id_number="11010519491231002X")
    assert 'maxlength="30"' in client.get("/login/").content.decode()
    response = client.post("/login/", {"username": "110105 19491231 002x", "password": PASSWORD})
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == user.pk


def test_failed_login_says_so_in_chinese(client):
    UserFactory(phone="13900000077")
    response = client.post("/login/", {"username": "13900000077", "password": "wrong-pass1"})
    assert response.status_code == 200
    assert "账号或密码不正确" in response.content.decode()


def test_admin_sees_missing_calendar_warning_on_home(client, municipal_admin, settings):
    from registry.core.models import CalendarYear

    CalendarYear.objects.filter(year=2026).delete()
    client.force_login(municipal_admin)
    html = client.get("/").content.decode()
    assert "尚未录入法定节假日安排" in html


def test_admin_can_edit_code_tables_in_django_admin(client, municipal_admin):
    from registry.accounts.services import ensure_admin_group

    municipal_admin.groups.add(ensure_admin_group())
    client.force_login(municipal_admin)
    assert client.get("/admin/core/code/").status_code == 200
    assert client.get("/admin/core/region/110105/change/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 403


def test_front_end_libraries_are_installed_locally_not_from_a_cdn(client):
    assert finders.find("vendor/htmx/htmx.min.js"), "run `npm ci` (the README's commands do)"
    assert finders.find("vendor/echarts/echarts.min.js")
    html = client.get("/").content.decode() + client.get("/api/docs").content.decode()
    assert "/static/vendor/htmx/htmx.min.js" in html
    for cdn in ("unpkg.com", "jsdelivr", "cdnjs", "googleapis"):
        assert cdn not in html
