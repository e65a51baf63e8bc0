import json
from pathlib import Path

import pytest

from registry.records.services import record_apply
from tests.factories import PASSWORD, UserFactory


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


@pytest.fixture
def sms_file(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    return SmsFile(tmp_path / "sms.jsonl")


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

    def login(self, username, password=PASSWORD):
        response = self.post("/api/v1/auth/login", {"username": username, "password": password})
        assert response.status_code == 200, response.content
        self.token = response.json()["token"]
        return self.token


@pytest.fixture
def api(client, django_capture_on_commit_callbacks):
    return Api(client, django_capture_on_commit_callbacks)


@pytest.fixture
def collected_person():
    """An applicant with an approved record managed by 朝阳区 (110105)."""
    user = UserFactory(phone="13700000001")
    record_apply(
        user=user,
        district_code="110105",
        data={"basic": {"name": "王会计", "id_number": "11010519491231002X"}},
        source="first_collection",
    )
    user.refresh_from_db()
    return user
