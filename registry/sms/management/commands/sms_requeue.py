from django.core.management.base import BaseCommand

from registry.sms.services import QUEUED_STALE_SECONDS, requeue_stale


class Command(BaseCommand):
    help = (
        "重新派发滞留的短信（工作进程崩溃或消息队列中断后），已过有效期的验证码不再发送。"
        "Celery beat 每分钟运行一次；不用 beat 时由 cron 每分钟运行。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=QUEUED_STALE_SECONDS,
            help=f"待发送超过多少秒（默认{QUEUED_STALE_SECONDS}）",
        )

    def handle(self, *args, **opts):
        count = requeue_stale(older_than_seconds=opts["older_than"])
        self.stdout.write(f"已重新派发 {count} 条短信。")
