"""The audit row of an API call outside any transaction (as under gunicorn) on PostgreSQL: two
round trips — `BEGIN` with the chain head's lock, then the entry's statement with `COMMIT`
(audit.services._append_committed) — committed before the answer, the row exactly as ever, the
chain intact after many calls, also in parallel, and a failure in between leaves no transaction
open on the connection."""

import json
import threading
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.accounts import api_keys
from registry.accounts.models import ApiClient
from registry.accounts.services import api_client_create
from registry.audit import services as audit_services
from registry.audit.models import AuditChainHead, AuditEntry
from registry.audit.verification import verify_chain
from registry.core.masking import mask_id_number
from tests.conftest import require_service
from tests.verification.test_api_key_state import REDIS, redis_up

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_keys(settings):
    """The key checked as in production: cached in the process, counted in Redis (no query)."""
    require_service("Redis", redis_up(), "start redis-server on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    api_keys._local.clear()
    yield
    api_keys._local.clear()


def post(client, key, body, path="/api/v1/verify"):
    return client.post(path, json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key)


def test_a_call_is_three_queries_and_its_row_is_committed_exactly(
    client, postgres, code_tables, make_person, redis_keys
):
    issued = api_client_create(name="考试报名系统", scope="verify")
    person = make_person("110105", name="王小明")
    post(client, issued.key, {"id_number": person.id_number, "name": "王小明"})  # the key cached
    with CaptureQueriesContext(connection) as ctx:
        response = post(client, issued.key, {"id_number": person.id_number, "name": "王小明", "years": [2025]})
    assert response.status_code == 200 and response.json()["found"] is True
    statements = [q["sql"] for q in ctx.captured_queries]
    # the look-up, BEGIN with the head's lock, the entry + head + call counter with COMMIT
    assert len(statements) == 3, statements
    assert statements[1].startswith("BEGIN; SELECT") and statements[1].endswith("FOR UPDATE")
    assert statements[2].startswith("WITH entry AS (INSERT") and statements[2].endswith("; COMMIT")
    assert connection.connection.info.transaction_status == 0  # idle: nothing left open

    row = AuditEntry.objects.order_by("-seq").first()
    assert (row.action, row.target_type, row.target_id, row.district, row.ip) == (
        "verify.query", "records.record", str(person.pk), "110105", "127.0.0.1",
    )  # fmt: skip
    assert row.details == {
        "client": "考试报名系统",
        "client_id": issued.client.pk,
        "scope": "verify",
        "required_scope": "verify",
        "path": "/api/v1/verify",
        "outcome": "ok",
        "id_number": mask_id_number(person.id_number),
        "found": True,
        "years": [2025],
    }
    assert AuditChainHead.objects.get(pk=1).last_hash == row.hash
    issued.client.refresh_from_db()
    assert issued.client.call_count == 2 and issued.client.last_used_at is not None

    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/verify/whoami", HTTP_X_API_KEY=issued.key).status_code == 200
    # whoami: its audit row, and the counters it reports read back (the key's cached copy is stale)
    assert len(ctx.captured_queries) == 3
    assert verify_chain().ok


def test_many_calls_in_parallel_keep_one_chain(postgres, code_tables, make_person, settings, redis_keys):
    settings.API_KEY_RATE_LIMIT = 10**6
    issued = api_client_create(name="考试报名系统", scope="verify")
    people = [make_person("110105", name=name) for name in ("王小明", "李四")]
    before = AuditEntry.objects.count()

    def calls(n):
        from django.test import Client

        client = Client()
        try:
            for i in range(15):
                person = people[(n + i) % 2]
                name = person.name if i % 4 else "别人"
                assert post(client, issued.key, {"id_number": person.id_number, "name": name}).status_code == 200
        finally:
            connection.close()

    threads = [threading.Thread(target=calls, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert AuditEntry.objects.count() == before + 60
    assert AuditEntry.objects.filter(action="verify.query", details__found=False).count() == 16
    assert ApiClient.objects.get(pk=issued.client.pk).call_count == 60
    head = AuditChainHead.objects.get(pk=1)
    assert head.seq == AuditEntry.objects.order_by("-seq").first().seq
    report = verify_chain()
    assert report.ok and report.checked == AuditEntry.objects.count()


def test_a_failure_between_the_two_round_trips_rolls_back(client, postgres, code_tables, make_person, monkeypatch):
    issued = api_client_create(name="考试报名系统", scope="verify")
    person = make_person("110105", name="王小明")
    body = {"id_number": person.id_number, "name": "王小明"}
    assert post(client, issued.key, body).status_code == 200
    head = AuditChainHead.objects.get(pk=1)

    def broken(*args, **kwargs):
        raise RuntimeError("the keyring could not be read")

    monkeypatch.setattr(audit_services, "_new_entry", broken)
    with pytest.raises(RuntimeError):
        audit_services.audit_record(action="test.fail", own_transaction=True)
    assert connection.connection.info.transaction_status == 0  # rolled back, not left open
    monkeypatch.undo()
    assert AuditChainHead.objects.get(pk=1).seq == head.seq  # nothing written
    assert post(client, issued.key, body).status_code == 200  # the head is not left locked
    assert AuditChainHead.objects.get(pk=1).seq == head.seq + 1 and verify_chain().ok
