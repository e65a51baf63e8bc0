"""Endpoints of outside systems that call with an API key (X-Api-Key): "which client am I" per
scope, so an integrator can test a key before calling the real endpoints (docs/api-keys.md)."""

import datetime as dt

from ninja import Router, Schema

from registry.accounts.models import ApiScope

from .security import ApiKey

router = Router(tags=["API 客户端"])


class ClientOut(Schema):
    name: str
    scope: str
    calls: int
    last_used_at: dt.datetime | None


def client_out(client) -> ClientOut:
    return ClientOut(name=client.name, scope=client.scope, calls=client.call_count, last_used_at=client.last_used_at)


@router.get("/verify/whoami", response=ClientOut, auth=ApiKey(ApiScope.VERIFY), summary="核验密钥自检")
def verify_whoami(request):
    """The verification client this key belongs to (scope `verify`; another scope gets 403)."""
    return client_out(request.auth)


@router.get("/providers/whoami", response=ClientOut, auth=ApiKey(ApiScope.PROVIDER), summary="机构密钥自检")
def provider_whoami(request):
    """The training provider this key belongs to (scope `provider`; another scope gets 403)."""
    return client_out(request.auth)
