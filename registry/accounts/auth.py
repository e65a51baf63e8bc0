"""Login with lockout, bearer tokens, logout. Web views and the API call the same functions."""

import datetime as dt
import math

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone

from registry.audit.services import audit_record
from registry.core.errors import RateLimited, ServiceError
from registry.core.masking import mask_id_number, mask_phone

from . import identity
from .backends import normalize_username
from .models import ApiToken, LoginAttempt, User, hash_token


def account_key(username: str) -> str:
    """Failures count per account, whether the person typed the phone or the ID number."""
    username = normalize_username(username)
    field = "phone" if username.isdigit() and len(username) == 11 else "id_number"
    user_id = User.objects.filter(**{field: username}).values_list("pk", flat=True).first() if username else None
    return f"user:{user_id}" if user_id else f"name:{username[:34]}"


def _window_start(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


def locked_until(
    *, key: str, ip: str | None, now: dt.datetime | None = None, before_id: int | None = None
) -> dt.datetime | None:
    """When the account (or the address) is locked, the moment it opens again; else None.
    With `before_id`, only attempts recorded before that one count (see `_attempt`)."""
    now = now or timezone.now()
    since = _window_start(now)
    earlier = LoginAttempt.objects.filter(pk__lt=before_id) if before_id else LoginAttempt.objects.all()
    last_success = (
        earlier.filter(account_key=key, success=True, at__gt=since).order_by("-at").values_list("at", flat=True).first()
    )
    failures = earlier.filter(account_key=key, success=False, at__gt=last_success or since)
    candidates = []
    if failures.count() >= settings.LOGIN_FAILURE_LIMIT:
        candidates.append(failures.order_by("-at").values_list("at", flat=True).first())
    if ip:
        ip_failures = earlier.filter(ip=ip, success=False, at__gt=since)
        if ip_failures.count() >= settings.LOGIN_IP_FAILURE_LIMIT:
            candidates.append(ip_failures.order_by("-at").values_list("at", flat=True).first())
    if not candidates:
        return None
    until = max(candidates) + dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    return until if until > now else None


def _locked_error(until: dt.datetime, now: dt.datetime) -> RateLimited:
    local = timezone.localtime(until)
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return RateLimited(
        "locked_out",
        f"登录失败次数过多，账号已暂时锁定。请于 {local:%H:%M} 后重试（约 {minutes} 分钟），或通过“找回密码”重置密码。",
        retry_after=(until - now).total_seconds(),
    )


def _attempt(*, key: str, ip: str | None, check) -> bool:
    """Record the attempt *before* the password is checked, as a failure until it succeeds, so that
    guesses sent in parallel see each other: only the first LIMIT since the last success are checked.
    A refused attempt is removed again: it checked nothing and must not extend the lock."""
    now = timezone.now()
    attempt = LoginAttempt.objects.create(account_key=key, ip=ip, at=now, success=False)
    until = locked_until(key=key, ip=ip, now=now, before_id=attempt.pk)
    if until:
        attempt.delete()
        raise _locked_error(until, now)
    ok = bool(check())
    if ok:
        LoginAttempt.objects.filter(pk=attempt.pk).update(success=True)
    return ok


def _masked(username: str) -> str:
    typed = normalize_username(username)
    return mask_phone(typed) if len(typed) == 11 else mask_id_number(typed)


def _after_failure(*, key: str, ip: str | None, actor=None, details: dict) -> None:
    """Audit the failure; if it was the one that locks the account, say so (429) instead of 401."""
    now = timezone.now()
    until = locked_until(key=key, ip=ip, now=now)
    audit_record(action="auth.login_failed", actor=actor, ip=ip, details={**details, "locked": bool(until)})
    if until:
        raise _locked_error(until, now)


def login(*, username: str, password: str, ip: str | None, request=None) -> User:
    """Check the credentials, count the attempt, and audit it. Raises locked_out (429) or login_failed (401)."""
    username = (username or "").replace("\x00", "")
    key = account_key(username)
    authenticated: dict[str, User | None] = {}

    def check() -> bool:
        authenticated["user"] = authenticate(request, username=username, password=password)
        return authenticated["user"] is not None

    if not _attempt(key=key, ip=ip, check=check):
        _after_failure(key=key, ip=ip, details={"account": key, "username": _masked(username)})
        raise ServiceError("login_failed", "账号或密码不正确。连续失败5次账号将被锁定15分钟。", status=401)
    user = authenticated["user"]
    audit_record(action="auth.login", actor=user, ip=ip, target=user, details={"username": _masked(username)})
    return user


def confirm_password(*, user: User, password: str, ip: str | None, field: str = "password") -> None:
    """Re-check the password of a logged-in person before a sensitive change; wrong answers count
    toward the same lockout as logins (a stolen session must not become a password oracle)."""
    key = f"user:{user.pk}"
    if not _attempt(key=key, ip=ip, check=lambda: user.check_password(password or "")):
        _after_failure(key=key, ip=ip, actor=user, details={"account": key, "via": "confirm_password"})
        raise ServiceError("wrong_password", "当前密码不正确。", field=field)


def clear_lockout(*, user: User) -> None:
    """A proven identity (password reset by SMS) ends the account's lock."""
    LoginAttempt.objects.create(account_key=f"user:{user.pk}", success=True)


def token_issue(*, user: User) -> tuple[str, ApiToken]:
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user,
        key_hash=hash_token(key),
        expires_at=timezone.now() + dt.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS),
    )
    return key, token


def token_authenticate(key: str) -> ApiToken | None:
    """The token (its user loaded, with a reviewer's districts) if it is valid now and its user active."""
    now = timezone.now()
    token = identity.token_by_hash(hash_token(key), now=now)
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # at most one write a minute
    return token


def logout_record(*, user: User, ip: str | None = None, via: str = "web") -> None:
    """A browser session ends (the caller then calls django's logout): audited like a token's end."""
    if user is not None and user.is_authenticated:
        audit_record(action="auth.logout", actor=user, ip=ip, details={"via": via})


def token_revoke(*, token: ApiToken, ip: str | None = None) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(action="auth.logout", actor=token.user, ip=ip, details={"via": "api"})


def tokens_revoke_all(*, user: User, keep: ApiToken | None = None) -> int:
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    return tokens.update(revoked_at=timezone.now())
