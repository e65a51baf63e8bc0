import json

from django.core.management.base import BaseCommand

from registry.api.main import api


def render() -> str:
    return json.dumps(api.get_openapi_schema(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "打印 OpenAPI 3 接口定义（docs/openapi.json 由此生成，测试检查其为最新）。"

    def handle(self, *args, **opts):
        self.stdout.write(render(), ending="")
