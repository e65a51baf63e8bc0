"""Load the code tables and the calendar from the data files and packages we ship with.

Loading only inserts what is missing: an admin's edit (a contact phone, a renamed reason) is never
overwritten. Functions take the model classes as arguments so the data migration can pass its
historical models.
"""

import csv
import json
import logging
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
logger = logging.getLogger("registry.core")

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


@dataclass
class LoadResult:
    regions: int = 0
    codes: int = 0
    calendar_days: int = 0
    calendar_years: int = 0


def _is_reviewing_unit(row: dict) -> bool:
    if row["level"] == "management_unit":
        return True
    return (
        row["level"] == "county"
        and not row["valid_to_year"]
        and row["name"] != "市辖区"
        and row["code"][:2] not in {"71", "81", "82"}
    )


def load_regions(Region) -> int:
    with (DATA_DIR / "regions.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    existing = set(Region.objects.values_list("code", flat=True))
    new = []
    for order, row in enumerate(rows):
        if row["code"] in existing:
            continue
        new.append(
            Region(
                code=row["code"],
                name=row["name"],
                level=row["level"],
                parent_id=None,  # set below, once every row exists
                province_code=row["code"][:2],
                valid_from_year=int(row["valid_from_year"]) if row["valid_from_year"] else None,
                valid_to_year=int(row["valid_to_year"]) if row["valid_to_year"] else None,
                is_reviewing_unit=_is_reviewing_unit(row),
                bureau_name=row["bureau_name"] or _default_bureau_name(row),
                sort_order=order,
            )
        )
    Region.objects.bulk_create(new, batch_size=1000)
    new_codes = {region.code for region in new}
    parents = {row["code"]: row["parent"] for row in rows if row["parent"] and row["code"] in new_codes}
    Region.objects.bulk_update(
        [Region(code=code, parent_id=parent) for code, parent in parents.items()], ["parent"], batch_size=1000
    )
    return len(new)


def _default_bureau_name(row: dict) -> str:
    if row["level"] == "province":
        return f"{row['name']}财政厅" if not row["name"].endswith("市") else f"{row['name']}财政局"
    if row["level"] == "county" and not row["valid_to_year"]:
        return f"{row['name']}财政局"
    return ""


def load_codes(Code) -> int:
    data = json.loads((DATA_DIR / "codes.json").read_text(encoding="utf-8"))
    existing = set(Code.objects.values_list("kind", "code"))
    new = []
    for kind, entries in data.items():
        if kind.startswith("_"):
            continue
        for order, entry in enumerate(entries):
            code, name, *rest = entry
            if (kind, code) in existing:
                continue
            new.append(Code(kind=kind, code=code, name=name, sort_order=order, extra=rest[0] if rest else {}))
    Code.objects.bulk_create(new)
    return len(new)


def load_calendar_from_chinesecalendar(CalendarDay, CalendarYear) -> tuple[int, int]:
    """Seed holidays and make-up workdays for the years the chinesecalendar package covers.

    Years already present (loaded before, or entered by an admin) are left alone.
    """
    from chinese_calendar import constants

    known_years = set(CalendarYear.objects.values_list("year", flat=True))
    days = []
    years = set()
    for kind, table in (("holiday", constants.holidays), ("workday", constants.workdays)):
        for day, name in table.items():
            if day.year in known_years:
                continue
            # chinesecalendar lists weekend days inside a holiday stretch too; only weekday holidays
            # change the Monday–Friday rule, but keeping them all shows the whole holiday to admins.
            years.add(day.year)
            days.append(CalendarDay(date=day, kind=kind, name=HOLIDAY_NAMES_ZH.get(name, name)))
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True, batch_size=1000)
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, source="chinesecalendar") for y in sorted(years)], ignore_conflicts=True
    )
    return len(days), len(years)


def load_all(*, Region, Code, CalendarDay, CalendarYear) -> LoadResult:
    result = LoadResult()
    result.regions = load_regions(Region)
    result.codes = load_codes(Code)
    result.calendar_days, result.calendar_years = load_calendar_from_chinesecalendar(CalendarDay, CalendarYear)
    from . import refdata

    refdata.changed()  # bulk inserts and updates send no signals
    return result
