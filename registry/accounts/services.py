import datetime as dt
import functools
import secrets
import string
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from registry.audit.services import audit_record
from registry.core.errors import Conflict, RateLimited, ServiceError
from registry.core.masking import mask_phone
from registry.core.models import Region
from registry.core.ratelimit import record_attempt
from registry.core.selectors import jurisdiction_units
from registry.core.validators import validate_mobile

from . import api_keys, auth
from .models import ApiClient, ApiKeyCall, ApiScope, Role, SmsPurpose, User, hash_api_key
from .sms_codes import INVALID, normalize_phone, sms_code_consume

ADMIN_GROUP_NAME = "市财政局管理员"
# Models a municipal admin maintains in the Django admin (code tables, calendar, regions' contacts).
ADMIN_EDITABLE_MODELS = {"core": ["region", "code", "calendarday", "calendaryear"]}


def ensure_admin_group() -> Group:
    group, _ = Group.objects.get_or_create(name=ADMIN_GROUP_NAME)
    perms = Permission.objects.filter(
        content_type__app_label__in=ADMIN_EDITABLE_MODELS.keys(),
        content_type__model__in=[m for models in ADMIN_EDITABLE_MODELS.values() for m in models],
    )
    group.permissions.set(perms)
    return group


def _reviewing_units(codes: list[str]) -> list[Region]:
    """Reviewing units of this deployment's jurisdiction only: a reviewer covering a district of
    another province would see (and decide) nothing this deployment is responsible for."""
    units = list(jurisdiction_units().filter(code__in=codes))
    missing = sorted(set(codes) - {u.code for u in units})
    if missing:
        raise ValidationError(f"以下代码不是可审核的区（须为本辖区的区县）：{', '.join(missing)}", code="unknown_code")
    return units


@transaction.atomic
def staff_create(
    *,
    phone: str,
    password: str,
    role: str,
    district_codes: list[str] | None = None,
    name: str = "",
    must_change_password: bool = False,
    actor: User | None = None,
    update_existing: bool = False,
) -> User:
    """Create (or with update_existing, reset) a reviewer or admin account."""
    phone = validate_mobile(phone)
    if role not in (Role.REVIEWER, Role.ADMIN):
        raise ValidationError("角色只能是审核员（reviewer）或管理员（admin）", code="invalid_role")
    district_codes = district_codes or []
    if role == Role.REVIEWER and not district_codes:
        raise ValidationError("审核员至少需要负责一个区", code="required")
    units = _reviewing_units(district_codes)
    user = User.objects.filter(phone=phone).first()
    if user is not None and not update_existing:
        raise ValidationError("该手机号码已注册", code="phone_taken")
    validate_password(password, user=user or User(phone=phone))
    created = user is None
    user = user or User(phone=phone)
    user.role = role
    user.name = name or user.name
    user.is_staff = role == Role.ADMIN  # municipal admins maintain code tables in the Django admin
    user.must_change_password = must_change_password
    user.set_password(password)
    user.save()
    user.districts.set(units if role == Role.REVIEWER else [])
    if role == Role.ADMIN:
        user.groups.add(ensure_admin_group())
    audit_record(
        action="staff.create" if created else "staff.reset",
        actor=actor,
        target=user,
        details={"role": role, "districts": sorted(u.code for u in units)},
    )
    return user


@dataclass(frozen=True)
class IssuedApiKey:
    client: ApiClient
    key: str  # shown once, never stored


@transaction.atomic
def api_client_create(*, name: str, scope: str, actor: User | None = None) -> IssuedApiKey:
    if scope not in ApiScope.values:
        raise ValidationError("权限范围只能是 verify（核验查询）或 provider（学分报送）", code="invalid_scope")
    name = name.strip()
    if not name:
        raise ValidationError("请填写客户端名称", code="required")
    limit = ApiClient._meta.get_field("name").max_length
    if len(name) > limit:  # SQLite keeps a longer name; PostgreSQL's varchar refuses it (a 500)
        raise ValidationError(f"客户端名称最多 {limit} 个字", code="too_long")
    if ApiClient.objects.filter(name=name).exists():
        raise ValidationError("同名的 API 客户端已存在", code="name_taken")
    key = ApiClient.new_key()
    client = ApiClient.objects.create(name=name, scope=scope, key_prefix=key[:10], key_hash=hash_api_key(key))
    audit_record(action="api_client.create", actor=actor, target=client, details={"scope": scope, "name": name})
    return IssuedApiKey(client=client, key=key)


def _api_key_refusal(client: ApiClient, lookup: api_keys.Lookup, *, scope: str) -> ServiceError | None:
    """Why this known key may not make this call now (None: it may). The call counts against the
    key's per-minute limit first, so a key hammering the wrong endpoint is limited too."""
    if not client.active:
        return ServiceError("invalid_api_key", "该 API 密钥已停用，请联系市财政局获取新密钥。", status=401)
    if lookup.calls_in_window is not None:  # counted in Redis: a fixed window per clock minute
        if lookup.calls_in_window > settings.API_KEY_RATE_LIMIT:
            return _rate_limited(lookup.retry_after)
    else:
        try:
            with transaction.atomic():
                # Without Redis the database counts: one call of a key at a time passes here (a
                # short row lock), so parallel calls cannot get past the limit together.
                ApiClient.objects.select_for_update().filter(pk=client.pk).values_list("pk").first()
                record_attempt(
                    ApiKeyCall,
                    client=client,
                    now=timezone.now(),
                    limit=settings.API_KEY_RATE_LIMIT,
                    window=dt.timedelta(seconds=api_keys.WINDOW_SECONDS),
                    refusal=_rate_limited,
                )
        except RateLimited as exc:
            return exc
    if client.scope != scope:
        return ServiceError(
            "wrong_scope",
            f"该 API 密钥的权限范围是“{client.get_scope_display()}”，不能调用此接口。",
            status=403,
        )
    return None


def _rate_limited(wait: float) -> RateLimited:
    return RateLimited("rate_limited", "该 API 密钥调用过于频繁，请稍后再试。", retry_after=wait)


def api_client_authenticate(
    key: str | None, *, scope: str, path: str = "", ip: str | None = None, audit: bool = True
) -> ApiClient:
    """The API client calling with `key` (the X-Api-Key header) for an endpoint of `scope`.

    Refuses: no key 401 `api_key_required`; an unknown or revoked key 401 `invalid_api_key`; past
    API_KEY_RATE_LIMIT calls a minute 429 `rate_limited` (with its retry_after); a key of another
    scope 403 `wrong_scope`. Every call of a known key is counted (call_count, last_used_at) and
    audited with ONE row: a refusal here as `api_key.call` with its outcome; an accepted call as
    `api_key.call` now (`audit=True`), or — `audit=False` — by the endpoint's own service, which
    writes its action's row through api_call_audit (the client carries the call as `api_call`; the
    API's middleware audits it as `api_key.call` if the endpoint failed before). Unknown keys are
    not audited: they name no client, and anyone could fill the log with them.

    No lock and no write on the accepted path: the key comes from a short per-process cache checked
    against a generation number in Redis, the limit is a Redis counter (accounts.api_keys)."""
    if not key:
        raise ServiceError("api_key_required", "请在 X-Api-Key 请求头中提供 API 密钥。", status=401)
    lookup = api_keys.lookup(hash_api_key(key.strip()))
    client = lookup.client
    if client is None:
        raise ServiceError("invalid_api_key", "API 密钥无效。", status=401)
    client.api_call = api_keys.ApiCall(required_scope=scope, path=path[:200], ip=ip)
    refusal = _api_key_refusal(client, lookup, scope=scope)
    if refusal is not None:
        api_call_audit(client, outcome=refusal.code)
        raise refusal
    if audit:
        api_call_audit(client)
    return client


_THE_CLIENT = object()  # api_call_audit's default target


@functools.cache
def _count_call_sql() -> str:
    """The call counted on its client (params: last use, client id). Plain SQL, so that audit_record
    can run it inside the audit row's own statement."""
    qn, meta = connection.ops.quote_name, ApiClient._meta
    count, last = qn(meta.get_field("call_count").column), qn(meta.get_field("last_used_at").column)
    return f"UPDATE {qn(meta.db_table)} SET {count} = {count} + 1, {last} = %s WHERE {qn(meta.pk.column)} = %s"


def api_call_audit(
    client: ApiClient,
    *,
    action: str = "api_key.call",
    outcome: str = "ok",
    target=_THE_CLIENT,
    target_type: str = "",
    target_id: str = "",
    district: str = "",
    ip: str | None = None,
    details: dict | None = None,
) -> None:
    """The one audit row of a key's call, and the call counted on the client, in one transaction.
    An endpoint's service calls it with its own action and details (inside its own transaction
    when it has one); the call's client, scope and path are added here. `target_type`/`target_id`
    with `target=None`: a target named without its model instance (verification.services)."""
    call = getattr(client, "api_call", None)
    if call is None:  # called outside a request (a script, a test): nothing came through the key check
        call = client.api_call = api_keys.ApiCall(required_scope=client.scope, path="", ip=ip)
    now = timezone.now()
    audit_record(
        action=action,
        target=client if target is _THE_CLIENT else target,
        target_type=target_type,
        target_id=target_id,
        district=district,
        ip=call.ip,
        details={
            "client": client.name,
            "client_id": client.pk,
            "scope": client.scope,
            "required_scope": call.required_scope,
            "path": call.path,
            "outcome": outcome,
            **(details or {}),
        },
        own_transaction=True,  # committed with the counter before the answer; 2 round trips on PostgreSQL
        then_sql=(_count_call_sql(), [now, client.pk]),  # in the entry's statement on PostgreSQL
    )
    call.audited = True
    client.call_count += 1
    client.last_used_at = now


# --- Applicants: registration, password reset, profile ------------------------------------------


def check_password_strength(password: str, *, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ServiceError("weak_password", join_sentences(exc.messages), field=field) from None


def join_sentences(messages: list[str]) -> str:
    """Several rules' messages as one sentence: "密码太短，至少需要 8 个字符；这个密码太常见了。"
    (Django's end in "。", ours do not; joined as they were they read "…字符。；这个…")."""
    return "；".join(m.rstrip("。；; ") for m in messages) + "。"


def password_rules_text() -> str:
    return " ".join(password_validators_help_texts())


def applicant_register(*, phone: str, sms_code: str, password: str, ip: str | None = None) -> User:
    """Whether the phone is registered is said only after its code is right: the holder of the
    phone may know (a registered number was never sent a code, so that takes a lucky guess or a
    registration in between); anyone else gets the same answers for every number."""
    phone = normalize_phone(phone)
    check_password_strength(password, user=User(phone=phone))
    sms_code_consume(phone=phone, purpose=SmsPurpose.REGISTER, code=sms_code)
    with transaction.atomic():
        if User.objects.select_for_update().filter(phone=phone).exists():
            raise Conflict("phone_taken", "该手机号码已注册，请直接登录。", field="phone")
        user = User.objects.create_user(phone, password, role=Role.APPLICANT)
        audit_record(action="account.register", actor=user, target=user, ip=ip, details={"phone": mask_phone(phone)})
    return user


RESET_REFUSED = "证件号码、手机号码或验证码不正确，请核对后重试。验证码在有效期内可继续使用，无需重新获取。"


def password_reset(*, id_number: str, phone: str, sms_code: str, new_password: str, ip: str | None = None) -> None:
    """ID number + registered phone + SMS code → new password, every session and token revoked.

    Unknown phone, unknown ID number, a pair that does not match and a wrong code all get one
    neutral answer (sms_code_invalid, RESET_REFUSED) that names no part, so nobody learns whether
    an account exists or which part was wrong. A mismatch never uses up the code — the person
    corrects a mistyped ID number and tries again with it — but counts as one of its attempts.
    An account not yet collected has no ID number on file: for it the phone and its code are the
    whole proof, as at registration."""
    phone = normalize_phone(phone)
    id_number = (id_number or "").strip().upper()
    # Judged against what was typed, never the stored account, so the answer cannot differ by account.
    check_password_strength(new_password, user=User(phone=phone, id_number=id_number), field="new_password")
    user = User.objects.filter(phone=phone).first()
    if user is not None and ((user.id_number and user.id_number != id_number) or not can_reset_by_sms(user)):
        user = None
    try:
        sms_code_consume(
            phone=phone, purpose=SmsPurpose.RESET_PASSWORD, code=sms_code, rest_of_proof_holds=user is not None
        )
    except ServiceError as exc:
        if exc.code == "sms_code_invalid" and exc.message == INVALID:
            raise ServiceError("sms_code_invalid", RESET_REFUSED) from None
        raise  # expired, or too many tries: about the code alone, the same for every account
    with transaction.atomic():
        user.set_password(new_password)  # changes the session hash: every web session ends
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        revoked = auth.tokens_revoke_all(user=user)
        auth.clear_lockout(user=user)
        audit_record(action="auth.password_reset", actor=user, target=user, ip=ip, details={"tokens_revoked": revoked})


def can_reset_by_sms(user: User) -> bool:
    """Only applicants reset by SMS. Staff accounts are reset by an admin (or `create_staff --update`):
    a swapped SIM must never open a reviewer's or an admin's account."""
    return user.role == Role.APPLICANT and not user.is_superuser and not user.is_staff


def password_change(
    *, user: User, old_password: str, new_password: str, ip: str | None = None, keep_token=None
) -> None:
    """Change the password; every other session and token ends (the caller's `keep_token` stays)."""
    auth.confirm_password(user=user, password=old_password, ip=ip, field="old_password")
    if old_password == new_password:
        raise ServiceError("weak_password", "新密码不能与原密码相同。", field="new_password")
    check_password_strength(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        revoked = auth.tokens_revoke_all(user=user, keep=keep_token)
        audit_record(action="auth.password_change", actor=user, target=user, ip=ip, details={"tokens_revoked": revoked})


def phone_change(*, user: User, password: str, new_phone: str, sms_code: str, ip: str | None = None) -> User:
    """The login phone is the key to password reset: changing it needs the current password too."""
    auth.confirm_password(user=user, password=password, ip=ip)
    new_phone = normalize_phone(new_phone)
    if new_phone == user.phone:
        raise ServiceError("same_phone", "新手机号码与当前号码相同。", field="new_phone")
    # "Taken" only after the code is right, as at registration: no probing numbers from an account.
    sms_code_consume(phone=new_phone, purpose=SmsPurpose.CHANGE_PHONE, code=sms_code)
    with transaction.atomic():
        if User.objects.select_for_update().filter(phone=new_phone).exists():
            raise Conflict("phone_taken", "该手机号码已被其他账号使用。", field="new_phone")
        old = user.phone
        user.phone = new_phone
        user.save(update_fields=["phone"])
        audit_record(
            action="account.phone_change",
            actor=user,
            target=user,
            ip=ip,
            details={"old_phone": mask_phone(old), "new_phone": mask_phone(new_phone)},
        )
    return user


# --- Staff --------------------------------------------------------------------------------------


def generate_initial_password() -> str:
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


@transaction.atomic
def staff_set_districts(*, actor: User, staff: User, district_codes: list[str], active: bool = True) -> User:
    """A municipal admin changes which districts a reviewer covers (or disables the account)."""
    if staff.role != Role.REVIEWER:
        raise ServiceError("invalid_role", "只有区财政局审核员需要设置负责的区。")
    if active and not district_codes:
        raise ServiceError("required", "审核员至少需要负责一个区。", field="districts")
    try:
        units = _reviewing_units(district_codes)
    except ValidationError as exc:
        raise ServiceError("unknown_code", exc.messages[0], field="districts") from None
    before = sorted(staff.districts.values_list("code", flat=True))
    staff.districts.set(units)
    staff.is_active = active
    staff.save(update_fields=["is_active"])
    if not active:
        auth.tokens_revoke_all(user=staff)
    audit_record(
        action="staff.districts",
        actor=actor,
        target=staff,
        details={"before": before, "after": sorted(u.code for u in units), "active": active},
    )
    return staff


def user_set_identity(*, user: User, id_number: str, name: str = "", actor: User | None = None) -> User:
    """The approved record's ID number becomes the person's login name (and its name their name).
    Called by records.services.record_apply; nothing is written when the ID number is already theirs."""
    if not id_number or user.id_number == id_number:
        return user
    old = {"id_number": user.id_number, "name": user.name}
    user.id_number = id_number
    user.name = name or user.name
    user.save(update_fields=["id_number", "name"])
    audit_record(
        action="account.identity",
        actor=actor,
        target=user,
        details={
            "id_number": {"old": old["id_number"], "new": user.id_number},
            "name": {"old": old["name"], "new": user.name},
        },
    )
    return user
