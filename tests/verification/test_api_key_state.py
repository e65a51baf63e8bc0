"""The cheap per-call key check (issue 14 throughput; accounts.api_keys): a revoked or rotated key
stops at once even in a process holding a cached copy, the per-key limit is exact at its boundary
with two keys side by side, and every call writes exactly one audit row. Each test runs against
the database fallback and against the real Redis (REDIS_URL's path)."""

import json
import threading
import time
import uuid

import pytest
import redis
from django.db import connection

from registry.accounts import api_keys
from registry.accounts.api_clients import api_client_revoke, api_client_rotate
from registry.accounts.models import ApiClient
from registry.accounts.services import api_client_authenticate, api_client_create
from registry.audit.models import AuditEntry
from registry.core.errors import RateLimited, ServiceError
from tests.conftest import require_service
from tests.helpers import problem

REDIS = "redis://127.0.0.1:6379/14"
WHOAMI = "/api/v1/verify/whoami"


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["database", "redis"])
def key_state(request, settings):
    """Where call counts and the key generation live: the database, or a real Redis (own prefix)."""
    api_keys._local.clear()
    if request.param == "redis":
        require_service("Redis", redis_up(), "start redis-server on 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS,
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
    yield request.param
    api_keys._local.clear()


def away_from_a_minute_boundary():
    """The Redis limit is a window per clock minute: keep a short test inside one window."""
    if time.time() % 60 > 55:
        time.sleep(60 - time.time() % 60 + 0.1)


def call(client, key, path=WHOAMI, body=None):
    if body is None:
        return client.get(path, HTTP_X_API_KEY=key, REMOTE_ADDR="203.0.113.7")
    return client.post(
        path, json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key, REMOTE_ADDR="203.0.113.7"
    )


@pytest.mark.django_db
def test_a_revoked_key_is_refused_at_once_even_where_it_was_cached(
    client, key_state, municipal_admin, django_capture_on_commit_callbacks
):
    kept = api_client_create(name="考试报名系统", scope="verify")
    other = api_client_create(name="职称评审系统", scope="verify")
    assert call(client, kept.key).status_code == 200
    assert call(client, other.key).status_code == 200
    # Another process still holds its copy of the key: keep this process's copies across the revoke.
    cached = dict(api_keys._local)
    with django_capture_on_commit_callbacks(execute=True):
        api_client_revoke(actor=municipal_admin, client_id=kept.client.pk)
    api_keys._local.update(cached)
    problem(call(client, kept.key), 401, "invalid_api_key")
    assert call(client, other.key).status_code == 200  # the other client is untouched

    api_keys._local.update(cached)
    with django_capture_on_commit_callbacks(execute=True):
        rotated = api_client_rotate(actor=municipal_admin, client_id=other.client.pk)
    api_keys._local.update(cached)
    problem(call(client, other.key), 401, "invalid_api_key")
    assert call(client, rotated.key).json()["name"] == "职称评审系统"


@pytest.mark.django_db
def test_the_limit_is_exact_at_its_boundary_for_two_keys_side_by_side(client, key_state, settings):
    settings.API_KEY_RATE_LIMIT = 3
    first = api_client_create(name="考试报名系统", scope="verify").key
    second = api_client_create(name="职称评审系统", scope="verify").key
    away_from_a_minute_boundary()
    for _ in range(3):
        assert call(client, first).status_code == 200
        assert call(client, second).status_code == 200
    for key in (first, second):
        response = problem(call(client, key), 429, "rate_limited")
        assert response["detail"]
        assert 1 <= int(call(client, key)["Retry-After"]) <= 60
    third = api_client_create(name="第三个系统", scope="verify").key
    assert call(client, third).status_code == 200  # a fresh key is not slowed by the others


@pytest.mark.django_db(transaction=True)
def test_parallel_calls_of_two_keys_pass_exactly_the_limit_each(key_state, settings, postgres, code_tables):
    """No row lock on the Redis path: the counter alone must keep 8 parallel calls per key to 5."""
    settings.API_KEY_RATE_LIMIT = 5
    keys = {name: api_client_create(name=name, scope="verify").key for name in ("考试报名系统", "职称评审系统")}
    away_from_a_minute_boundary()
    outcomes: dict[str, list[str]] = {name: [] for name in keys}
    start = threading.Barrier(16)

    def one(name):
        start.wait()
        try:
            api_client_authenticate(keys[name], scope="verify", path=WHOAMI)
            outcomes[name].append("ok")
        except RateLimited:
            outcomes[name].append("rate_limited")
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(name,)) for name in keys for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in keys:
        assert sorted(outcomes[name]) == ["ok"] * 5 + ["rate_limited"] * 3
        assert ApiClient.objects.get(name=name).call_count == 8
        assert AuditEntry.objects.filter(details__client=name).count() == 8


@pytest.mark.django_db
def test_every_call_writes_exactly_one_audit_row(client, key_state, make_person):
    key = api_client_create(name="考试报名系统", scope="verify").key
    provider = api_client_create(name="培训机构", scope="provider").key
    person = make_person("110105", name="王小明")
    other = make_person("110108", name="李四")

    def rows_written(response_check, *args, **kwargs):
        before = AuditEntry.objects.count()
        response = call(client, *args, **kwargs)
        response_check(response)
        return list(AuditEntry.objects.filter(seq__gt=before).order_by("seq")) if before is not None else []

    def ok(response):
        assert response.status_code == 200, response.content

    [row] = rows_written(ok, key, "/api/v1/verify", {"id_number": person.id_number, "name": "王小明"})
    assert row.action == "verify.query" and row.target_id == str(person.pk)
    assert row.details["client"] == "考试报名系统" and row.details["path"] == "/api/v1/verify"
    [row] = rows_written(ok, key, "/api/v1/verify", {"id_number": other.id_number, "name": "别人"})
    assert row.action == "verify.query" and row.details["found"] is False and row.target_id == ""
    [row] = rows_written(ok, key, "/api/v1/verify/batch", {"people": [{"id_number": other.id_number, "name": "李四"}]})
    assert row.action == "verify.batch" and row.details["records"] == [other.pk]
    [row] = rows_written(ok, key)
    assert row.action == "api_key.call" and row.details["outcome"] == "ok"
    # a call that fails after the key check is still audited once, with why
    [row] = rows_written(
        lambda r: problem(r, 400, "bad_year"), key, "/api/v1/verify", {"id_number": "x", "name": "y", "years": [1900]}
    )
    assert row.action == "api_key.call" and row.details["outcome"] == "bad_year"
    [row] = rows_written(lambda r: problem(r, 400, "invalid_input"), key, "/api/v1/verify", {"name": "y"})
    assert row.action == "api_key.call" and row.details["outcome"] == "invalid_input"
    [row] = rows_written(
        lambda r: problem(r, 403, "wrong_scope"), provider, "/api/v1/verify", {"id_number": "x", "name": "y"}
    )
    assert row.action == "api_key.call" and row.details["client"] == "培训机构"
    assert rows_written(lambda r: problem(r, 401, "invalid_api_key"), key + "x") == []
    assert ApiClient.objects.get(name="考试报名系统").call_count == 6


def test_an_unknown_key_is_refused_and_not_cached(db, key_state):
    with pytest.raises(ServiceError) as refused:
        api_client_authenticate("ar_nobody", scope="verify")
    assert refused.value.code == "invalid_api_key" and api_keys._local == {}


@pytest.mark.django_db
def test_with_redis_unreachable_the_database_answers(client, settings, municipal_admin):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    settings.API_KEY_RATE_LIMIT = 2
    api_keys._local.clear()
    issued = api_client_create(name="考试报名系统", scope="verify")
    assert call(client, issued.key).status_code == 200
    assert call(client, issued.key).status_code == 200
    problem(call(client, issued.key), 429, "rate_limited")  # counted in the database meanwhile
    api_client_revoke(actor=municipal_admin, client_id=issued.client.pk)
    problem(call(client, issued.key), 401, "invalid_api_key")


@pytest.mark.django_db
def test_whoami_reports_the_calls_counted_so_far_not_the_cached_copys(client, key_state):
    issued = api_client_create(name="考试报名系统", scope="verify")
    other = api_client_create(name="职称评审系统", scope="verify")
    away_from_a_minute_boundary()
    for _ in range(2):
        call(client, issued.key)
    assert call(client, other.key).json()["calls"] == 1
    answer = call(client, issued.key).json()
    assert answer["calls"] == 3 == ApiClient.objects.get(pk=issued.client.pk).call_count
    assert answer["last_used_at"] is not None
