"""Admins manage API clients in the back office: create (accounts.services.api_client_create),
change scope, rotate and revoke keys. A key is shown once, when issued; only its hash is stored."""

from django.db import transaction

from registry.accounts import access
from registry.audit.services import audit_record
from registry.core.errors import ServiceError

from .models import ApiClient, ApiScope, hash_api_key
from .services import IssuedApiKey


def _require_admin(actor) -> None:
    if not access.is_admin(actor):
        raise ServiceError("forbidden", "仅市财政局管理员可以管理 API 客户端。", status=403)


def _locked(client_id) -> ApiClient:
    client = ApiClient.objects.select_for_update().filter(pk=client_id).first()
    if client is None:
        raise ServiceError("not_found", "未找到该 API 客户端。", status=404)
    return client


@transaction.atomic
def api_client_rotate(*, actor, client_id, ip=None) -> IssuedApiKey:
    """A new key replaces the old one at once (the old key answers 401 from now on)."""
    _require_admin(actor)
    client = _locked(client_id)
    if not client.active:
        raise ServiceError("client_revoked", "该客户端已停用，不能更换密钥；请新建客户端。", status=409)
    key = ApiClient.new_key()
    old_prefix = client.key_prefix
    client.key_prefix, client.key_hash = key[:10], hash_api_key(key)
    client.save(update_fields=["key_prefix", "key_hash"])
    audit_record(
        action="api_client.rotate",
        actor=actor,
        target=client,
        ip=ip,
        details={"old_prefix": old_prefix, "new_prefix": client.key_prefix},
    )
    return IssuedApiKey(client=client, key=key)


@transaction.atomic
def api_client_revoke(*, actor, client_id, ip=None) -> ApiClient:
    _require_admin(actor)
    client = _locked(client_id)
    if client.active:
        client.active = False
        client.save(update_fields=["active"])
        audit_record(action="api_client.revoke", actor=actor, target=client, ip=ip, details={"name": client.name})
    return client


@transaction.atomic
def api_client_set_scope(*, actor, client_id, scope: str, ip=None) -> ApiClient:
    _require_admin(actor)
    if scope not in ApiScope.values:
        raise ServiceError("invalid_scope", "权限范围只能是核验查询或学分报送。", status=400, field="scope")
    client = _locked(client_id)
    if client.scope != scope:
        old = client.scope
        client.scope = scope
        client.save(update_fields=["scope"])
        audit_record(action="api_client.scope", actor=actor, target=client, ip=ip, details={"from": old, "to": scope})
    return client
