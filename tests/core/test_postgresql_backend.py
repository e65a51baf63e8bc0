"""The kept connection's health check without a round trip (registry/core/postgresql): a connection
the server ended is replaced before the request uses it, and a live one is checked without sending
anything. Through Django's real WSGI handler, whose request signals run the check (the test client
turns them off)."""

import io
import time

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def get(path: str) -> int:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }
    statuses = []
    response = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
    b"".join(response)
    response.close()  # request_finished: where Django closes or keeps the connection
    return int(statuses[0].split()[0])


def other_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    )


def last_statement(pid: int) -> str:
    with other_connection() as other:
        return other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(postgres):
    assert connection.health_check_enabled and connection.settings_dict["CONN_MAX_AGE"] > 0
    assert get("/healthz") == 200
    pid = connection.connection.info.backend_pid
    with other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:  # the server's FATAL is on its way
        time.sleep(0.01)
    assert not connection.is_usable()
    assert get("/healthz") == 200  # not a 500/503 from the dead connection
    assert connection.connection.info.backend_pid != pid


def test_a_live_connection_is_checked_without_a_statement(postgres):
    assert get("/healthz") == 200
    pid = connection.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement before the check'")
    assert connection.is_usable()
    assert last_statement(pid) == "SELECT 'the last statement before the check'"
    assert get("/healthz") == 200
    assert connection.connection.info.backend_pid == pid  # kept, not reopened
