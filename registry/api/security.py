"""Who is calling: a bearer token from /auth/login, or the browser's session cookie (with CSRF)."""

from ninja.security import HttpBearer, SessionAuth

from registry.accounts.auth import token_authenticate

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
