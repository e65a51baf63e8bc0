from django.core.management.base import BaseCommand, CommandError

from registry.audit.verification import verify_chain
from registry.core.errors import ServiceError


class Command(BaseCommand):
    help = "用密钥校验审计日志哈希链，并对照每个锚点（检测篡改、删除、截断）。发现问题时以非零状态退出。"

    def handle(self, *args, **options):
        try:
            report = verify_chain()
        except ServiceError as exc:  # anchors exist but the signing key is gone
            raise CommandError(exc.message) from None
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(f"审计日志完整：已校验 {report.checked} 条记录，对照 {report.anchors} 个锚点。")
            )
            if not report.anchors:
                self.stdout.write(
                    self.style.WARNING("没有锚点：请定时运行 manage.py audit_anchor（见 docs/operations.md）。")
                )
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(f"审计日志校验失败：发现 {len(report.problems)} 处问题（已校验 {report.checked} 条）。")
