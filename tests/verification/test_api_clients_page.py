"""API clients in the back office: create (key shown once, stored hashed), scope, rotate, revoke,
last use and call counts; only admins."""

import json
import re

import pytest

from registry.accounts.models import ApiClient, hash_api_key
from registry.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def shown_key(response) -> str:
    match = re.search(r"<code>(ar_[A-Za-z0-9_\-]+)</code>", response.content.decode())
    assert match, "the new key is shown on the page"
    return match.group(1)


def verify(client, key):
    return client.post(
        "/api/v1/verify",
        json.dumps({"id_number": "110105199001010011", "name": "某某"}),
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )


def test_create_rotate_scope_revoke(client, municipal_admin):
    client.force_login(municipal_admin)
    response = client.post("/staff/api-clients/", {"name": "会计资格考试报名系统", "scope": "verify"})
    key = shown_key(response)
    api_client = ApiClient.objects.get(name="会计资格考试报名系统")
    assert api_client.key_hash == hash_api_key(key) and key not in json.dumps(
        list(ApiClient.objects.values()), default=str
    )
    assert key not in client.get("/staff/api-clients/").content.decode()  # shown once

    api = type(client)()
    assert verify(api, key).status_code == 200
    page = client.get("/staff/api-clients/").content.decode()
    row = re.search(rf'<tr data-client="{api_client.pk}">.*?</tr>', page, re.S).group(0)
    assert "<td>1</td>" in row and "从未调用" not in row  # call count and last use

    new_key = shown_key(client.post(f"/staff/api-clients/{api_client.pk}/rotate/"))
    assert new_key != key
    assert verify(api, key).status_code == 401 and verify(api, new_key).status_code == 200

    client.post(f"/staff/api-clients/{api_client.pk}/scope/", {"scope": "provider"})
    assert verify(api, new_key).status_code == 403
    client.post(f"/staff/api-clients/{api_client.pk}/scope/", {"scope": "verify"})

    client.post(f"/staff/api-clients/{api_client.pk}/revoke/")
    assert verify(api, new_key).status_code == 401
    actions = list(
        AuditEntry.objects.filter(target_id=str(api_client.pk), action__startswith="api_client.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "api_client.create",
        "api_client.rotate",
        "api_client.scope",
        "api_client.scope",
        "api_client.revoke",
    ]
    # a revoked client cannot get a new key
    client.post(f"/staff/api-clients/{api_client.pk}/rotate/")
    assert ApiClient.objects.get(pk=api_client.pk).key_hash == hash_api_key(new_key)


def test_duplicate_name_and_bad_scope_create_nothing(client, municipal_admin):
    client.force_login(municipal_admin)
    client.post("/staff/api-clients/", {"name": "甲系统", "scope": "verify"})
    page = client.post("/staff/api-clients/", {"name": "甲系统", "scope": "verify"}).content.decode()
    assert "同名的 API 客户端已存在" in page
    client.post("/staff/api-clients/", {"name": "乙系统", "scope": "admin"})
    assert list(ApiClient.objects.values_list("name", flat=True)) == ["甲系统"]


def test_only_admins(client, chaoyang_reviewer, municipal_admin):
    client.force_login(municipal_admin)
    client.post("/staff/api-clients/", {"name": "甲系统", "scope": "verify"})
    api_client = ApiClient.objects.get()
    client.force_login(chaoyang_reviewer)
    assert client.get("/staff/api-clients/").status_code == 403
    assert client.post("/staff/api-clients/", {"name": "乙系统", "scope": "verify"}).status_code == 403
    assert client.post(f"/staff/api-clients/{api_client.pk}/revoke/").status_code == 403
    assert ApiClient.objects.get().active and ApiClient.objects.count() == 1


def test_an_over_long_name_is_refused_with_the_typed_name_kept(client, municipal_admin):
    # SQLite stored a 124-character name; PostgreSQL's varchar(100) made it a 500.
    ApiClient.objects.create(name="其他系统", scope="verify", key_prefix="ar_x", key_hash="0" * 64)
    client.force_login(municipal_admin)
    name = "会计资格考试报名系统" + "长" * 95
    html = client.post("/staff/api-clients/", {"name": name, "scope": "verify"}).content.decode()
    assert "客户端名称最多 100 个字" in html and name in html
    assert list(ApiClient.objects.values_list("name", flat=True)) == ["其他系统"]
    client.post("/staff/api-clients/", {"name": name[:100], "scope": "provider"})
    assert ApiClient.objects.filter(name=name[:100], scope="provider").exists()
