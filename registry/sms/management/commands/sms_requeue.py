from django.core.management.base import BaseCommand

from registry.sms.services import requeue_stale


class Command(BaseCommand):
    help = "重新派发滞留的短信（工作进程崩溃或消息队列中断后）。建议每5分钟由定时任务运行一次。"

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=600, help="滞留超过多少秒（默认600）")

    def handle(self, *args, **opts):
        count = requeue_stale(older_than_seconds=opts["older_than"])
        self.stdout.write(f"已重新派发 {count} 条短信。")
