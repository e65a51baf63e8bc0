"""SMS backends, chosen by SMS_BACKEND: console (log), file (JSON lines), http (a JSON gateway)."""

import fcntl
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("registry.sms")


class GatewayError(Exception):
    """Delivery failed in a way worth retrying (timeout, 5xx, connection refused)."""


class GatewayRejected(Exception):
    """The gateway refused the message (4xx): retrying will not help."""


@dataclass(frozen=True)
class Outgoing:
    phone: str
    purpose: str
    text: str
    code: str
    message_id: int | None = None  # the outbox row: the gateway's key to drop a resent duplicate


class ConsoleBackend:
    remote = False

    def send(self, message: Outgoing) -> None:
        logger.info("SMS to %s (%s): %s", message.phone, message.purpose, message.text)


class FileBackend:
    """Appends one JSON line per message (API.md): tests and acceptance checks read codes from it."""

    remote = False

    def __init__(self, path: str | None = None):
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, message: Outgoing) -> None:
        line = {
            "phone": message.phone,
            "purpose": message.purpose,
            "code": message.code,
            "text": message.text,
            "sent_at": timezone.now().isoformat(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # several workers may append at once
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")


class HttpBackend:
    """POSTs {"phone", "text", "purpose", "message_id"} as JSON to SMS_HTTP_URL with a bearer token.
    A message is re-sent after a worker died mid-call; the gateway drops repeats of a message_id."""

    remote = True

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url or settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.timeout = timeout or settings.SMS_HTTP_TIMEOUT
        if not self.url:
            raise GatewayRejected("SMS_BACKEND=http needs SMS_HTTP_URL")

    def send(self, message: Outgoing) -> None:
        body = {
            "phone": message.phone,
            "text": message.text,
            "purpose": message.purpose,
            "message_id": message.message_id,
        }
        body = json.dumps(body).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json; charset=utf-8")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500 and exc.code != 429:
                raise GatewayRejected(f"gateway answered {exc.code}") from None
            raise GatewayError(f"gateway answered {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise GatewayError(f"gateway unreachable: {exc}") from None


BACKENDS = {"console": ConsoleBackend, "file": FileBackend, "http": HttpBackend}


def get_backend():
    name = settings.SMS_BACKEND
    if name not in BACKENDS:
        raise GatewayRejected(f"unknown SMS_BACKEND {name!r}; use one of {', '.join(BACKENDS)}")
    return BACKENDS[name]()
