"""The API key check every key-based endpoint uses (X-Api-Key; accounts.services.api_client_authenticate),
through the real "which client am I" endpoints of each scope."""

import datetime as dt

import pytest
from django.utils import timezone

from registry.accounts.models import ApiClient, ApiKeyCall
from registry.accounts.services import api_client_create
from registry.audit.models import AuditEntry
from tests.helpers import problem

pytestmark = pytest.mark.django_db

PROVIDER_PATH = "/api/v1/providers/whoami"
VERIFY_PATH = "/api/v1/verify/whoami"


@pytest.fixture
def provider_key():
    return api_client_create(name="某继续教育机构", scope="provider").key


@pytest.fixture
def verify_key():
    return api_client_create(name="会计资格考试报名系统", scope="verify").key


def call(client, path, key=None, ip="203.0.113.9"):
    headers = {"HTTP_X_API_KEY": key} if key is not None else {}
    return client.get(path, REMOTE_ADDR=ip, **headers)


def calls_audited(name):
    return list(AuditEntry.objects.filter(action="api_key.call", details__client=name).order_by("seq"))


def test_a_key_of_the_scope_is_accepted_counted_and_audited(client, provider_key, verify_key):
    before = timezone.now()
    response = call(client, PROVIDER_PATH, provider_key)
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "某继续教育机构" and response.json()["scope"] == "provider"
    assert call(client, VERIFY_PATH, verify_key).json()["name"] == "会计资格考试报名系统"

    provider = ApiClient.objects.get(name="某继续教育机构")
    assert provider.call_count == 1 and provider.last_used_at >= before
    [entry] = calls_audited("某继续教育机构")
    assert entry.target_id == str(provider.pk) and entry.ip == "203.0.113.9"
    assert entry.details["path"] == PROVIDER_PATH and entry.details["outcome"] == "ok"
    assert call(client, PROVIDER_PATH, provider_key).json()["calls"] == 2


def test_without_a_key_401(client):
    body = problem(call(client, PROVIDER_PATH), 401, "api_key_required")
    assert "X-Api-Key" in body["detail"]
    assert not AuditEntry.objects.filter(action="api_key.call").exists()


def test_unknown_key_401_and_not_audited(client, provider_key):
    problem(call(client, PROVIDER_PATH, provider_key + "x"), 401, "invalid_api_key")
    problem(call(client, PROVIDER_PATH, ""), 401, "api_key_required")
    assert not AuditEntry.objects.filter(action="api_key.call").exists()
    assert ApiClient.objects.get(scope="provider").call_count == 0


def test_a_bearer_token_is_not_a_key(client, provider_key):
    response = client.get(PROVIDER_PATH, HTTP_AUTHORIZATION=f"Bearer {provider_key}")
    problem(response, 401, "api_key_required")


def test_key_of_another_scope_403_audited(client, provider_key, verify_key):
    body = problem(call(client, PROVIDER_PATH, verify_key), 403, "wrong_scope")
    assert "核验查询" in body["detail"]
    problem(call(client, VERIFY_PATH, provider_key), 403, "wrong_scope")
    [entry] = calls_audited("会计资格考试报名系统")
    assert entry.details["outcome"] == "wrong_scope" and entry.details["required_scope"] == "provider"
    assert ApiClient.objects.get(scope="verify").call_count == 1


def test_revoked_key_401_audited(client, provider_key):
    ApiClient.objects.filter(scope="provider").update(active=False)
    problem(call(client, PROVIDER_PATH, provider_key), 401, "invalid_api_key")
    [entry] = calls_audited("某继续教育机构")
    assert entry.details["outcome"] == "invalid_api_key"


def test_past_the_per_key_limit_429_with_retry_after(client, settings, provider_key):
    settings.API_KEY_RATE_LIMIT = 3
    other_key = api_client_create(name="另一家机构", scope="provider").key
    for _ in range(3):
        assert call(client, PROVIDER_PATH, provider_key).status_code == 200
    response = call(client, PROVIDER_PATH, provider_key)
    problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    # the limit is per key: another provider is not slowed down by this one
    assert call(client, PROVIDER_PATH, other_key).status_code == 200
    outcomes = [e.details["outcome"] for e in calls_audited("某继续教育机构")]
    assert outcomes == ["ok", "ok", "ok", "rate_limited"]
    # a refused call is counted and audited, but does not push the window further
    provider = ApiClient.objects.get(name="某继续教育机构")
    assert provider.call_count == 4
    assert ApiKeyCall.objects.filter(client=provider).count() == 3


def test_calls_older_than_a_minute_leave_the_window(client, settings, provider_key):
    settings.API_KEY_RATE_LIMIT = 2
    for _ in range(2):
        assert call(client, PROVIDER_PATH, provider_key).status_code == 200
    ApiKeyCall.objects.update(at=timezone.now() - dt.timedelta(seconds=61))
    assert call(client, PROVIDER_PATH, provider_key).status_code == 200
    assert ApiKeyCall.objects.count() == 1  # the old ones were pruned


def test_openapi_documents_the_key_and_its_refusals(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["components"]["securitySchemes"]["ApiKey"] == {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    responses = schema["paths"][PROVIDER_PATH]["get"]["responses"]
    assert {"401", "403", "429"} <= set(responses)
