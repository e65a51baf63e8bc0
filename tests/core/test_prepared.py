"""Hot reads prepared once per PostgreSQL connection (registry/core/prepared.py): the caller's
identity, the session row, an applicant's application, the verification look-up — answering the
same as unprepared, surviving a rollback on the connection, and never behind pgbouncer."""

import pytest
from django.db import connection, transaction
from django.test import Client

from registry.accounts import auth
from registry.core import prepared
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def prepared_statements(containing: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'registry_%%'")
        return [row[0] for row in cursor.fetchall() if containing in row[0]]


def run(sql: str, params: list) -> list:
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchall()


def test_a_prepared_read_answers_as_the_plain_one_for_every_value(postgres):
    sql = "SELECT %s || '·' || %s AS marked_answer, %s::int + 1"
    for n in range(4):
        assert run(sql, [f"第{n}次", "核验 ' 引号", n]) == [(f"第{n}次·核验 ' 引号", n + 1)]
    assert len(prepared_statements("marked_answer")) == 1  # one PREPARE, then EXECUTEs


def test_the_callers_identity_and_session_are_prepared_and_survive_a_rollback(postgres):
    reviewer, other = UserFactory(reviewer=True, district_codes=["110105"]), UserFactory(reviewer=True)
    token = auth.token_issue(user=reviewer)[0]
    web = Client()
    web.force_login(other)
    assert auth.token_authenticate(token).user == reviewer
    assert web.get("/staff/queue/").status_code == 200
    assert prepared_statements("key_hash") and prepared_statements("session_data")
    # A failed transaction on the connection rolls back: the statements prepared before must still
    # be there (psycopg's own preparing would have answered the ROLLBACK with DEALLOCATE ALL).
    with pytest.raises(RuntimeError), transaction.atomic():
        auth.token_authenticate(token)
        raise RuntimeError
    assert auth.token_authenticate(token).user == reviewer
    assert web.get("/staff/queue/").status_code == 200
    assert auth.token_authenticate(token + "x") is None  # a prepared statement still checks the value


def test_nothing_is_prepared_behind_pgbouncer_or_when_turned_off(postgres, settings):
    for setting in ["DATABASE_PGBOUNCER", "DATABASE_PREPARED_STATEMENTS"]:
        settings.DATABASE_PGBOUNCER, settings.DATABASE_PREPARED_STATEMENTS = False, True
        setattr(settings, setting, not getattr(settings, setting))
        assert run("SELECT %s AS never_prepared", ["x"]) == [("x",)]
        assert prepared_statements("never_prepared") == []
