"""Demo data: code tables, one account per role, demo contacts for districts.

Idempotent: running it twice leaves one of everything, and the printed logins always work.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from registry.accounts.models import Role, User
from registry.accounts.services import ensure_admin_group, staff_create
from registry.audit.services import audit_record
from registry.core.errors import ServiceError
from registry.core.loaders import load_all
from registry.core.models import CalendarDay, CalendarYear, Code, Region


@dataclass(frozen=True)
class DemoLogin:
    role_label: str
    phone: str
    password: str
    note: str


DEMO_LOGINS = [
    DemoLogin("会计人员", "13800000001", "Kuaiji2026", "申请人：注册、填表、上传材料"),
    DemoLogin("朝阳区审核员", "13800000002", "Shenhe2026", "区财政局：审核朝阳区（110105）的申请"),
    DemoLogin("市财政局管理员", "13800000003", "Guanli2026", "全部区；维护代码表（/admin/）"),
    DemoLogin("超级管理员", "13800000009", "Chaoji2026", "系统管理（/admin/ 全部功能）"),
]


def refuse_in_production() -> None:
    """Demo accounts have published passwords (README) and a superuser: never in production."""
    if settings.PRODUCTION:
        raise ServiceError(
            "demo_in_production",
            "REGISTRY_ENV=production：生产环境不能载入演示数据（演示账号的密码是公开的，含超级管理员）。"
            "请用 createsuperuser / create_staff 创建真实账号。",
            status=403,
        )


@transaction.atomic
def seed_demo() -> list[DemoLogin]:
    refuse_in_production()
    load_all(Region=Region, Code=Code, CalendarDay=CalendarDay, CalendarYear=CalendarYear)
    ensure_admin_group()
    _demo_contacts()
    applicant, reviewer, admin, superuser = DEMO_LOGINS

    user, _ = User.objects.get_or_create(phone=applicant.phone, defaults={"role": Role.APPLICANT})
    user.name = user.name or "张三（演示）"
    user.set_password(applicant.password)
    user.save()

    staff_create(
        phone=reviewer.phone,
        password=reviewer.password,
        role=Role.REVIEWER,
        district_codes=["110105"],
        name="朝阳区审核员（演示）",
        update_existing=True,
    )
    staff_create(
        phone=admin.phone,
        password=admin.password,
        role=Role.ADMIN,
        name="市管理员（演示）",
        update_existing=True,
    )
    root = User.objects.filter(phone=superuser.phone).first()
    if root is None:
        root = User.objects.create_superuser(superuser.phone, superuser.password, name="超级管理员（演示）")
    else:
        root.set_password(superuser.password)
        root.save()
    audit_record(action="demo.seed", details={"accounts": [d.phone for d in DEMO_LOGINS]})
    return DEMO_LOGINS


def _demo_contacts() -> None:
    """Give Beijing's reviewing units a visibly fake contact so the UI shows where it would appear."""
    units = Region.objects.reviewing_units().in_province("11").order_by("sort_order")
    for number, region in enumerate(units, start=1):
        if region.contact_phone:
            continue
        region.contact_phone = f"010-000000{number:02d}（演示号码）"
        region.contact_address = f"{region.bureau_name or region.name}政务服务大厅（演示地址）"
        region.save(update_fields=["contact_phone", "contact_address"])
