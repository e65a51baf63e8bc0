"""Who may export full ID numbers: the permission `stats.export_full_id_number`, granted by a
municipal admin to a named staff member (audited); everyone else gets masked numbers."""

from django.contrib.auth.models import Permission
from django.db import transaction

from registry.accounts import access
from registry.accounts.models import Role, User
from registry.audit.services import audit_record
from registry.core.errors import ServiceError

CODENAME = "export_full_id_number"


def _permission() -> Permission:
    return Permission.objects.get(content_type__app_label="stats", codename=CODENAME)


def holders() -> set[int]:
    return set(_permission().user_set.values_list("pk", flat=True))


@transaction.atomic
def export_full_permission_set(*, actor, staff_id: int, allow: bool, ip=None) -> User:
    if not access.is_admin(actor):
        raise ServiceError("forbidden", "仅市财政局管理员可以授权导出完整证件号码。", status=403)
    staff = User.objects.filter(pk=staff_id, role__in=[Role.REVIEWER, Role.ADMIN]).first()
    if staff is None:
        raise ServiceError("not_found", "未找到该工作人员。", status=404)
    permission = _permission()
    had = staff.user_permissions.filter(pk=permission.pk).exists()
    if allow and not had:
        staff.user_permissions.add(permission)
    elif not allow and had:
        staff.user_permissions.remove(permission)
    else:
        return staff
    audit_record(
        action="export.permission_grant" if allow else "export.permission_revoke",
        actor=actor,
        target=staff,
        ip=ip,
        details={"permission": f"stats.{CODENAME}", "staff": staff.audit_label},
    )
    return staff
