"""Register with a code from the `file` SMS backend, log out, log in, get locked out, reset, log in."""

import pytest

from tests.helpers import register_in_browser, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "13912348888"


def test_register_login_lockout_reset(page, live_server, settings, sms_file):
    settings.SMS_PHONE_INTERVAL_SECONDS = 0  # the journey asks for two codes within a minute
    url = live_server.url

    register_in_browser(page, url, sms_file, PHONE, "Zhuce2026a", screenshot="01-register")
    shot(page, "02-registered")

    # Log out, log in with the phone
    page.click("button:has-text('退出')")
    page.wait_for_selector("text=您已安全退出")
    page.goto(f"{url}/login/")
    page.fill("#id_username", PHONE)
    page.fill("#id_password", "Zhuce2026a")
    page.click("button:has-text('登录')")
    page.wait_for_selector(f"text={PHONE}")
    shot(page, "03-logged-in")
    page.click("button:has-text('退出')")

    # Five wrong passwords lock the account, and the page says when to retry
    page.goto(f"{url}/login/")
    for attempt in range(5):
        page.fill("#id_username", PHONE)
        page.fill("#id_password", f"Cuowu2026{attempt}")
        page.click("button:has-text('登录')")
        page.wait_for_selector(".notice.error")
    assert "账号已暂时锁定" in page.inner_text(".notice.error")
    assert "后重试" in page.inner_text(".notice.error")
    shot(page, "04-locked")

    # Reset the password by SMS
    page.click("text=忘记密码")
    page.fill("#id_phone", PHONE)
    page.click("text=获取验证码")
    page.wait_for_selector("text=验证码已发送至 139****8888")
    page.fill("#id_sms_code", sms_file.last_code(PHONE, "reset_password"))
    page.fill("#id_password", "Xinmima2026")
    page.fill("#id_password2", "Xinmima2026")
    shot(page, "05-reset")
    page.click("button:has-text('重置密码')")
    page.wait_for_selector("text=密码已重置")

    # The new password works at once (the reset ended the lock); the old one does not
    page.fill("#id_username", PHONE)
    page.fill("#id_password", "Zhuce2026a")
    page.click("button:has-text('登录')")
    page.wait_for_selector(".notice.error")
    page.fill("#id_username", PHONE)
    page.fill("#id_password", "Xinmima2026")
    page.click("button:has-text('登录')")
    page.wait_for_selector(f"text={PHONE}")
    shot(page, "06-new-password")
