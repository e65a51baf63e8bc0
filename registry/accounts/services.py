from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from registry.audit.services import audit_record
from registry.core.models import Region
from registry.core.validators import validate_mobile

from .models import ApiClient, ApiScope, Role, User, hash_api_key

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
    units = list(Region.objects.reviewing_units().filter(code__in=codes))
    missing = sorted(set(codes) - {u.code for u in units})
    if missing:
        raise ValidationError(f"以下代码不是可审核的区：{', '.join(missing)}", code="unknown_code")
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
        raise ValidationError("权限范围只能是 verify 或 provider", code="invalid_scope")
    name = name.strip()
    if not name:
        raise ValidationError("请填写客户端名称", code="required")
    if ApiClient.objects.filter(name=name).exists():
        raise ValidationError("同名的 API 客户端已存在", code="name_taken")
    key = ApiClient.new_key()
    client = ApiClient.objects.create(name=name, scope=scope, key_prefix=key[:10], key_hash=hash_api_key(key))
    audit_record(
        action="api_client.create", actor=actor, target=client, details={"scope": scope, "name": name}
    )
    return IssuedApiKey(client=client, key=key)
