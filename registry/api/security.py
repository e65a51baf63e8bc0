"""Who is calling: a bearer token from /auth/login, the browser's session cookie (with CSRF), or an
outside system's API key (X-Api-Key)."""

from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from registry.accounts.auth import token_authenticate
from registry.accounts.services import api_client_authenticate
from registry.audit.services import client_ip

from .errors import ApiError


def _check_password_pending(user, allow: bool):
    if user is not None and user.must_change_password and not allow:
        raise ApiError(403, "password_change_required", "首次登录须先修改初始密码：POST /api/v1/me/password。")
    return user


class BearerToken(HttpBearer):
    def __init__(self, *, allow_password_pending: bool = False):
        super().__init__()
        self.allow_password_pending = allow_password_pending

    def authenticate(self, request, token):
        api_token = token_authenticate(token)
        if api_token is None:
            return None
        request.api_token = api_token
        request.user = api_token.user
        return _check_password_pending(api_token.user, self.allow_password_pending)


class Session(SessionAuth):
    def __init__(self, *, allow_password_pending: bool = False):
        super().__init__()
        self.allow_password_pending = allow_password_pending

    def _get_key(self, request):
        # A caller with a bearer header, or without a session cookie, is not a browser session: say
        # "not logged in" (401) rather than failing a CSRF check meant for browsers (403).
        if "Authorization" in request.headers or self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        if key is None:
            return None
        user = super().authenticate(request, key)
        return _check_password_pending(user, self.allow_password_pending) if user else None


account_auth = [BearerToken(), Session()]
account_auth_pending_ok = [BearerToken(allow_password_pending=True), Session(allow_password_pending=True)]


def optional_user(request):
    """The caller if they sent a valid token or session, else None (for endpoints open to everyone)."""
    for auth in account_auth_pending_ok:
        try:
            user = auth(request)
        except Exception:  # a bad CSRF token or header simply means "not logged in" here
            user = None
        if user:
            return user
    return None


class ApiKey(APIKeyHeader):
    """`auth=ApiKey("verify")` on an endpoint: only API clients of that scope, sending X-Api-Key.
    The check (401/403/429, counting, audit) is accounts.services.api_client_authenticate; the
    client is `request.auth` in the endpoint.

    `endpoint_audits=True`: the endpoint's service writes the call's one audit row itself (through
    accounts.services.api_call_audit, e.g. `verify.query` with what was found) instead of a separate
    `api_key.call` row; if the endpoint fails before writing it, ApiCallAuditMiddleware does."""

    param_name = "X-Api-Key"

    def __init__(self, scope: str, *, endpoint_audits: bool = False):
        super().__init__()
        self.scope = scope
        self.endpoint_audits = endpoint_audits

    def authenticate(self, request, key):
        client = api_client_authenticate(
            key, scope=self.scope, path=request.path, ip=client_ip(request), audit=not self.endpoint_audits
        )
        request.api_client = client
        return client
