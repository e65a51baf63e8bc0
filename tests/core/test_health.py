import logging

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz_never_echoes_the_database_error_but_logs_it(client, monkeypatch, caplog):
    secret = 'could not connect to server: password authentication failed for user "registry" at 10.2.3.4'

    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError(secret)

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    for path in ("/healthz", "/healthz?deep=1"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.json()["database"] == "unavailable"
        assert response.json()["message"] == "服务暂不可用 / Service unavailable"
        assert "10.2.3.4" not in response.content.decode() and "password" not in response.content.decode()
    logged = [r for r in caplog.records if r.name == "registry.health" and r.levelno == logging.ERROR]
    assert logged and secret in str(logged[0].exc_info[1])


def test_deep_healthz_without_a_broker_reports_in_process_jobs(client):
    body = client.get("/healthz?deep=1").json()
    assert body["status"] == "ok" and body["broker"] == "in-process" and body["worker"] == "in-process"
