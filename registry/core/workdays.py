"""The Chinese statutory working-day calendar: Monday–Friday, minus holidays, plus 调休 make-up days.

The exceptions live in the CalendarDay table (seeded from chinesecalendar, extended by admins each
year from the State Council's notice). A year with no CalendarYear row falls back to Monday–Friday;
that is logged once per process and listed for admins by `years_without_calendar()`.
"""

import datetime as dt
import logging
import threading
import time

from .models import CalendarDay, CalendarYear

logger = logging.getLogger("registry.core.workdays")

_CACHE_SECONDS = 300
_lock = threading.Lock()
_cache: dict[int, tuple[float, frozenset[dt.date], frozenset[dt.date], bool]] = {}
_warned_years: set[int] = set()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _year(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date], bool]:
    """(holidays, make-up workdays, whether the year has calendar data) for one year, cached."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(year)
        if hit and now - hit[0] < _CACHE_SECONDS:
            return hit[1], hit[2], hit[3]
    known = CalendarYear.objects.filter(year=year).exists()
    holidays, workdays = set(), set()
    for day, kind in CalendarDay.objects.filter(date__year=year).values_list("date", "kind"):
        (holidays if kind == "holiday" else workdays).add(day)
    if not known and year not in _warned_years:
        _warned_years.add(year)
        logger.warning(
            "No holiday calendar for %s: counting Monday–Friday as working days. "
            "Enter the State Council's holiday notice in the admin or run `manage.py calendar_import`.",
            year,
        )
    entry = (now, frozenset(holidays), frozenset(workdays), known)
    with _lock:
        _cache[year] = entry
    return entry[1], entry[2], entry[3]


def is_working_day(day: dt.date) -> bool:
    holidays, workdays, _ = _year(day.year)
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (n ≥ 0; n = 0 gives `start` itself).

    Inverse of working_days_between: working_days_between(a, add_working_days(a, n)) == n for n ≥ 1.
    """
    if n < 0:
        raise ValueError("n must be zero or positive")
    day = start
    remaining = n
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in the half-open interval (start, end]; negative when end is before start."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def years_without_calendar(years: list[int] | None = None) -> list[int]:
    """Years (default: this year and next) that have no holiday data and fall back to Mon–Fri."""
    if years is None:
        this_year = dt.date.today().year
        years = [this_year, this_year + 1]
    known = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
    return [y for y in years if y not in known]
