"""Import one year's holidays and make-up workdays from a small CSV (State Council notice).

    date,kind,name
    2027-01-01,holiday,元旦
    2027-02-07,workday,春节

`kind` is `holiday` (休) or `workday` (班, a make-up working Saturday/Sunday). The whole file is
checked first; any error changes nothing. Importing a year replaces that year's entries.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from . import workdays
from .models import CalendarDay, CalendarYear

KIND_ALIASES = {"holiday": "holiday", "休": "holiday", "workday": "workday", "班": "workday"}


@dataclass(frozen=True)
class CalendarImportResult:
    year: int
    holidays: int
    workdays: int


def import_calendar_csv(text: str, *, source: str) -> CalendarImportResult:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or not {"date", "kind"} <= {f.strip() for f in reader.fieldnames}:
        raise ValidationError("CSV 第一行须为表头：date,kind,name", code="invalid_format")
    errors, days = [], {}
    for line_no, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        try:
            day = dt.date.fromisoformat(row["date"])
        except ValueError:
            errors.append(f"第 {line_no} 行：日期“{row['date']}”格式应为 YYYY-MM-DD")
            continue
        kind = KIND_ALIASES.get(row["kind"].lower())
        if kind is None:
            errors.append(f"第 {line_no} 行：类型“{row['kind']}”应为 holiday（休）或 workday（班）")
            continue
        if kind == "workday" and day.weekday() < 5:
            errors.append(f"第 {line_no} 行：{day} 是工作日，无需登记为调休上班日")
        if day in days:
            errors.append(f"第 {line_no} 行：日期 {day} 重复")
        days[day] = (kind, row.get("name", ""))
    years = {d.year for d in days}
    if not errors and len(years) != 1:
        errors.append("一个文件只能包含一个年度的安排" if years else "文件中没有任何日期")
    if errors:
        raise ValidationError(errors, code="invalid_calendar")
    (year,) = years
    with transaction.atomic():
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(CalendarDay(date=d, kind=k, name=n) for d, (k, n) in sorted(days.items()))
        CalendarYear.objects.update_or_create(year=year, defaults={"source": source[:100]})
        transaction.on_commit(workdays.clear_cache)
    kinds = [k for k, _ in days.values()]
    return CalendarImportResult(year=year, holidays=kinds.count("holiday"), workdays=kinds.count("workday"))
