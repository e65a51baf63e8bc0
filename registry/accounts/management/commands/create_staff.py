from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registry.accounts.services import staff_create


class Command(BaseCommand):
    help = "创建区审核员或市管理员账号（服务器运维人员使用，设置的即为正式密码）。"

    def add_arguments(self, parser):
        parser.add_argument("--phone", required=True, help="手机号码（登录名）")
        parser.add_argument("--password", required=True, help="密码：至少8位，包含字母和数字")
        parser.add_argument("--role", required=True, choices=["reviewer", "admin"])
        parser.add_argument(
            "--district", action="extend", nargs="+", default=[], help="负责的区代码，可写多个或重复，如 110105 110108"
        )
        parser.add_argument("--name", default="", help="姓名")
        parser.add_argument("--update", action="store_true", help="账号已存在时更新角色、区和密码")

    def handle(self, *args, **opts):
        try:
            user = staff_create(
                phone=opts["phone"],
                password=opts["password"],
                role=opts["role"],
                district_codes=opts["district"],
                name=opts["name"],
                update_existing=opts["update"],
            )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        districts = "、".join(user.districts.values_list("name", flat=True)) or "全部"
        self.stdout.write(self.style.SUCCESS(f"已创建 {user.get_role_display()}：{user.phone}（区：{districts}）"))
