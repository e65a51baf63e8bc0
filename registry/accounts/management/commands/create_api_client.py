from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registry.accounts.services import api_client_create


class Command(BaseCommand):
    help = "创建调用 API 的外部系统客户端，并一次性打印其密钥（X-Api-Key）。"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="客户端名称，如：会计资格考试报名系统")
        parser.add_argument("--scope", required=True, choices=["verify", "provider"])

    def handle(self, *args, **opts):
        try:
            issued = api_client_create(name=opts["name"], scope=opts["scope"])
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(f"客户端：{issued.client.name}（{issued.client.get_scope_display()}）")
        self.stdout.write("密钥（只显示这一次，请妥善保存）：")
        self.stdout.write(issued.key)
