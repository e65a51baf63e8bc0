from django.core.management.base import BaseCommand, CommandError

from registry.audit.anchors import AnchorRefused, anchor_dir, write_anchor
from registry.core.errors import ServiceError


class Command(BaseCommand):
    help = (
        "把审计日志链头（最新序号和哈希）用本系统的 Ed25519 密钥签名后写入 AUDIT_ANCHOR_DIR。"
        "可重复运行（链头未变则不写）；由定时任务每 15 分钟运行。链校验不通过时拒绝并以非零状态退出。"
    )

    def handle(self, *args, **opts):
        try:
            anchor, written = write_anchor()
        except AnchorRefused as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise CommandError("审计日志校验不通过，未写入锚点。请立即运行 manage.py verify_audit 并调查。") from None
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        if anchor is None:
            self.stdout.write("审计日志为空，无需锚定。")
        elif written:
            self.stdout.write(f"已锚定第 {anchor.seq} 条记录：{anchor_dir() / anchor.name}")
        else:
            self.stdout.write(f"链头（第 {anchor.seq} 条）已锚定，未写入新锚点。")
