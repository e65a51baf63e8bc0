"""Helpers shared by the tests: problem+json assertions, the `file` SMS backend, browser steps."""

import json
from pathlib import Path


def problem(response, status: int, code: str) -> dict:
    """The response is an RFC 9457 problem with this status and stable code; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code
    return body


class Api:
    """JSON calls through Django's test client; on_commit callbacks (SMS delivery) run after each call."""

    def __init__(self, client, capture):
        self.client = client
        self.capture = capture
        self.token = None

    def _headers(self, token):
        token = token or self.token
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def post(self, path, body=None, *, token=None, ip="127.0.0.1"):
        with self.capture(execute=True):
            return self.client.post(
                path,
                json.dumps(body or {}),
                content_type="application/json",
                REMOTE_ADDR=ip,
                **self._headers(token),
            )

    def get(self, path, params=None, *, token=None):
        return self.client.get(path, params or {}, **self._headers(token))

    def login(self, username, password=None):
        from tests.factories import PASSWORD

        response = self.post("/api/v1/auth/login", {"username": username, "password": password or PASSWORD})
        assert response.status_code == 200, response.content
        self.token = response.json()["token"]
        return self.token


class SmsFile:
    """Reads the `file` SMS backend's JSON lines, as acceptance checks do."""

    def __init__(self, path: Path):
        self.path = path

    def lines(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]

    def last_code(self, phone: str, purpose: str) -> str:
        codes = [m["code"] for m in self.lines() if m["phone"] == phone and m["purpose"] == purpose]
        assert codes, f"no SMS to {phone} for {purpose}"
        return codes[-1]


def shot(page, name: str) -> None:
    """A full-page screenshot into the folder the browser test was given (page.screenshots)."""
    page.screenshot(path=str(page.screenshots / f"{name}.png"), full_page=True)


def register_in_browser(page, url: str, sms: SmsFile, phone: str, password: str, *, screenshot: str = "") -> None:
    """Register on the web page with the code read from the `file` SMS backend."""
    page.goto(f"{url}/register/")
    page.fill("#id_phone", phone)
    page.click("text=获取验证码")
    page.wait_for_selector(f"text=验证码已发送至 {phone[:3]}****{phone[-4:]}")
    page.fill("#id_sms_code", sms.last_code(phone, "register"))
    page.fill("#id_password", password)
    page.fill("#id_password2", password)
    if screenshot:
        shot(page, screenshot)
    page.click("button:has-text('注册')")
    page.wait_for_selector("text=注册成功")
