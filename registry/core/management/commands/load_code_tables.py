from django.core.management.base import BaseCommand

from registry.core.loaders import load_all
from registry.core.models import CalendarDay, CalendarYear, Code, Region


class Command(BaseCommand):
    help = "载入代码表（行政区划、民族、学历、资格级别等）和节假日日历；只补充缺少的条目，不覆盖管理员的修改。"

    def handle(self, *args, **opts):
        result = load_all(Region=Region, Code=Code, CalendarDay=CalendarDay, CalendarYear=CalendarYear)
        self.stdout.write(
            f"新增：行政区划 {result.regions} 条，代码项 {result.codes} 条，"
            f"日历 {result.calendar_days} 天（{result.calendar_years} 个年度）。"
        )
