from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registry.core.calendar_import import import_calendar_csv
from registry.core.loaders import load_calendar_from_chinesecalendar
from registry.core.models import CalendarDay, CalendarYear


class Command(BaseCommand):
    help = "录入节假日安排：--csv 导入一个年度（依据国务院办公厅通知），或 --chinesecalendar 补齐该软件包覆盖的年度。"

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--csv", type=Path, help="CSV 文件：date,kind,name（kind 为 holiday/休 或 workday/班）")
        group.add_argument("--chinesecalendar", action="store_true", help="从 chinesecalendar 软件包补齐缺少的年度")
        parser.add_argument("--source", default="", help="来源说明，如：国办发明电〔2026〕7号")

    def handle(self, *args, **opts):
        if opts["chinesecalendar"]:
            days, years = load_calendar_from_chinesecalendar(CalendarDay, CalendarYear)
            self.stdout.write(self.style.SUCCESS(f"已补齐 {years} 个年度、{days} 个日期。"))
            return
        path: Path = opts["csv"]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取 {path}：{exc}") from None
        try:
            result = import_calendar_csv(text, source=opts["source"] or f"CSV：{path.name}")
        except ValidationError as exc:
            raise CommandError("导入失败，未做任何修改：\n" + "\n".join(exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(f"{result.year} 年：已录入 {result.holidays} 个休息日、{result.workdays} 个调休上班日。")
        )
