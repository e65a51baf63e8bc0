from django.core.management.base import BaseCommand

from registry.applications.counts import rebuild


class Command(BaseCommand):
    help = "按申请表重新统计各区、各业务类型、各状态的申请数（审核队列的计数）；批量导入或生成演示数据后运行。"

    def handle(self, *args, **opts):
        counted = rebuild()
        self.stdout.write(f"审核队列计数已重建：共统计 {counted} 份申请。")
