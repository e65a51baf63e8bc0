"""Endpoints of outside systems that call with an API key (X-Api-Key): "which client am I" per
scope, so an integrator can test a key before calling the real endpoints (docs/api-keys.md)."""

import datetime as dt

from ninja import Router, Schema

from registry.accounts.models import ApiClient, ApiScope

from .security import ApiKey

router = Router(tags=["API 客户端"])


class ClientOut(Schema):
    name: str
    scope: str
    calls: int
    last_used_at: dt.datetime | None


def client_out(client) -> ClientOut:
    # The counters from the database, which this call has just moved: the key check works on a
    # per-process cached copy of the client (accounts.api_keys), whose counts are stale.
    calls, last_used_at = ApiClient.objects.filter(pk=client.pk).values_list("call_count", "last_used_at").get()
    return ClientOut(name=client.name, scope=client.scope, calls=calls, last_used_at=last_used_at)


@router.get("/verify/whoami", response=ClientOut, auth=ApiKey(ApiScope.VERIFY), summary="核验密钥自检")
def verify_whoami(request):
    """The verification client this key belongs to (scope `verify`; another scope gets 403)."""
    return client_out(request.auth)


@router.get("/providers/whoami", response=ClientOut, auth=ApiKey(ApiScope.PROVIDER), summary="机构密钥自检")
def provider_whoami(request):
    """The training provider this key belongs to (scope `provider`; another scope gets 403)."""
    return client_out(request.auth)
