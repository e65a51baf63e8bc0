from django.core.management.base import BaseCommand

from registry.applications.materials import MaterialRejected
from registry.applications.models import Attachment
from registry.applications.services import attachment_render_pages


class Command(BaseCommand):
    help = (
        "为升级前上传、尚无页面图片的 PDF 材料生成页面图片（审核员看图片，不再打开 PDF），"
        "并列出按现行规则会被拒收的 PDF（如含脚本）。"
    )

    def handle(self, *args, **options):
        todo = Attachment.objects.filter(content_type="application/pdf", pages=[]).order_by("created_at")
        done = flagged = failed = 0
        for attachment in todo.iterator():
            try:
                refused = attachment_render_pages(attachment=attachment)
            except MaterialRejected as exc:
                failed += 1
                self.stderr.write(f"{attachment.pk}: 无法生成页面图片（{exc.code}）")
                continue
            done += 1
            if refused:
                flagged += 1
                self.stderr.write(f"{attachment.pk}: 按现行规则会被拒收（{refused}），请审核员下载前注意")
        self.stdout.write(
            f"已生成 {done} 个 PDF 的页面图片；其中 {flagged} 个按现行规则会被拒收；{failed} 个无法生成。"
        )
