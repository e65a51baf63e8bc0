"""Helpers shared by the tests: problem+json assertions, the `file` SMS backend, browser steps,
a second server process."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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


class MailDir:
    """Reads what Django's file email backend wrote (one .log file per connection, messages
    separated by a line of 79 dashes), parsed back into email messages."""

    def __init__(self, path: Path):
        self.path = path

    def messages(self) -> list:
        found = []
        for file in sorted(self.path.glob("*.log")) if self.path.exists() else []:
            for chunk in file.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    found.append(message_from_bytes(chunk, policy=policy.default))
        return found

    def to(self) -> list[str]:
        return sorted(str(message["To"]) for message in self.messages())


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


def login_in_browser(page, url: str, phone: str, password: str | None = None) -> None:
    """Log in on the web page with a phone and password (the factories' PASSWORD by default)."""
    from tests.factories import PASSWORD

    page.goto(f"{url}/login/")
    page.fill("#id_username", phone)
    page.fill("#id_password", password or PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("text=退出")


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(env: dict, *, what: str, output=subprocess.DEVNULL, attempts: int = 150):
    """`manage.py runserver` with `env` on a free port; yields its base URL once /healthz answers
    (polled `attempts` times, 0.2 s apart) and stops it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=output,
        stderr=output,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(attempts):
            try:
                if urllib.request.urlopen(base + "/healthz", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"{what} did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def statement_text(sql: str, connection=None) -> str:
    """The SQL a logged query ran: for `EXECUTE registry_…(…)` (a statement prepared on the
    connection — the default one unless given —, core.prepared) the prepared statement's text,
    else `sql` itself."""
    import re

    from django.db import connection as default

    connection = connection or default
    found = re.match(r"\s*EXECUTE (registry_[0-9a-f]+)", sql)
    if not found:
        return sql
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [found.group(1)])
        return cursor.fetchone()[0]
