from django.core.management.base import BaseCommand

from registry.demo.services import seed_demo


class Command(BaseCommand):
    help = "载入代码表并创建每个角色的演示账号（可重复运行，账号密码每次重置为演示值）。"

    def handle(self, *args, **opts):
        logins = seed_demo()
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。演示账号（手机号 / 密码）："))
        for login in logins:
            self.stdout.write(f"  {login.role_label}：{login.phone} / {login.password}    {login.note}")
