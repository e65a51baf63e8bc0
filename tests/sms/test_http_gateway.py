"""The `http` SMS backend against a real (fake) gateway server on 127.0.0.1, not a mock object."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from registry.sms.backends import GatewayError
from registry.sms.models import SmsMessage, SmsStatus
from registry.sms.services import MAX_ATTEMPTS, REDACTED, deliver_once, deliver_with_retries
from tests.workers import wait_for


class FakeGateway:
    def __init__(self):
        self.statuses: list[int] = []  # answered in order; 200 once exhausted
        self.received: list[dict] = []
        self.release = threading.Event()
        self.release.set()
        self.arrived = threading.Event()  # a request reached the gateway (and is held until release)
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.received.append({"body": body, "authorization": self.headers.get("Authorization")})
                gateway.arrived.set()
                gateway.release.wait(timeout=60)
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    fake = FakeGateway()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = fake.url
    settings.SMS_HTTP_TOKEN = "gateway-secret"
    settings.SMS_HTTP_TIMEOUT = 2
    yield fake
    fake.close()


def queued(**kwargs) -> SmsMessage:
    fields = {"phone": "13912345678", "purpose": "register", "text": "验证码123456", "code": "123456"}
    return SmsMessage.objects.create(**{**fields, **kwargs})


@pytest.mark.django_db
def test_delivers_json_with_bearer_token_and_clears_the_text(gateway):
    message = deliver_once(queued().pk)
    assert message.status == SmsStatus.SENT and message.attempts == 1
    assert gateway.received == [
        {
            "body": {"phone": "13912345678", "text": "验证码123456", "purpose": "register", "message_id": message.pk},
            "authorization": "Bearer gateway-secret",
        }
    ]
    assert message.text == REDACTED and message.code == ""


@pytest.mark.django_db
def test_server_errors_are_retried_with_backoff_until_sent(gateway):
    gateway.statuses = [500, 503]
    delays = []
    message = deliver_with_retries(queued().pk, sleep=delays.append)
    assert message.status == SmsStatus.SENT and message.attempts == 3
    assert delays == [0.5, 1.0]
    assert len(gateway.received) == 3


@pytest.mark.django_db
def test_client_errors_are_not_retried(gateway):
    gateway.statuses = [400]
    message = deliver_with_retries(queued().pk, sleep=lambda s: pytest.fail("must not retry"))
    assert message.status == SmsStatus.FAILED and message.attempts == 1
    assert "400" in message.last_error


@pytest.mark.django_db
def test_gives_up_after_max_attempts(gateway):
    gateway.statuses = [502] * 10
    message = deliver_with_retries(queued().pk, sleep=lambda s: None)
    assert message.status == SmsStatus.FAILED and message.attempts == MAX_ATTEMPTS


@pytest.mark.django_db
def test_timeout_counts_as_a_retryable_failure(gateway, settings):
    settings.SMS_HTTP_TIMEOUT = 0.3
    gateway.release.clear()
    message_id = queued().pk
    with pytest.raises(GatewayError):
        deliver_once(message_id)
    assert SmsMessage.objects.get(pk=message_id).status == SmsStatus.QUEUED


@pytest.mark.django_db
def test_unreachable_gateway(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/nothing-listens-here"
    message_id = queued().pk
    with pytest.raises(GatewayError, match="unreachable"):
        deliver_once(message_id)


@pytest.mark.django_db
def test_a_sent_message_is_not_sent_twice(gateway):
    message_id = queued().pk
    deliver_once(message_id)
    deliver_once(message_id)
    assert len(gateway.received) == 1


@pytest.mark.django_db(transaction=True)
def test_the_web_request_does_not_wait_for_the_gateway(gateway, client, settings):
    """The gateway holds every request until released; the API must answer before that. Each step
    waits for the event it needs (the request reaching the gateway, the row turning `sent`), never
    for a guessed time: on a busy machine the background send may start late, but not out of order."""
    settings.SMS_HTTP_TIMEOUT = 60  # the held request must not time out however slow the machine
    gateway.release.clear()
    response = client.post(
        "/api/v1/auth/sms-codes",
        json.dumps({"phone": "13912345678", "purpose": "register"}),
        content_type="application/json",
    )
    assert response.status_code == 202
    assert not gateway.release.is_set()  # answered while nothing had been let through
    assert gateway.arrived.wait(timeout=60), "the background send never reached the gateway"
    message = SmsMessage.objects.get(phone="13912345678")
    assert message.status == SmsStatus.SENDING  # claimed, and still with the gateway
    gateway.release.set()
    wait_for(
        lambda: SmsMessage.objects.get(pk=message.pk).status == SmsStatus.SENT, timeout=60, what="the message sent"
    )
    assert gateway.received[0]["body"]["purpose"] == "register"
