"""Hot statements kept prepared on PostgreSQL (registry/core/prepared.py): the caller's identity
and the session row are planned once per connection after DATABASE_PREPARE_THRESHOLD runs — and
never where preparing is off (pgbouncer in transaction mode)."""

import pytest
from django.db import connection
from django.test import Client

from registry.accounts import auth
from registry.core import prepared
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def prepared_statements(containing: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall() if containing in row[0]]


def test_a_statement_run_often_is_prepared_and_answers_the_same(postgres, settings):
    assert connection.connection.prepare_threshold == settings.DATABASE_PREPARE_THRESHOLD == 5
    answers = []
    for n in range(8):
        with prepared.cursor("default") as cursor:
            cursor.execute("SELECT %s || '·' || %s AS marked_answer", [f"第{n}次", "核验"])
            answers.append(cursor.fetchone()[0])
    assert answers == [f"第{n}次·核验" for n in range(8)]
    assert len(prepared_statements("marked_answer")) == 1


def test_the_callers_identity_and_session_are_prepared_statements(postgres):
    reviewer, other = (
        UserFactory(reviewer=True, district_codes=["110105"]),
        UserFactory(reviewer=True, district_codes=["110108"]),
    )
    token = auth.token_issue(user=reviewer)[0]
    for _ in range(6):
        assert auth.token_authenticate(token).user == reviewer
    web = Client()
    web.force_login(other)
    for _ in range(6):
        assert web.get("/staff/queue/").status_code == 200
    assert prepared_statements("key_hash") and prepared_statements("session_data")
    assert auth.token_authenticate(token + "x") is None  # a prepared statement still checks the value


def test_nothing_is_prepared_where_preparing_is_off(postgres):
    connection.connection.prepare_threshold = None  # as under DATABASE_PGBOUNCER
    try:
        for _ in range(8):
            with prepared.cursor("default") as cursor:
                cursor.execute("SELECT %s AS never_prepared", ["x"])
        assert prepared_statements("never_prepared") == []
    finally:
        connection.connection.prepare_threshold = 5
