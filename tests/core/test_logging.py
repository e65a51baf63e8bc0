"""Production failures reach the log, each line carrying the request id the response carried."""

import io
import logging
import socket

import pytest
from django.test import Client

from registry.sms.models import SmsMessage, SmsStatus
from tests.workers import use_broker


@pytest.fixture
def console():
    """What the configured console handler (settings.LOGGING) writes, as text. The configuration is
    applied afresh: a Celery app started in-process by an earlier test of the same worker puts its
    own format on the root logger's handlers (seen with xdist: the line lost its request id)."""
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    pytest_handlers = ("LogCaptureHandler", "_LiveLoggingNullHandler", "_FileHandler")
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and type(h).__name__ not in pytest_handlers
    ]
    assert handlers, "settings.LOGGING gives the root logger no console handler: errors go nowhere"
    buffer = io.StringIO()
    saved = [handler.setStream(buffer) for handler in handlers]
    yield buffer
    for handler, stream in zip(handlers, saved, strict=True):
        handler.setStream(stream)


@pytest.mark.urls("tests.core.urls_failing")
@pytest.mark.django_db
def test_an_unhandled_exception_is_logged_at_error_with_the_request_id(console, caplog):
    client = Client(raise_request_exception=False)
    response = client.get("/test-explode")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32  # generated: the client sent none
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR and record.request_id == request_id
    assert record.exc_info and "boom" in str(record.exc_info[1])
    written = console.getvalue()
    assert f"ERROR django.request [{request_id}]" in written and "RuntimeError: boom" in written


@pytest.mark.urls("tests.core.urls_failing")
@pytest.mark.django_db
def test_the_request_id_is_taken_from_a_trusted_proxy_only(settings, caplog):
    settings.REGISTRY_TRUSTED_PROXIES = ["10.0.0.2"]
    client = Client(raise_request_exception=False)
    proxied = client.get("/test-explode", REMOTE_ADDR="10.0.0.2", HTTP_X_REQUEST_ID="proxy-7f3a9c01")
    assert proxied["X-Request-ID"] == "proxy-7f3a9c01"
    forged = client.get("/test-explode", REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID="proxy-7f3a9c01")
    assert forged["X-Request-ID"] != "proxy-7f3a9c01"
    injected = client.get("/test-explode", REMOTE_ADDR="10.0.0.2", HTTP_X_REQUEST_ID="x\nERROR forged line")
    assert "\n" not in injected["X-Request-ID"]
    ids = [r.request_id for r in caplog.records if r.name == "django.request"]
    assert ids == ["proxy-7f3a9c01", forged["X-Request-ID"], injected["X-Request-ID"]]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket is closed


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_refuses_leaves_the_request_successful_and_logs_the_failure(settings, console, caplog):
    settings.SMS_BACKEND = "file"
    with use_broker(settings, f"redis://127.0.0.1:{closed_port()}/0"):
        response = Client().post(
            "/api/v1/auth/sms-codes",
            {"phone": "13912345678", "purpose": "register"},
            content_type="application/json",
        )
    assert response.status_code == 202, response.content
    message = SmsMessage.objects.get()
    assert message.status == SmsStatus.QUEUED  # kept in the outbox for the scheduled requeue
    (record,) = [r for r in caplog.records if r.name == "registry.jobs"]
    assert record.levelno == logging.ERROR and record.exc_info
    assert record.request_id == response["X-Request-ID"]
    assert f"registry.sms.tasks.deliver_sms({message.pk},)" in record.getMessage()
    assert f"ERROR registry.jobs [{response['X-Request-ID']}]" in console.getvalue()
