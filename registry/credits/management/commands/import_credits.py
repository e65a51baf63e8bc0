from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from registry.core.errors import ServiceError
from registry.credits import imports
from registry.credits.services import credits_import_path


class Command(BaseCommand):
    help = (
        "导入培训机构的学分文件或考试机构的考试合格名单（CSV 或 XLSX，按模板）：import_credits FILE --provider NAME"
        " [--source exam]；--template 打印 CSV 模板。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?")
        parser.add_argument("--provider", help="培训机构或考试机构名称（与 external_id 一起决定重复）")
        parser.add_argument(
            "--source", choices=["provider", "exam"], default="provider", help="provider 培训机构报送；exam 考试合格"
        )
        parser.add_argument("--template", action="store_true", help="打印 CSV 模板（表头与一行示例）")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        if opts["template"]:
            self.stdout.write(imports.template_csv().decode("utf-8-sig"), ending="")
            return
        if not opts["file"] or not opts["provider"]:
            raise CommandError("用法：import_credits FILE --provider NAME")
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        bar = None if opts["no_progress"] else tqdm(total=imports.count_rows(path), unit="行", desc="读取并检查")

        def progress(done):
            if bar is not None:
                bar.update(done - bar.n)

        try:
            outcome = credits_import_path(
                path=path, provider=opts["provider"], source=opts["source"], progress=progress
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        finally:
            if bar is not None:
                bar.close()
        result = outcome.result
        self.stdout.write(
            f"imported {result.accepted}, duplicates {result.duplicates}, rejected {len(result.rejected)}"
        )
        if result.rejected:
            target = path.with_name(path.stem + ".rejected.xlsx")
            target.write_bytes(imports.rejected_xlsx(result.rejected))
            self.stdout.write(f"rejected rows with reasons: {target}")
