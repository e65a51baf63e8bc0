from django.core.management.base import BaseCommand, CommandError

from registry.audit.verification import verify_chain


class Command(BaseCommand):
    help = "校验审计日志哈希链是否完整（检测篡改、删除）。发现问题时以非零状态退出。"

    def handle(self, *args, **options):
        report = verify_chain()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"审计日志完整：已校验 {report.checked} 条记录。"))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(f"审计日志校验失败：发现 {len(report.problems)} 处问题（已校验 {report.checked} 条）。")
